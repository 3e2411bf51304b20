"""Dead letters an operator can work with: list them, show one, replay them.

The service's command line (`dead-letters list|show ID|replay ID|replay --all`, each with
an optional `--channel`, see __main__.py) calls `run`. It covers every dead-letter place
of the service: its own channel's, and one per event it consumes from another service.
Each broker keeps dead letters its own way; its broker.py reads and replays them.

A replay first releases the message id in the inbox (it was marked done when the service
gave up on it, and would be skipped as a duplicate), publishes the message again, and
removes the dead letter only once the broker confirmed the publish. A consumed event goes
back to this service's own subscription only, never to the producer's other consumers.
"""

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from ..settings import Settings
from . import broker as broker_module
from .events import Channels, DeadLetter, Subscription
from .runtime import SERVICE_NAME, subscriptions

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


@dataclass(frozen=True)
class Place:
    """Where the dead letters of one channel are kept: the service's own channel's, or
    those of an event it consumes (`subscription`)."""

    channel: str  # the channel the events came from: a dead letter's `channel`
    subscription: Subscription | None = None

    @property
    def label(self) -> str:
        return self.channel if self.subscription is None else f"{self.channel} (consumed)"


def places(settings: Settings, channel: str | None = None) -> list[Place]:
    """The service's dead-letter places, its own first; only `channel`'s when given."""
    channels = Channels.named(SERVICE_NAME, settings.channel_prefix)
    consumed = subscriptions(channels.group, settings.channel_prefix).values()
    every = [Place(channels.items_created)] + [Place(sub.channel, sub) for sub in consumed]
    if channel is None:
        return every
    chosen = [place for place in every if place.channel == channel]
    if not chosen:
        known = ", ".join(place.channel for place in every)
        raise InvalidRequest(f"no channel {channel!r} has dead letters here (channels: {known})")
    return chosen


async def _read(
    broker: broker_module.Broker, settings: Settings, chosen: Sequence[Place]
) -> list[DeadLetter]:
    channels = Channels.named(SERVICE_NAME, settings.channel_prefix)
    letters: list[DeadLetter] = []
    for place in chosen:
        if place.subscription is None:
            letters += await broker_module.read_dead_letters(broker, channels, settings)
        else:
            letters += await broker_module.read_consumed_dead_letters(
                broker, place.subscription, settings
            )
    return letters


async def read(settings: Settings, channel: str | None = None) -> list[DeadLetter]:
    """Every dead letter of the service (or of one `channel`): place by place, oldest
    first within each."""
    chosen = places(settings, channel)
    broker = await _with_broker(settings)
    try:
        return await _read(broker, settings, chosen)
    finally:
        await broker.stop()


def _pick(letters: Sequence[DeadLetter], letter_id: str) -> DeadLetter:
    for letter in letters:
        if letter.id == letter_id:
            return letter
    raise InvalidRequest(f"no dead letter {letter_id!r} (see `dead-letters list`)")


async def replay(
    settings: Settings, letter_id: str | None, channel: str | None = None
) -> list[DeadLetter]:
    """Replay one dead letter (by id), or all (of `channel`, when given) when `letter_id`
    is None; the replayed."""
    chosen_places = places(settings, channel)
    by_channel = {place.channel: place for place in chosen_places}
    broker = await _with_broker(settings)
    channels = Channels.named(SERVICE_NAME, settings.channel_prefix)
    inbox = broker_module.build_inbox(broker, channels, settings)
    try:
        letters = await _read(broker, settings, chosen_places)
        chosen = letters if letter_id is None else [_pick(letters, letter_id)]
        consumed = [letter for letter in chosen if by_channel[letter.channel].subscription]
        if consumed and broker_module.CONSUMED_REPLAY_REFUSED:  # before replaying any
            raise InvalidRequest(
                f"{broker_module.CONSUMED_REPLAY_REFUSED}; `--channel "
                f"{channels.items_created}` replays the service's own"
            )
        for letter in chosen:
            subscription = by_channel[letter.channel].subscription
            await inbox.release(letter.id)
            if subscription is None:
                await broker_module.replay_dead_letter(broker, channels, letter)
            else:
                await broker_module.replay_consumed_dead_letter(broker, subscription, letter)
        return chosen
    finally:
        await inbox.close()
        await broker.stop()


def _line(letter: DeadLetter) -> str:
    return "  ".join((letter.id, letter.channel, letter.at or "-", letter.reason or "-"))


def _summary(letter: DeadLetter) -> dict[str, str]:
    return {"id": letter.id, "channel": letter.channel, "at": letter.at, "reason": letter.reason}


def _replayed(letter: DeadLetter, own: bool) -> str:
    kept = "" if broker_module.DEAD_LETTERS_REMOVABLE else " (the broker keeps a copy)"
    where = letter.channel if own else f"this service's subscription to {letter.channel}"
    return f"replayed {letter.id} to {where}{kept}"


async def _run(
    settings: Settings,
    action: str,
    letter_id: str | None,
    channel: str | None,
    as_json: bool,
    out: TextIO,
) -> None:
    if action == "list":
        letters = await read(settings, channel)
        if as_json:
            print(json.dumps([_summary(letter) for letter in letters]), file=out)
        elif not letters:
            labels = ", ".join(place.label for place in places(settings, channel))
            print(f"No dead letters on {labels}.", file=out)
        else:
            for letter in letters:
                print(_line(letter), file=out)
    elif action == "show":
        letter = _pick(await read(settings, channel), letter_id or "")
        shown = {**_summary(letter), "headers": letter.headers, "payload": letter.payload}
        print(json.dumps(shown, indent=2), file=out)
    else:
        own = Channels.named(SERVICE_NAME, settings.channel_prefix).items_created
        replayed = await replay(settings, letter_id, channel)
        for letter in replayed:
            print(_replayed(letter, letter.channel == own), file=out)
        if not replayed:
            print("No dead letters to replay.", file=out)


def run(
    settings: Settings,
    action: str,
    letter_id: str | None = None,
    *,
    channel: str | None = None,
    as_json: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Run one `dead-letters` action; the exit code: 0 done, 1 failed (the broker), 2
    invalid (unknown id or channel, memory://, a replay the broker cannot address to this
    service alone). Errors are one line on stderr."""
    try:
        asyncio.run(_run(settings, action, letter_id, channel, as_json, out))
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
