"""Micro-benchmark of the prover's h transform (native fft.rs): one domain -> odd-coset
transform (an inverse NTT, the coset shift and a forward NTT, tables made once as the resident
prover keeps them) at 2^k points, in process, median of --repeat rounds after a warm-up.

    python -m prover.bench.fft --powers 16,20,22 --repeat 5 [--cpu]

--cpu times the process's CPU seconds on one thread instead of wall seconds on all cores
(ZKCLEAR_PROFILE=cpu, RAYON_NUM_THREADS=1): the transform's own cost on a machine busy with
other work.

The whole h phase of a proof does three of these (A·w, B·w, C·w) and one product; a proof's
profile (ZKCLEAR_PROFILE=1) reports it as h_ffts. Where the CPU has AVX-512 IFMA the transform
runs in lanes (fft_lanes.rs); ZKCLEAR_LANES=0 times the scalar path instead."""
from __future__ import annotations

import argparse
import json
import os
import statistics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m prover.bench.fft", description=__doc__.split("\n\n")[0])
    ap.add_argument("--powers", default="16,20,22", help="comma-separated k for 2^k points (default 16,20,22)")
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds per size; the median is kept")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--cpu", action="store_true", help="CPU seconds on one thread, not wall seconds")
    args = ap.parse_args(argv)
    if args.cpu:  # read by the native clock and by rayon when the extension first uses them
        os.environ["ZKCLEAR_PROFILE"] = "cpu"
        os.environ["RAYON_NUM_THREADS"] = "1"
    from prover import _native as native

    rows = {}
    for k in (int(p) for p in args.powers.split(",")):
        times = native.fr_odd_coset_bench(k, args.repeat)
        rows[k] = {"median_s": statistics.median(times), "min_s": min(times), "rounds": len(times)}
        if not args.json:
            print(f"2^{k:<3} median {rows[k]['median_s']:.4f} s  min {rows[k]['min_s']:.4f} s  ({len(times)} rounds)",
                  flush=True)
    if args.json:
        print(json.dumps({"clock": "cpu, 1 thread" if args.cpu else "wall", **{f"2^{k}": v for k, v in rows.items()}}))


if __name__ == "__main__":
    main()
