"""Speed of circuits.crypto: native Poseidon against the Python reference, and the pure-Python
Baby Jubjub / EdDSA / Merkle operations.

    python -m circuits.crypto.bench [--quick]

Prints one line per measurement: per-call time of `poseidon_hash_python`, `poseidon_hash`
(native, one call per hash) and `poseidon_hash_many` (native, one batch), and the ratios.
"""
from __future__ import annotations

import argparse
import random
import time

from circuits.crypto import poseidon
from circuits.crypto.eddsa import PrivateKey, verify_poseidon
from circuits.crypto.merkle import MerkleTree
from circuits.crypto.poseidon import poseidon_hash, poseidon_hash_many, poseidon_hash_python
from prover.field import R


def per_call(fn, n: int) -> float:
    """Seconds per call of fn() (the best of 3 runs of n calls)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def bench_poseidon(quick: bool) -> None:
    native = poseidon._native_for(2) is not None
    print(f"Poseidon (native extension {'present' if native else 'ABSENT: poseidon_hash is the Python path'})")
    print(f"{'inputs':>6} {'python':>10} {'native':>10} {'batch':>10} {'native/py':>10} {'batch/py':>9}")
    rng = random.Random(1)
    for n in (1, 2, 4, 5, 8, 16):
        xs = [rng.randrange(R) for _ in range(n)]
        rows = [[rng.randrange(R) for _ in range(n)] for _ in range(256 if quick else 4096)]
        poseidon_hash(xs)  # register the width outside the timing
        py = per_call(lambda: poseidon_hash_python(xs), 10 if quick else 60)
        one = per_call(lambda: poseidon_hash(xs), 300 if quick else 3000)
        batch = per_call(lambda: poseidon_hash_many(rows), 1) / len(rows)
        print(f"{n:>6} {py * 1e6:>8.1f}us {one * 1e6:>8.1f}us {batch * 1e6:>8.2f}us "
              f"{py / one:>9.1f}x {py / batch:>8.1f}x")


def bench_others(quick: bool) -> None:
    key = PrivateKey.from_seed(b"bench")
    key.public_key
    sign = per_call(lambda: key.sign(12345), 5 if quick else 30)
    sig = key.sign(12345)
    verify = per_call(lambda: verify_poseidon(12345, sig, key.public_key), 5 if quick else 30)
    print(f"EdDSA-Poseidon: sign {sign * 1e3:.2f} ms, verify {verify * 1e3:.2f} ms")
    tree = MerkleTree(20, 2)
    upd = per_call(lambda: tree.update(random.randrange(2**20), 7), 20 if quick else 200)
    tree4 = MerkleTree(10, 4)
    upd4 = per_call(lambda: tree4.update(random.randrange(4**10), 7), 20 if quick else 200)
    n = 1024 if quick else 16384
    start = time.perf_counter()
    MerkleTree.from_leaves(20, list(range(n)), 2)
    build = time.perf_counter() - start
    print(f"Merkle: depth-20 binary update {upd * 1e3:.2f} ms, depth-10 4-ary update {upd4 * 1e3:.2f} ms, "
          f"depth-20 binary from {n} leaves (batched) {build:.2f} s")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args(argv)
    bench_poseidon(args.quick)
    bench_others(args.quick)


if __name__ == "__main__":
    main()
