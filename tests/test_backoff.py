"""One jittered exponential backoff for the executor's re-runs and the client's resends."""

from __future__ import annotations

import pytest

from esruntime.backoff import backoff_delay
from esruntime.client.base import Settings


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
