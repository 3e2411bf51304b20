"""Dead letters an operator can work with: list them, show one, replay them.

The service's command line (`dead-letters list|show ID|replay ID|replay --all`, see
__main__.py) calls `run`. Each broker keeps dead letters its own way; its broker.py reads
and replays them. A replay first releases the message id in the inbox (it was marked
done when the service gave up on it, and would be skipped as a duplicate), publishes the
message again to the channel it came from, and removes the dead letter only once the
broker confirmed the publish.
"""

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from ..settings import Settings
from . import broker as broker_module
from .events import Channels, DeadLetter
from .runtime import SERVICE_NAME

CONNECT_TIMEOUT_SECONDS = 10.0


class DeadLetterError(Exception):
    """A failure the command reports in one line, with its exit code."""

    exit_code = 1


class InvalidRequest(DeadLetterError):
    """Nothing the broker can do: an unknown id, or memory://."""

    exit_code = 2


async def _with_broker(settings: Settings) -> broker_module.Broker:
    if broker_module.is_in_memory(settings.broker_url):
        raise InvalidRequest(
            "memory:// keeps no dead letters outside the process: "
            "the running service holds them in memory"
        )
    broker = broker_module.build_broker(settings)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            await broker.connect()
    except Exception as error:
        await broker.stop()
        raise DeadLetterError(f"broker unreachable: {error!r}") from error
    return broker


async def read(settings: Settings) -> list[DeadLetter]:
    """Every dead letter of this service's own channel, oldest first."""
    broker = await _with_broker(settings)
    try:
        channels = Channels.named(SERVICE_NAME, settings.channel_prefix)
        return await broker_module.read_dead_letters(broker, channels, settings)
    finally:
        await broker.stop()


def _pick(letters: Sequence[DeadLetter], letter_id: str) -> DeadLetter:
    for letter in letters:
        if letter.id == letter_id:
            return letter
    raise InvalidRequest(f"no dead letter {letter_id!r} (see `dead-letters list`)")


async def replay(settings: Settings, letter_id: str | None) -> list[DeadLetter]:
    """Replay one dead letter (by id), or all when `letter_id` is None; the replayed."""
    broker = await _with_broker(settings)
    channels = Channels.named(SERVICE_NAME, settings.channel_prefix)
    inbox = broker_module.build_inbox(broker, channels, settings)
    try:
        letters = await broker_module.read_dead_letters(broker, channels, settings)
        chosen = letters if letter_id is None else [_pick(letters, letter_id)]
        for letter in chosen:
            await inbox.release(letter.id)
            await broker_module.replay_dead_letter(broker, channels, letter)
        return chosen
    finally:
        await inbox.close()
        await broker.stop()


def _line(letter: DeadLetter) -> str:
    return "  ".join((letter.id, letter.channel, letter.at or "-", letter.reason or "-"))


def _summary(letter: DeadLetter) -> dict[str, str]:
    return {"id": letter.id, "channel": letter.channel, "at": letter.at, "reason": letter.reason}


async def _run(
    settings: Settings, action: str, letter_id: str | None, as_json: bool, out: TextIO
) -> None:
    if action == "list":
        letters = await read(settings)
        if as_json:
            print(json.dumps([_summary(letter) for letter in letters]), file=out)
        else:
            for letter in letters:
                print(_line(letter), file=out)
    elif action == "show":
        letter = _pick(await read(settings), letter_id or "")
        shown = {**_summary(letter), "headers": letter.headers, "payload": letter.payload}
        print(json.dumps(shown, indent=2), file=out)
    else:
        for letter in await replay(settings, letter_id):
            kept = "" if broker_module.DEAD_LETTERS_REMOVABLE else " (the broker keeps a copy)"
            print(f"replayed {letter.id} to {letter.channel}{kept}", file=out)


def run(
    settings: Settings,
    action: str,
    letter_id: str | None = None,
    *,
    as_json: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Run one `dead-letters` action; the exit code: 0 done, 1 failed (the broker), 2
    invalid (unknown id, memory://). Errors are one line on stderr."""
    try:
        asyncio.run(_run(settings, action, letter_id, as_json, out))
    except DeadLetterError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except ValueError as error:  # a bad broker URL (BrokerUrlError names the setting)
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the broker went away midway
        print(f"error: broker failed: {error!r}", file=sys.stderr)
        return 1
    return 0
