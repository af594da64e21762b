"""Build time and peak memory of the settlement circuit, per preset.

    python -m circuits.build_bench [--preset tiny,demo,mainnet] [--witness] [--cache DIR]

Each preset runs in a fresh process (so each peak RSS is its own): build the batch circuit
(gadget calls), compile it (--O2 elimination), hash its R1CS (the key cache's digest) and
store it in the compiled-circuit cache (`circuits.dsl.cache`); then a second fresh process
loads it from the cache. With `--witness`, the loading process also solves the witness of
an empty batch on the genesis state (every slot is evaluated, enabled or not, so this is
the cost of a full batch) and times `batch_inputs` and the solver separately. `--cache`
defaults to a new temporary folder (so the first process always builds). Times are wall seconds with this process's CPU
seconds in brackets (on a busy machine the CPU seconds are the ones to compare).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time


def _s(wall: float, cpu: float) -> str:
    """wall seconds (CPU seconds of this process): on a shared machine the two differ."""
    return f"{wall:.1f} ({cpu:.1f})"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _watch(c, every: float) -> None:
    """Print the build's progress to stderr every `every` seconds (constraints so far, RSS,
    CPU seconds): how a build too long to wait for is extrapolated."""
    import threading

    def loop():
        while True:
            time.sleep(every)
            print(f"progress: {c.n_constraints} constraints {c.n_signals} signals rss {_rss_mb():.0f} MB "
                  f"cpu {time.process_time():.0f} s", file=sys.stderr, flush=True)

    threading.Thread(target=loop, daemon=True).start()


def _child(preset_name: str, cache_dir: str, witness: bool, progress: float = 0) -> dict:
    from circuits.dsl import Circuit
    from circuits.dsl.cache import cached_compile
    from circuits.settlement import preset_named
    from circuits.settlement.batch import build_batch_circuit
    from prover.formats.r1cs import r1cs_sha256

    preset = preset_named(preset_name)
    times: dict = {}

    def build():
        t0, c0 = time.perf_counter(), time.process_time()
        c = Circuit("settlement")
        if progress:
            _watch(c, progress)
        build_batch_circuit(c, preset)
        t1, c1 = time.perf_counter(), time.process_time()
        times["build_mb"] = round(_peak_mb())
        cc = c.compile()
        times.update(build_s=_s(t1 - t0, c1 - c0),
                     compile_s=_s(time.perf_counter() - t1, time.process_time() - c1))
        return cc

    t0, c0 = time.perf_counter(), time.process_time()
    cc = cached_compile("settlement", {"preset": preset_name}, build, cache_dir)
    total = _s(time.perf_counter() - t0, time.process_time() - c0)
    t1, c1 = time.perf_counter(), time.process_time()
    digest = r1cs_sha256(cc.r1cs)
    out = {"preset": preset_name, "cache": cc.cache_note.split(":")[0], "constraints": cc.n_constraints,
           "terms": cc.r1cs.constraints.n_terms, "wires": cc.r1cs.n_wires, "signals": cc.n_signals,
           "seconds": total, "r1cs_sha256_s": _s(time.perf_counter() - t1, time.process_time() - c1),
           "r1cs_sha256": digest[:16], **times}
    if witness:
        from circuits.crypto.eddsa import PrivateKey
        from circuits.settlement.witness import batch_inputs
        from sequencer.spec import Batch, State, process_batch

        prices = tuple(1000 for _ in preset.markets)
        state = State.genesis(preset, PrivateKey.from_seed(b"zkclear-build-bench").public_key, 1, prices)
        record = process_batch(state, Batch(1, 1, prices, ()))
        t0, c0 = time.perf_counter(), time.process_time()
        inputs = batch_inputs(record, preset, cc)
        t1, c1 = time.perf_counter(), time.process_time()
        w = cc.witness(inputs)
        out.update(inputs_s=_s(t1 - t0, c1 - c0), witness_s=_s(time.perf_counter() - t1, time.process_time() - c1))
        assert cc.public_signals(w) == [record.digest]
    out["peak_mb"] = round(_peak_mb())
    return out


def run(preset: str, cache_dir: str, witness: bool) -> dict:
    cmd = [sys.executable, "-m", "circuits.build_bench", "--child", preset, "--cache", cache_dir]
    if witness:
        cmd.append("--witness")
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{preset}: {res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="tiny,demo")
    ap.add_argument("--cache", default=None, help="compiled-circuit cache folder (default: a new temporary one)")
    ap.add_argument("--witness", action="store_true", help="also solve an empty batch's witness after loading")
    ap.add_argument("--progress", type=float, default=0, help="print build progress every this many seconds")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.cache, args.witness, args.progress)))
        return 0
    with tempfile.TemporaryDirectory(prefix="zkclear-build-bench-") as tmp:
        cache = args.cache or tmp
        print("| preset | constraints | R1CS terms | build s | compile s | build+compile+store s | peak RSS MB "
              "| load s | load peak RSS MB | R1CS sha256 s |" + (" witness inputs s | solve s | peak MB |"
                                                                   if args.witness else ""))
        print("|---" * (10 + 3 * args.witness) + "|")
        for name in args.preset.split(","):
            first = run(name, cache, False)
            second = run(name, cache, args.witness)
            assert second["cache"] == "hit", second
            row = (f"| {name} | {first['constraints']:,} | {first['terms']:,} | {first.get('build_s', '-')} "
                   f"| {first.get('compile_s', '-')} | {first['seconds']} | {first['peak_mb']:,} (built {first.get('build_mb', '-')}) "
                   f"| {second['seconds']} | {second['peak_mb'] if not args.witness else '-'} "
                   f"| {second['r1cs_sha256_s']} |")
            if args.witness:
                row += f" {second['inputs_s']} | {second['witness_s']} | {second['peak_mb']:,} |"
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
