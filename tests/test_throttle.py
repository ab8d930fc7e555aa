"""Rate limits, without a server."""

import time

from live.throttle import Throttle


def test_the_rate_limit_counts_per_key_and_opens_again_after_its_window():
    throttle = Throttle("3/second", "10/second", "2/minute")
    assert [throttle.event_allowed("phone", "a") for _ in range(4)] == [True, True, True, False]
    assert throttle.event_allowed("phone", "b")
    assert not throttle.lookups_blocked("10.0.0.9")
    throttle.lookup_failed("10.0.0.9")
    throttle.lookup_failed("10.0.0.9")
    assert throttle.lookups_blocked("10.0.0.9") and not throttle.lookups_blocked("10.0.0.8")
    time.sleep(1.05)
    assert throttle.event_allowed("phone", "a")
