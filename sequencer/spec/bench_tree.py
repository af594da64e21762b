"""Time the state tree at full size: `python -m sequencer.spec.bench_tree [--bits 20] [--arity 2|4]`.

For 2^bits leaves with M = 4 markets (MAINNET), as a 4-ary and as a binary tree:

- dense build: `BoxTree.build` with every leaf non-empty (random leaf hashes and boxes);
- sparse build: `BoxTree.build` from `--sparse` accounts, ids 0..n-1 as the state hands them out;
- updates: `--updates` single-leaf `update`s (random leaf, hash and box) of the dense tree;
- leaves_outside after a price move, on the dense tree.

The leaf hashes are random field elements: hashing the accounts' data (`state.account_hash`,
one Poseidon(6 + 2M) per account) is the state's cost, not the tree's. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import random
import time

import numpy as np

from .constants import FUNDING_MAX, FUNDING_MIN, GRID_MAX, MAINNET
from .tree import BoxTree


def random_leaves(rng: np.random.Generator, n: int, m: int) -> tuple[list[int], np.ndarray]:
    """n random field elements (< 2^248 < r) and n random boxes around ladder index 30000."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    raw[:, 31] = 0
    data = raw.tobytes()
    hashes = [int.from_bytes(data[i:i + 32], "little") for i in range(0, len(data), 32)]
    lo = rng.integers(0, 30000, size=(n, m))
    hi = rng.integers(30000, GRID_MAX + 1, size=(n, m))
    flo = rng.integers(FUNDING_MIN, 0, size=(n, m))
    fhi = rng.integers(0, FUNDING_MAX, size=(n, m))
    return hashes, np.stack([lo, hi, flo, fhi], axis=-1)


def timed(f):
    """f(), and its (wall, CPU) seconds: CPU of all the process's threads, which shows the work
    done when other processes share the cores (wall = CPU / cores on an idle machine)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = f()
    return out, (time.perf_counter() - w0, time.process_time() - c0)


def cell(t: tuple[float, float], digits: int = 2) -> str:
    return f"{t[0]:.{digits}f} s (cpu {t[1]:.{digits}f})"


def bench(arity: int, bits: int, m: int, sparse: int, updates: int) -> dict:
    depth = bits // (arity.bit_length() - 1)
    n = arity ** depth
    rng = np.random.default_rng(1)
    hashes, leaf_boxes = random_leaves(rng, n, m)
    dense, t_dense = timed(lambda: BoxTree.build(arity, depth, m, leaf_hashes=hashes, leaf_boxes=leaf_boxes))
    k = min(sparse, n)
    accounts = [(i, hashes[i], tuple(map(tuple, leaf_boxes[i].tolist()))) for i in range(k)]
    _, t_sparse = timed(lambda: BoxTree.build(arity, depth, m, leaves=accounts))
    r = random.Random(2)
    writes = [(r.randrange(n), r.randrange(1 << 248), accounts[r.randrange(k)][2]) for _ in range(updates)]

    def run_updates():
        for index, h, b in writes:
            dense.update(index, h, b)
    _, t_updates = timed(run_updates)
    outside, t_outside = timed(lambda: dense.leaves_outside([29990] * m, [0] * m))
    return dict(arity=arity, depth=depth, n=n, sparse=k, dense=t_dense, sparse_t=t_sparse,
                updates=updates, updates_t=t_updates, outside=len(outside), outside_t=t_outside)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arity", type=int, choices=(2, 4), action="append",
                    help="repeatable; default: 4 and 2")
    ap.add_argument("--bits", type=int, default=MAINNET.account_bits)
    ap.add_argument("--sparse", type=int, default=10_000, help="accounts in the sparse build")
    ap.add_argument("--updates", type=int, default=1000)
    args = ap.parse_args(argv)
    m = MAINNET.num_markets
    rows = [bench(a, args.bits, m, args.sparse, args.updates) for a in args.arity or (4, 2)]
    print(f"2^{args.bits} leaves, M = {m} markets, {os.cpu_count()} cores; wall seconds (CPU seconds)\n")
    print(f"| tree | dense build ({rows[0]['n']} leaves) | sparse build ({rows[0]['sparse']} accounts) "
          f"| {args.updates} updates | per update | leaves_outside |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        per_update = r["updates_t"][0] / r["updates"] * 1e3
        print(f"| {r['arity']}-ary, depth {r['depth']} | {cell(r['dense'])} | {cell(r['sparse_t'], 3)} "
              f"| {cell(r['updates_t'])} | {per_update:.3f} ms | {r['outside_t'][0]:.3f} s ({r['outside']} leaves) |")


if __name__ == "__main__":
    main()
