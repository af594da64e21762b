"""The resident prover as the benchmark runs it: one process loads and preprocesses a .zkey,
proves the witness `warm` times untimed and `runs` times timed (in-process, as a proving
worker proves batch after batch), writes the last proof and the public signals (snarkjs JSON)
and prints

    RESIDENT_PREPROCESS_S 1.234 TABLE_MB 137.0
    RESIDENT_PROVE_S median=0.412 min=0.398 max=0.430 n=5

    python -m prover.bench.resident_run ZKEY WTNS PROOF PUBLIC [--warm 1] [--runs 5] [--table-mb 1024]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m prover.bench.resident_run")
    for name in ("zkey", "wtns", "proof", "public"):
        p.add_argument(name)
    p.add_argument("--warm", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--table-mb", type=float, default=1024)
    args = p.parse_args(argv)

    from prover.formats.snarkjs_json import write_proof
    from prover.formats.wtns import read_wtns
    from prover.resident import ResidentProver

    t0 = time.perf_counter()
    rp = ResidentProver(args.zkey, table_mb=args.table_mb)
    print(f"RESIDENT_PREPROCESS_S {time.perf_counter() - t0:.3f} TABLE_MB {rp.table_bytes / 2**20:.1f}", flush=True)
    wtns = open(args.wtns, "rb").read()
    times, proof = [], None
    for i in range(args.warm + args.runs):
        t0 = time.perf_counter()
        proof = rp.prove(wtns)
        if i >= args.warm:
            times.append(time.perf_counter() - t0)
    write_proof(args.proof, proof)
    witness = read_wtns(wtns)
    with open(args.public, "w") as f:
        json.dump([str(x) for x in witness[1:1 + rp.n_public]], f)
    print(f"RESIDENT_PROVE_S median={statistics.median(times):.4f} min={min(times):.4f} "
          f"max={max(times):.4f} n={len(times)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
