"""Acks sent together (sunlight.acks): never a delivery before it finished, and every finished one in the end."""

from __future__ import annotations

from typing import Any

import eventlet

from sunlight.acks import AckWindow


class Channel:
    """Records the acks as the broker would receive them."""

    def __init__(self) -> None:
        self.connection: Any = object()
        self.sent: list[tuple[int, bool]] = []

    def basic_ack(self, tag: int, multiple: bool = False) -> None:
        self.sent.append((tag, multiple))


def acked(sent: list[tuple[int, bool]], delivered: list[int]) -> set[int]:
    """What the broker takes as acked: a multiple ack covers every delivered tag up to it."""
    tags: set[int] = set()
    for tag, multiple in sent:
        tags |= {t for t in delivered if t <= tag} if multiple else {tag}
    return tags


def test_deliveries_finishing_in_one_turn_go_out_as_one_ack() -> None:
    channel = Channel()
    window = AckWindow(channel)
    for tag in (1, 2, 3):
        window.received(tag)
    for tag in (2, 1, 3):
        window.finish(tag)

    eventlet.sleep(0)  # the end of this turn of the event loop

    assert channel.sent == [(3, True)]


def test_a_delivery_still_running_is_never_covered_by_a_multiple_ack() -> None:
    channel = Channel()
    window = AckWindow(channel)
    for tag in (1, 2, 3, 4, 5):
        window.received(tag)
    for tag in (1, 2, 4, 5):  # 3 is a slow worker
        window.finish(tag)
    eventlet.sleep(0)

    assert channel.sent == [(2, True), (4, False), (5, False)]
    assert acked(channel.sent, [1, 2, 3, 4, 5]) == {1, 2, 4, 5}

    window.finish(3)
    eventlet.sleep(0)

    assert acked(channel.sent, [1, 2, 3, 4, 5]) == {1, 2, 3, 4, 5}


def test_a_requeued_delivery_does_not_hold_back_later_acks() -> None:
    channel = Channel()
    window = AckWindow(channel)
    for tag in (1, 2, 3):
        window.received(tag)
    window.forget(1)  # requeued: the broker no longer counts it as unacked
    window.finish(2)
    window.finish(3)
    eventlet.sleep(0)

    assert channel.sent == [(3, True)]


def test_after_the_link_broke_nothing_is_sent_on_the_dead_channel() -> None:
    channel = Channel()
    window = AckWindow(channel)
    window.received(1)
    window.finish(1)
    channel.connection = None  # the broker takes unacked deliveries back and redelivers them

    eventlet.sleep(0)

    assert channel.sent == []
