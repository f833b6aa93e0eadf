"""``make demo`` refuses to start half a system: a broker that is not listening is named, with its command."""

from __future__ import annotations

import pytest

from tools import demo, stack


def test_demo_names_the_missing_broker_and_how_to_start_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(stack.BROKERS, "RabbitMQ", ("127.0.0.1", 1, "rabbitmq-server -detached"))

    assert demo.main() == 1

    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["RabbitMQ is not listening on 127.0.0.1:1; start it with: rabbitmq-server -detached"]
