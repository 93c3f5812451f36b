"""images.lru.LRU: bounded, the least recently used entry goes first."""

from images.lru import LRU


def test_the_least_recently_used_entry_goes_first():
    kept = LRU(2)
    kept.set("a", 1)
    kept.set("b", 2)
    assert kept.get("a") == 1  # now "b" is the least recently used
    kept.set("c", 3)
    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c")) == (1, 3)
