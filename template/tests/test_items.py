from uuid import uuid4

from fastapi.testclient import TestClient


def test_create_then_read_an_item(client: TestClient) -> None:
    created = client.post("/items", json={"name": "first"})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "first"

    assert client.get(f"/items/{item['id']}").json() == item
    assert client.get("/items").json() == [item]


def test_unknown_item_is_404(client: TestClient) -> None:
    assert client.get(f"/items/{uuid4()}").status_code == 404


def test_invalid_item_is_422(client: TestClient) -> None:
    assert client.post("/items", json={"name": ""}).status_code == 422
