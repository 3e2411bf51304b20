"""The broker URL setting: checked before anything connects, so a bad one stops the
service at start-up with one line naming the setting."""

from urllib.parse import urlsplit

from ..settings import ENV_PREFIX

URL_SETTING = f"{ENV_PREFIX}BROKER_URL"
ALLOW_MEMORY_SETTING = f"{ENV_PREFIX}ALLOW_MEMORY_BROKER"
MEMORY_URL = "memory://"


class BrokerUrlError(ValueError):
    """The broker URL setting cannot be used; the message names the setting."""


def is_in_memory(url: str, schemes: tuple[str, ...], broker_name: str) -> bool:
    """Check the broker URL against the broker's schemes; True when it is memory://."""
    if url == MEMORY_URL:
        return True
    if not url:
        raise BrokerUrlError(
            f"{URL_SETTING} is not set: this service needs its {broker_name} broker "
            f"(the URL comes from a Secret when deployed; {MEMORY_URL} runs in-process, "
            "for local runs)"
        )
    accepted = " or ".join(f"{scheme}://" for scheme in (*schemes, "memory"))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as error:
        raise BrokerUrlError(f"{URL_SETTING} is not a valid URL ({error}); got {url!r}") from None
    if parts.scheme not in schemes:
        raise BrokerUrlError(
            f"{URL_SETTING} must start with {accepted} for the {broker_name} broker; got {url!r}"
        )
    if not parts.hostname:
        raise BrokerUrlError(f"{URL_SETTING} names no host; got {url!r}")
    return False


def refuse_memory_unless_allowed(allowed: bool) -> None:
    """memory:// is FastStream's test double (local.py): only when asked for by name."""
    if not allowed:
        raise BrokerUrlError(
            f"{URL_SETTING} is {MEMORY_URL}, FastStream's in-memory test broker (events stay "
            f"in this process, lost on restart): set {ALLOW_MEMORY_SETTING}=true for tests "
            "and local runs, or a real broker URL"
        )
