"""The response cache's store on its own: byte bounds, reclaiming an API's entries, Vary changes."""

from __future__ import annotations

from apim_gateway.runtime.response_cache import ENTRY_OVERHEAD, BaseKey, ResponseCache


def _key(path: str, api: str = "api-1") -> BaseKey:
    return ("carbon.super", api, "rev-1", "GET", path, "", "", "", "app-1", "alice", "PRODUCTION")


def _answer(size: int) -> tuple[int, tuple[tuple[bytes, bytes], ...], bytes]:
    return 200, (), b"x" * size


def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    cache = ResponseCache(max_bytes=3 * (100 + ENTRY_OVERHEAD), max_entry_bytes=1000)
    for path in ("/a", "/b", "/c"):
        assert cache.put(_key(path), (), [], _answer(100), 60)
    assert cache.get(_key("/a"), []) is not None  # /b is now the least recently used
    cache.put(_key("/d"), (), [], _answer(100), 60)
    assert [cache.get(_key(p), []) is not None for p in ("/a", "/b", "/c", "/d")] == [True, False, True, True]
    assert cache.size == 3 * (100 + ENTRY_OVERHEAD)


def test_an_answer_larger_than_the_entry_bound_is_not_kept() -> None:
    cache = ResponseCache(max_entry_bytes=10)
    assert not cache.put(_key("/a"), (), [], _answer(11), 60)
    assert len(cache) == 0


def test_dropping_an_api_reclaims_its_entries_and_bytes_only() -> None:
    cache = ResponseCache()
    cache.put(_key("/a"), ("accept-language",), [("accept-language", "en")], _answer(10), 60)
    cache.put(_key("/a"), ("accept-language",), [("accept-language", "fr")], _answer(10), 60)
    cache.put(_key("/b", api="api-2"), (), [], _answer(10), 60)
    cache.drop_api("api-1")
    assert len(cache) == 1
    assert cache.size == 10 + ENTRY_OVERHEAD
    assert cache.get(_key("/b", api="api-2"), []) is not None


def test_an_expired_entry_is_a_miss_and_goes() -> None:
    now = [100.0]
    cache = ResponseCache(clock=lambda: now[0])
    cache.put(_key("/a"), (), [], _answer(10), 5)
    now[0] += 5
    assert cache.get(_key("/a"), []) is None
    assert (len(cache), cache.size) == (0, 0)


def test_a_backend_naming_other_vary_headers_replaces_the_old_variants() -> None:
    cache = ResponseCache()
    cache.put(_key("/a"), ("accept-language",), [("accept-language", "en")], _answer(10), 60)
    cache.put(_key("/a"), ("x-region",), [("x-region", "eu")], _answer(10), 60)
    assert len(cache) == 1
    assert cache.get(_key("/a"), [("x-region", "eu"), ("accept-language", "en")]) is not None
    assert cache.get(_key("/a"), [("x-region", "us")]) is None
