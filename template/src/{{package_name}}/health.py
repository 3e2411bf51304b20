"""Liveness (`/healthz`) and readiness (`/readyz`) probes."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response, status

ReadinessCheck = Callable[[], Awaitable[bool]]

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive. Checks no dependency, so a broker outage never restarts it."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, object]:
    """Ready for traffic: every registered readiness check passes (503 otherwise)."""
    checks: dict[str, ReadinessCheck] = request.app.state.readiness_checks
    results = {name: await _passes(check) for name, check in checks.items()}
    ready = all(results.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ready" if ready else "not ready", "checks": results}


async def _passes(check: ReadinessCheck) -> bool:
    try:
        return await check()
    except Exception:
        return False
