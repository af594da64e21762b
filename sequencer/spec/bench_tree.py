"""Time the state tree at full size: `python -m sequencer.spec.bench_tree [--arity 2|4] [--bits 20]`.

Builds a tree of 2^bits accounts with M = 4 markets from scratch (leaf data hashes of 14
field elements, then the levels, each batched through `poseidon_hash_many`), then times
single-leaf updates (one path each) and `leaves_outside` after a price move.
"""
from __future__ import annotations

import argparse
import random
import time

import numpy as np

from .constants import FUNDING_MAX, FUNDING_MIN, GRID_MAX, MAINNET
from .hashing import poseidon_hash_many
from .tree import BoxTree


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arity", type=int, default=MAINNET.arity, choices=(2, 4))
    ap.add_argument("--bits", type=int, default=MAINNET.account_bits)
    ap.add_argument("--updates", type=int, default=1000)
    args = ap.parse_args(argv)
    m = MAINNET.num_markets
    n = 1 << args.bits
    depth = args.bits // (args.arity.bit_length() - 1)
    rng = np.random.default_rng(1)

    # synthetic leaves: 6 + 2M random field-sized inputs, boxes around ladder 30000
    t0 = time.perf_counter()
    cols = [rng.integers(0, 1 << 62, size=n, dtype=np.int64).tolist() for _ in range(6 + 2 * m)]
    rows = [list(r) for r in zip(*cols)]
    lo = rng.integers(0, 30000, size=(n, m))
    hi = rng.integers(30000, GRID_MAX + 1, size=(n, m))
    leaf_boxes = np.stack([lo, hi, np.full((n, m), FUNDING_MIN), np.full((n, m), FUNDING_MAX)], axis=-1)
    t1 = time.perf_counter()
    leaf_hashes = poseidon_hash_many(rows)
    t2 = time.perf_counter()
    tree = BoxTree.build(args.arity, depth, m, leaf_hashes=leaf_hashes, leaf_boxes=leaf_boxes)
    t3 = time.perf_counter()
    r = random.Random(2)
    for _ in range(args.updates):
        tree.update(r.randrange(n), r.randrange(1 << 250), tuple((0, GRID_MAX, FUNDING_MIN, FUNDING_MAX)
                                                                for _ in range(m)))
    t4 = time.perf_counter()
    outside = tree.leaves_outside([29990] * m, [0] * m)
    t5 = time.perf_counter()
    print(f"accounts 2^{args.bits} = {n}, arity {args.arity}, depth {depth}, M = {m}")
    print(f"  synthetic leaf data      {t1 - t0:7.2f} s (not counted)")
    print(f"  leaf data hashes         {t2 - t1:7.2f} s ({n} x Poseidon({6 + 2 * m}))")
    print(f"  tree levels              {t3 - t2:7.2f} s")
    print(f"  build total              {t3 - t1:7.2f} s")
    print(f"  single-leaf update       {(t4 - t3) / args.updates * 1e3:7.3f} ms (one path, {depth} levels)")
    print(f"  leaves_outside           {t5 - t4:7.2f} s ({len(outside)} leaves outside)")


if __name__ == "__main__":
    main()
