from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_liveness_checks_no_dependency(client: TestClient, app: FastAPI) -> None:
    async def broken() -> bool:
        raise ConnectionError("dependency down")

    app.state.readiness_checks["broken"] = broken
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_every_check_passes(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_not_ready_when_a_check_fails(client: TestClient, app: FastAPI) -> None:
    async def down() -> bool:
        return False

    app.state.readiness_checks["database"] = down
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["database"] is False
