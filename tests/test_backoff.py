"""One exponential backoff: jittered for the executor's re-runs and the client's resends, exact
for a durable consumer's retries."""

from __future__ import annotations

import threading

import pytest

from esruntime.backoff import backoff_delay, backoff_step
from esruntime.client.base import Settings
from esruntime.consumers import RetryPolicy


@pytest.mark.parametrize("retry", [1, 2, 6, 21, 65, 10_000])
@pytest.mark.parametrize("floor", [0.0, 0.5])
def test_a_wait_is_a_random_part_of_a_doubling_capped_step(retry: int, floor: float) -> None:
    step = min(0.05, 0.002 * 2.0 ** min(retry - 1, 64))
    delays = [backoff_delay(retry, 0.002, 0.05, floor=floor) for _ in range(500)]
    assert all(step * floor <= delay <= step for delay in delays)
    assert len(set(delays)) > 1  # jittered, so concurrent writers spread out


def test_no_base_means_no_wait() -> None:
    assert backoff_delay(3, 0.0, 1.0) == 0.0


def test_the_client_waits_with_equal_jitter_as_documented() -> None:
    settings = Settings("http://127.0.0.1:1/v1", None, 1.0, 3, 0.1, 0.3, 1024, None)
    for retry, step in [(1, 0.1), (2, 0.2), (3, 0.3), (9, 0.3)]:
        delays = [settings.delay(retry) for _ in range(300)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert min(delays) < step * 0.6
        assert max(delays) > step * 0.9


def test_a_consumer_retries_after_exactly_2_4_and_8_seconds_by_default() -> None:
    policy = RetryPolicy()
    assert [policy.delay(retry) for retry in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert [RetryPolicy(first_delay=1, factor=3).delay(r) for r in (1, 2, 3)] == [1.0, 3.0, 9.0]
    assert RetryPolicy(first_delay=5, factor=0).delay(2) == 0.0


def test_the_longest_policy_waits_no_longer_than_a_thread_can() -> None:
    policy = RetryPolicy(retries=100, first_delay=3600, factor=3600)
    assert policy.delay(2) == 3600.0 * 3600
    assert policy.delay(100) == threading.TIMEOUT_MAX  # 3600**99 is no float
    # A thread accepts that wait (a longer one raises OverflowError): it ends when the event is set.
    event = threading.Event()
    setter = threading.Thread(target=event.set)
    setter.start()
    assert event.wait(policy.delay(100))
    setter.join()


def test_a_step_past_every_float_is_the_cap_and_no_base_never_waits() -> None:
    assert backoff_step(10_000, 0.5, 7.0, factor=10.0) == 7.0
    assert backoff_step(10_000, 0.0, 7.0, factor=10.0) == 0.0
    assert backoff_step(3, 0.5, 7.0, factor=10.0) == 7.0
    assert backoff_step(2, 0.5, 7.0, factor=10.0) == 5.0
