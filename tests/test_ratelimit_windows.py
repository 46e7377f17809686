"""The moving windows behind the rate limits, in memory and in Redis: the same answers for
the same hits at the same times."""

import os
import uuid

import pytest

from idp.ratelimit_windows import MemoryWindows
from idp.ratelimit_windows import windows_from_url


class Named:
    """Windows whose keys carry the test's prefix, so Redis keys of one run never meet."""

    def __init__(self, store, prefix):
        self.store, self.prefix = store, prefix

    def acquire(self, windows, now):
        return self.store.acquire([(self.key(k), a, s) for k, a, s in windows], now)

    def release(self, key):
        self.store.release(self.key(key))

    def key(self, name):
        return f"{self.prefix}/{name}"


def redis_store():
    """Windows in the test Redis under a prefix of their own; (store, prefix)."""
    url = os.environ.get("IDP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    prefix = f"bawaba-test-{uuid.uuid4().hex}"
    store = windows_from_url(url, prefix)
    try:
        store.redis.ping()
    except Exception as error:  # noqa: BLE001 - any connection failure means no Redis here
        pytest.skip(f"no Redis at {url}: {error}")
    return store, prefix


@pytest.fixture(params=["memory", "redis"])
def windows(request):
    if request.param == "memory":
        yield Named(MemoryWindows(), "test")
        return
    store, prefix = redis_store()
    yield Named(store, prefix)
    store.reset()
    assert not list(store.redis.scan_iter(match=f"{prefix}/*"))
    store.close()


def test_a_window_takes_its_amount_then_refuses_until_the_oldest_hit_leaves(windows):
    key = "a"
    for second in range(3):
        assert windows.acquire([(key, 3, 60)], 1000.0 + second) is None
    breach = windows.acquire([(key, 3, 60)], 1010.0)
    assert breach.index == 0 and breach.retry_at == 1060.0
    assert windows.acquire([(key, 3, 60)], 1059.9) is not None
    assert windows.acquire([(key, 3, 60)], 1060.0) is None
    assert windows.acquire([(key, 3, 60)], 1060.5).retry_at == 1061.0


def test_all_windows_of_a_request_count_or_none_does(windows):
    short, long = "short", "long"
    assert windows.acquire([(short, 5, 1), (long, 2, 3600)], 1000.0) is None
    assert windows.acquire([(short, 5, 1), (long, 2, 3600)], 1000.1) is None
    breach = windows.acquire([(short, 5, 1), (long, 2, 3600)], 1000.2)
    assert breach.index == 1 and breach.retry_at == 4600.0
    # The refused request did not count in the short window: four more fit there.
    for n in range(3):
        assert windows.acquire([(short, 5, 1)], 1000.3 + n / 10) is None
    assert windows.acquire([(short, 5, 1)], 1000.7).index == 0


def test_release_takes_one_hit_back(windows):
    key = "client"
    assert windows.acquire([(key, 1, 60)], 1000.0) is None
    assert windows.acquire([(key, 1, 60)], 1001.0) is not None
    windows.release(key)
    assert windows.acquire([(key, 1, 60)], 1002.0) is None
    windows.release("never-hit")


def test_keys_are_counted_apart(windows):
    assert windows.acquire([("x", 1, 60)], 1000.0) is None
    assert windows.acquire([("y", 1, 60)], 1000.0) is None
    assert windows.acquire([("x", 1, 60)], 1000.0) is not None


def test_unknown_storage_refuses_to_start():
    with pytest.raises(RuntimeError, match="not memory:// or redis://"):
        windows_from_url("memcached://127.0.0.1:11211", "bawaba")


def test_redis_counting_goes_on_after_the_connection_is_dropped():
    store, prefix = redis_store()
    try:
        key = f"{prefix}/a"
        assert store.acquire([(key, 2, 60)], 1000.0) is None
        # As a Redis restart or an idle timeout would: the server closes this connection.
        import redis

        with redis.Redis.from_url(store.url) as admin:
            admin.client_kill_filter(_id=store.redis.client_id())
        assert store.acquire([(key, 2, 60)], 1001.0) is None
        assert store.acquire([(key, 2, 60)], 1002.0).index == 0
    finally:
        store.reset()
        store.close()
