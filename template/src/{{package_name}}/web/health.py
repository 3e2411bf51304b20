"""Liveness (`/healthz`) and readiness (`/readyz`) probes."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

ReadinessCheck = Callable[[], Awaitable[bool]]
ReadinessChecks = dict[str, ReadinessCheck]


async def get_readiness_checks(request: Request) -> ReadinessChecks:
    checks: ReadinessChecks = request.state.readiness_checks
    return checks


ReadinessChecksDep = Annotated[ReadinessChecks, Depends(get_readiness_checks)]


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, bool]


router = APIRouter(tags=["health"])

_NOT_READY: dict[int | str, dict[str, Any]] = {
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": Readiness,
        "description": "A readiness check failed: keep traffic away for now.",
    }
}


@router.get("/healthz")
async def healthz() -> Liveness:
    """The process is alive. Checks no dependency, so a broker outage never restarts it."""
    return Liveness(status="ok")


@router.get("/readyz", responses=_NOT_READY)
async def readyz(checks: ReadinessChecksDep, response: Response) -> Readiness:
    """Ready for traffic: every readiness check passes (503 otherwise)."""
    results = {name: await _passes(check) for name, check in checks.items()}
    ready = all(results.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="ready" if ready else "not ready", checks=results)


async def _passes(check: ReadinessCheck) -> bool:
    try:
        return await check()
    except Exception:
        return False
