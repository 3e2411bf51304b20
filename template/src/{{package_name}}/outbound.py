"""The one module through which this service calls others.

Calls go to the API gateway (`GATEWAY_URL`) and every call has a timeout:
timeouts are always on.
"""

import httpx

from .logs import request_id_var
from .middleware import REQUEST_ID_HEADER
from .settings import Settings


class UpstreamClient:
    """An HTTP client for other services, through the gateway, with a timeout on every call."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = httpx.Timeout(timeout_seconds)
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=self.timeout, transport=transport
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "UpstreamClient":
        return cls(settings.gateway_url, settings.outbound_timeout_seconds)

    async def request(self, method: str, path: str, *, json: object = None) -> httpx.Response:
        """Send one request; the request id travels with it. Raises on 4xx/5xx."""
        request_id = request_id_var.get()
        headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
        response = await self._client.request(
            method, path, headers=headers, json=json, timeout=self.timeout
        )
        response.raise_for_status()
        return response

    async def get(self, path: str) -> httpx.Response:
        return await self.request("GET", path)

    async def aclose(self) -> None:
        await self._client.aclose()
