"""The on-disk cache of compiled circuits (circuits.dsl.cache, registry.build_cached)."""
from __future__ import annotations

import threading

from circuits import registry
from circuits.dsl import Circuit
from circuits.dsl.cache import cache_key, cached_compile
from circuits.gadgets.bits import to_bits
from prover.formats.r1cs import r1cs_to_bytes


def _fresh():
    registry._disk_cached.cache_clear()
    registry._build_cached.cache_clear()


def test_second_build_loads_the_same_circuit_and_its_hints_work(tmp_path):
    _fresh()
    first = registry.build_cached("less_than", cache_dir=tmp_path, n=8)
    assert first.cache_note.startswith("stored")
    assert len(list(tmp_path.glob("less_than-*.circuit"))) == 1
    _fresh()
    again = registry.build_cached("less_than", cache_dir=tmp_path, n=8)
    assert again.cache_note.startswith("hit")
    assert again is not first
    assert r1cs_to_bytes(again.r1cs) == r1cs_to_bytes(first.r1cs)
    inputs = {"in": [3, 200]}  # to_bits's hint is a lambda over n: rebuilt from its code
    assert again.witness(inputs) == first.witness(inputs)
    assert again.outputs(again.witness(inputs)) == {"out": 1}


def test_another_parameter_misses(tmp_path):
    _fresh()
    registry.build_cached("less_than", cache_dir=tmp_path, n=8)
    other = registry.build_cached("less_than", cache_dir=tmp_path, n=16)
    assert other.cache_note.startswith("stored")
    assert len(list(tmp_path.glob("less_than-*.circuit"))) == 2


def _tiny_circuit():
    c = Circuit("t")
    c.output("bits", to_bits(c, c.private_input("x"), 4))
    return c.compile()


def test_a_changed_source_misses(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "gadget.py").write_text("X = 1\n")
    cache, builds = tmp_path / "cache", []

    def build():
        builds.append(1)
        return _tiny_circuit()

    key = cache_key("t", {}, root=tmp_path, sources=("src",))
    assert cached_compile("t", {}, build, cache, root=tmp_path, sources=("src",)).cache_note.startswith("stored")
    assert cached_compile("t", {}, build, cache, root=tmp_path, sources=("src",)).cache_note.startswith("hit")
    assert len(builds) == 1
    (src / "gadget.py").write_text("X = 2\n")
    assert cache_key("t", {}, root=tmp_path, sources=("src",)) != key
    assert cached_compile("t", {}, build, cache, root=tmp_path, sources=("src",)).cache_note.startswith("stored")
    (src / "more.py").write_text("")  # a new file in a source folder counts too
    assert cached_compile("t", {}, build, cache, root=tmp_path, sources=("src",)).cache_note.startswith("stored")
    assert len(builds) == 3
    assert cache_key("t", {"n": 1}, root=tmp_path, sources=("src",)) != cache_key("t", {"n": 2}, root=tmp_path,
                                                                                  sources=("src",))


def test_a_corrupt_entry_is_rebuilt(tmp_path):
    args = ("t", {}, _tiny_circuit, tmp_path)
    cached_compile(*args)
    (entry,) = tmp_path.glob("t-*.circuit")
    entry.write_bytes(entry.read_bytes()[:100])
    cc = cached_compile(*args)
    assert cc.cache_note.startswith("stored")
    assert cc.outputs(cc.witness({"x": 5}))["bits"] == [1, 0, 1, 0]


def test_a_hint_that_cannot_be_stored_leaves_the_circuit_uncached(tmp_path):
    lock = threading.Lock()

    def build():
        c = Circuit("t")
        x = c.private_input("x")
        y = c.hint(lambda v: v + 0 * bool(lock), x)  # captures a lock: not picklable
        c.assert_equal(y, x)
        c.output("y", y)
        return c.compile()

    cc = cached_compile("t", {}, build, tmp_path)
    assert cc.cache_note.startswith("not cached")
    assert cc.outputs(cc.witness({"x": 7}))["y"] == 7
    assert not list(tmp_path.glob("*.circuit"))
