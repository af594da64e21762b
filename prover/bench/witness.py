"""Where a batch witness's time goes: the witness `bench settlement --full` times, split into
its phases, without the bench's key setup and proofs.

    python -m prover.bench.witness --preset mainnet [--flow-batches 60] [--seed 1] [--repeat 3] [--cpu] [--json]

The preset's whole batch circuit comes from the compiled-circuit cache
(`circuits.registry.build_cached`: built and stored at the first run, ~85 s and 2.6 GB at
mainnet, then loaded in seconds), the batch is the fullest of --flow-batches batches of the
random flow (as the bench's). Each round times the bench's witness as a whole (`witness`:
`witness_wtns(batch_inputs(...))` on a fresh native program, its making included), then the
same again a phase at a time: `inputs` (batch_inputs), `program` (the native
WitnessProgram made from the circuit's arrays), `solve` (witness_wtns with the program made;
its Rust phases are printed on stderr by ZKCLEAR_PROFILE=1). Medians of --repeat rounds.

--cpu times the process's CPU seconds on one thread (RAYON_NUM_THREADS=1) instead of wall
seconds: the witness's own cost on a machine busy with other work."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m prover.bench.witness", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="mainnet")
    ap.add_argument("--flow-batches", type=int, default=60, help="batches of the random flow (the fullest is solved)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds; the medians are kept")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--cpu", action="store_true", help="CPU seconds on one thread, not wall seconds")
    args = ap.parse_args(argv)
    if args.cpu:  # read by rayon when the extension first uses it
        os.environ["RAYON_NUM_THREADS"] = "1"
    from circuits.registry import build_cached
    from circuits.settlement.bench import _flow_record
    from circuits.settlement.witness import batch_inputs
    from sequencer.spec.constants import PRESETS

    clock = time.process_time if args.cpu else time.perf_counter
    preset = PRESETS[args.preset]
    t0 = time.perf_counter()
    compiled = build_cached("settlement", preset=args.preset)
    note = f"circuit {compiled.cache_note.split(':')[0]} in {time.perf_counter() - t0:.1f} s"
    record, stats, _ = _flow_record(preset, args.flow_batches, args.seed)
    if not args.json:
        print(f"{args.preset}: {compiled.n_constraints} constraints ({note}); batch of {stats.trades} trades",
              flush=True)
    rounds: dict[str, list[float]] = {k: [] for k in ("witness", "inputs", "program", "solve")}
    for _ in range(args.repeat):
        compiled._native = None  # a fresh program, as in the bench's child process
        t = clock()
        compiled.witness_wtns(batch_inputs(record, preset, compiled))
        rounds["witness"].append(clock() - t)
        compiled._native = None
        t = clock()
        inputs = batch_inputs(record, preset, compiled)
        rounds["inputs"].append(clock() - t)
        t = clock()
        compiled.native_program()
        rounds["program"].append(clock() - t)
        t = clock()
        compiled.witness_wtns(inputs)
        rounds["solve"].append(clock() - t)
        if not args.json:
            print("  ".join(f"{k} {v[-1]:.3f}" for k, v in rounds.items()), flush=True)
    medians = {k: round(statistics.median(v), 3) for k, v in rounds.items()}
    if args.json:
        print(json.dumps({"preset": args.preset, "clock": "cpu, 1 thread" if args.cpu else "wall",
                          "trades": stats.trades, "median_s": medians, "load": os.getloadavg()}))
    else:
        print(f"median ({'CPU s, 1 thread' if args.cpu else 'wall s'}): "
              + "  ".join(f"{k} {v:.3f}" for k, v in medians.items()) + f"  (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
