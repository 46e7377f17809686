"""Moving-window counters for the rate limits: every limit that applies to a request is
checked and counted in one step, all or none, so a request pays one Redis round trip
however many rules cover it (one Lua script; the `limits` library's strategies would take
one call per rule, and a second one to count a per-client hit after the response).

A window of `amount` per `seconds` keeps, per key, the times of its last `amount` hits,
newest first (the layout of `limits`' moving window): a hit is allowed when the
`amount`-th newest is older than the window. `release` takes one hit back (a request that
turned out not to belong to the key, like a token request whose client did not
authenticate).

Storage: `memory://` (one process: the development server and tests) or `redis://` /
`rediss://` (shared by every worker)."""

import threading
from collections import deque

ACQUIRE = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
    local amount = tonumber(ARGV[2 * i])
    local entry = redis.call('lindex', key, amount - 1)
    if entry and tonumber(entry) > now - tonumber(ARGV[2 * i + 1]) then
        return {i, entry}
    end
end
for i, key in ipairs(KEYS) do
    redis.call('lpush', key, ARGV[1])
    redis.call('ltrim', key, 0, tonumber(ARGV[2 * i]) - 1)
    redis.call('expire', key, tonumber(ARGV[2 * i + 1]))
end
return {0, false}
"""


class Breach:
    """The first window that refused, and when it will let one more hit in."""

    def __init__(self, index, retry_at):
        self.index = index
        self.retry_at = retry_at


class MemoryWindows:
    def __init__(self):
        self._hits = {}
        self._lock = threading.Lock()

    def acquire(self, windows, now):
        """windows: [(key, amount, seconds)]. Counts a hit in each, or returns the Breach
        of the first that is full (counting none)."""
        with self._lock:
            for index, (key, amount, seconds) in enumerate(windows):
                hits = self._hits.get(key)
                if hits is not None and len(hits) == amount and hits[-1] > now - seconds:
                    return Breach(index, hits[-1] + seconds)
            for key, amount, _ in windows:
                hits = self._hits.get(key)
                if hits is None or hits.maxlen != amount:
                    hits = self._hits[key] = deque(hits or (), maxlen=amount)
                hits.appendleft(now)
        return None

    def release(self, key):
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.popleft()

    def reset(self):
        with self._lock:
            self._hits.clear()

    def close(self):
        pass


class RedisWindows:
    """One connection per process, made at the first request (never before a fork), shared
    by its threads one command at a time: a round trip is short, and a pool's checkout and
    return would cost more than the command itself."""

    def __init__(self, url, prefix):
        self.prefix = prefix
        self.url = url
        self._connected = None  # (client, acquire script)
        self._lock = threading.Lock()

    def _connection(self):
        if self._connected is None:
            import redis  # only deployments that share counters need it
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            with self._lock:
                if self._connected is None:
                    # Once more on a new connection when Redis closed this one (a restart,
                    # an idle timeout). A hit whose answer was lost may count twice.
                    client = redis.Redis.from_url(self.url, single_connection_client=True,
                                                  retry=Retry(NoBackoff(), 1))
                    self._connected = client, client.register_script(ACQUIRE)
        return self._connected

    @property
    def redis(self):
        return self._connection()[0]

    def acquire(self, windows, now):
        arguments = [repr(now)]
        for _, amount, seconds in windows:
            arguments += [amount, seconds]
        script = self._connection()[1]
        index, entry = script(keys=[key for key, _, _ in windows], args=arguments)
        if not index:
            return None
        return Breach(index - 1, float(entry) + windows[index - 1][2])

    def release(self, key):
        self.redis.lpop(key)

    def reset(self):
        for key in self.redis.scan_iter(match=f"{self.prefix}/*", count=1000):
            self.redis.delete(key)

    def close(self):
        if self._connected is not None:
            self._connected[0].close()


def windows_from_url(url, prefix):
    if url.startswith("memory://"):
        return MemoryWindows()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisWindows(url, prefix)
    raise RuntimeError(f"IDP_RATELIMIT_STORAGE_URI: not memory:// or redis://: {url!r}")
