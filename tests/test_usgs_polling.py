"""Activation polling (used by USGS and Planet): back-off schedule, bounded wait, clear failure, cancel."""

from __future__ import annotations

import pytest

from scene_picker.core.cancel import CancelToken
from scene_picker.core.errors import ActivationError, CancelledError
from scene_picker.providers.polling import PollPolicy, poll_until


def test_delays_back_off_and_stay_bounded():
    policy = PollPolicy(interval=1.0, factor=2.0, max_interval=5.0, timeout=30.0)
    delays = policy.delays()
    assert delays[:4] == [1.0, 2.0, 4.0, 5.0]
    assert all(a <= b for a, b in zip(delays, delays[1:]))
    assert max(delays) == 5.0 and sum(delays) <= 30.0
    assert len(PollPolicy(interval=0.1, factor=1.0, timeout=1e9, max_polls=7).delays()) == 6


def test_poll_until_returns_when_ready():
    answers = iter([None, None, "url"])
    policy = PollPolicy(interval=0.001, factor=2.0, max_interval=0.004, timeout=5.0)
    assert poll_until(lambda: next(answers), what="x", provider="p", policy=policy) == "url"


def test_poll_until_ends_with_a_clear_activation_error():
    checks = []
    policy = PollPolicy(interval=0.001, factor=1.0, timeout=5.0, max_polls=4)
    with pytest.raises(ActivationError) as info:
        poll_until(
            lambda: checks.append(1),
            what="the bundle of S1",
            provider="usgs",
            policy=policy,
            status=lambda: "'Preparing'",
        )
    assert len(checks) == 4
    text = str(info.value)
    assert "the bundle of S1" in text and "'Preparing'" in text and "4 status checks" in text
    assert info.value.provider == "usgs"


def test_poll_until_stops_when_cancelled():
    checks = []
    token = CancelToken.from_callable(lambda: len(checks) >= 2)
    policy = PollPolicy(interval=0.001, factor=1.0, timeout=5.0)
    with pytest.raises(CancelledError):
        poll_until(lambda: checks.append(1), what="x", provider="p", policy=policy, cancel=token)
    assert len(checks) == 2
