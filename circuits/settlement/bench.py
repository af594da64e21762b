"""`zkclear bench settlement`: what a settlement batch costs to prove, and trades per second.

    zkclear bench settlement [--preset P] [--trades 1,8,64 | --full] [--repeat N] [--json]
                             [--rapidsnark PATH] [--keep DIR]
    (also: python -m circuits.settlement.bench ...)

Rows:

- `--trades n` (each n): the preset's shape (tree, markets) with n trade slots and no other
  op slots; a spec state with 2n funded accounts, each boxed (by an earlier touch) for its
  position after the trade, so the batch needs no touch; one batch of n co-signed trades
  between distinct pairs. The cost of trade slots alone.
- `--full`: the preset's whole batch circuit, every slot (what a venue pays for every
  batch), from the compiled-circuit cache (`circuits.registry.build_cached`; `build_cache`
  says whether it was built or loaded), its witness for the fullest batch of the random
  trading flow (`sequencer.flow`, `--flow-batches` batches from genesis), and the flow's
  touches per trade and per-batch mix.

Each row runs in a fresh child process (so its build's peak memory is its own): build the
circuit, solve the witness (`witness_s`: its .wtns bytes from the batch record, as the
sequencer's prover makes them, the witness program's first run in the process included),
make a development key with the native backend, prove in process
(`prove_inproc_s`, the median of `--repeat`) and write the .zkey, .wtns and vk. Then the
proof is made `--repeat` times by a fresh `zkclear prove` process (whole process: reading
the key included, no tables left from an earlier run; `prove_s` is the median wall time,
`peak_rss_mb` the largest peak RSS of those processes, `prove_cpu_s` their median CPU
seconds: on a shared machine wall times stretch with the load, CPU seconds much less) and each proof is checked by
`zkclear verify` (`verified`). `resident_prove_s` is the proof time of `prover.resident`'s
ResidentProver, which holds the key and its tables in memory across batches (its load is not
timed), or null where the native extension has none.

    trades_per_s = trades_per_batch / (witness_s + prove_s)

(and `trades_per_s_resident` with the resident proof time). With `--rapidsnark PATH` (rapidsnark's
`prover`, built outside the repository) the same .zkey and .wtns are also proven by rapidsnark,
whole process, `--repeat` times (`rapidsnark_prove_s`, `rapidsnark_peak_rss_mb`,
`rapidsnark_verified`). `--keep DIR` keeps each row's key, witness, vk and proofs in
DIR/<preset>-<row> (a mainnet key is GBs: keep it outside the repository). The child reports its
peak RSS after the build, the witness, the setup and at its end; it prints a progress line on
stderr as each step ends, and `load` records the machine's load averages (a shared machine).
At mainnet the child never parses the key in Python (the vk comes from its header and IC
sections, `read_zkey_vk`), and its in-process proofs read the .wtns written to disk. `trades_per_batch` is n for a
`--trades` row; for a `--full` row it is the mean over every batch of the flow (the batches
a venue would settle, the first ones included), so trades_per_s is the honest figure of
issue 12: the trades a batch of the preset settles on the flow, over the witness and proof
time of the preset's whole circuit; `trades` is then the measured batch's count. `--json` prints one JSON object with a
`rows` list (keys as in `Row`), else a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

from circuits.crypto.eddsa import PrivateKey
from circuits.dsl import Circuit
from sequencer.spec import Batch, Deposit, Register, State, Touch, Trade, message_hash, process_batch, process_op
from sequencer.spec.constants import PRESETS, Preset
from sequencer.spec.transition import box_holding

from .batch import build_batch_circuit
from .ops import SLOTS
from .witness import batch_inputs

ADDRESS = 0xBE0C000000000000000000000000000000000000


def trade_preset(preset: Preset, n: int) -> Preset:
    return replace(preset, **{**{attr: 0 for _, attr, _ in SLOTS}, "trade_slots": n})


def trading_state(preset: Preset, n: int):
    """A state with 2n funded accounts, boxed for their trades (as a touch in an earlier
    batch leaves them), and the batch of n trades (accounts 2i+1 buy from 2i+2)."""
    keys = [PrivateKey.from_seed(b"zkclear-bench-%d" % i) for i in range(2 * n + 1)]
    prices = tuple(1000 for _ in preset.markets)
    state = State.genesis(preset, keys[0].public_key, ADDRESS, prices)
    for i in range(1, 2 * n + 1):
        reg = Register(index=state.registration_index, pubkey=keys[i].public_key, l1_address=ADDRESS + i)
        process_op(state, reg)
        assert reg.account == i
        process_op(state, Deposit(index=state.deposit_index, account=i, amount=10**15))
    trades = []
    for k in range(n):
        buyer, seller = 2 * k + 1, 2 * k + 2
        mk = preset.markets[k % preset.num_markets]
        unsigned = Trade(market=k % preset.num_markets, size=10, price=1000 * mk.price_step, buyer=buyer,
                         seller=seller, buyer_nonce=1, seller_nonce=1, expiry=10, fee=100)
        msg = message_hash(unsigned, preset.domain)
        trades.append(replace(unsigned, buyer_signature=keys[buyer].sign(msg),
                              seller_signature=keys[seller].sign(msg)))
    # box each account for its state after the trade: what the sequencer's touch does
    state.begin()
    state.observed = {}
    for t in trades:
        process_op(state, t)
    after, state.observed = state.observed, None
    state.rollback()
    for i, later in after.items():
        process_op(state, Touch(i, box_holding(state, i, later)))
    return state, Batch(1, 1, prices, tuple(trades))




@dataclass
class Row:
    """One row of the benchmark (JSON keys: keep these names)."""

    preset: str
    trades: int  # trades the measured batch settles
    trades_per_batch: float  # trade rows: trades; --full: the flow's mean over all its batches
    full: bool  # the preset's whole batch circuit (else: n trade slots and nothing else)
    trade_slots: int
    constraints: int
    domain_log2: int
    build_s: float  # building (or, with build_cache "hit", loading) the compiled circuit
    build_cache: str  # "built" for the trade-slot circuits; "hit" / "miss" for the full circuit's cache
    build_peak_mb: float  # peak RSS of the child process once the circuit is built
    witness_s: float
    witness_cpu_s: float  # CPU seconds of the witness (on a shared machine, the figure to compare)
    setup_s: float
    prove_inproc_s: float  # in the child process, key already in memory (median)
    prove_s: float  # a fresh `zkclear prove` process, whole process (median wall)
    prove_cpu_s: float  # its CPU seconds, user + system, all threads (median): on 2 idle cores ~2x prove_s
    peak_rss_mb: float  # the largest peak RSS of those `zkclear prove` processes
    resident_prove_s: Optional[float]  # a resident prover (key held across proofs), when there is one
    trades_per_s: float  # trades_per_batch / (witness_s + prove_s)
    trades_per_s_resident: Optional[float]
    verified: bool  # every whole-process proof passed `zkclear verify`
    zkey_mb: float
    touches_per_trade: Optional[float] = None  # --full: on the random flow
    flow: Optional[dict] = None  # --full: the flow's per-batch mix (sequencer.flow.FlowSummary)
    batch_mix: Optional[dict] = None  # --full: the ops of the measured batch, per kind
    witness_peak_mb: Optional[float] = None  # peak RSS of the child once the witness is solved
    setup_peak_mb: Optional[float] = None  # ... once the development key is made (build and witness included)
    child_peak_mb: Optional[float] = None  # ... at its end (in-process proofs included)
    wires: Optional[int] = None  # the R1CS's wires (the key's A, B1, B2 and C sections have one point each)
    rapidsnark_prove_s: Optional[float] = None  # --rapidsnark: its whole process on the same .zkey/.wtns (median)
    rapidsnark_peak_rss_mb: Optional[float] = None
    rapidsnark_verified: Optional[bool] = None  # each of its proofs passed `zkclear verify`
    load: Optional[str] = None  # the load averages (1, 5, 15 min) when the row ended: the machine is shared


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _progress(text: str) -> None:
    """A line on stderr as each step ends (a full mainnet row runs for tens of minutes)."""
    print(f"bench settlement: {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def _flow_record(preset: Preset, batches: int, seed: int):
    """The fullest batch (most trades, the latest of equals) of `batches` batches of the
    random flow, and the flow's summary."""
    from sequencer.flow import Flow

    flow = Flow(preset, seed)
    best = None
    for record, stats in flow.run(batches):
        if best is None or stats.trades >= best[1].trades:
            best = (record, stats)
    return best[0], best[1], flow.summary


def _forget_circuits() -> None:
    """Drop every compiled circuit this process holds (circuits.registry's in-memory caches)."""
    import gc

    from circuits import registry

    for cached in (registry._disk_cached, registry._build_cached):
        cached.cache_clear()
    gc.collect()


def _child(preset_name: str, trades: int, full: bool, repeat: int, workdir: str, flow_batches: int,
           seed: int) -> dict:
    """Build, witness, set up and prove in process; write w.wtns, k.zkey, vk.json to workdir."""
    from prover.backends import get_backend
    from prover.field import R
    from prover.formats.snarkjs_json import write_vk
    from prover.formats.r1cs import r1cs_to_bytes
    from prover.formats.binfile import write_atomic
    from prover.formats.zkey import read_zkey_vk
    from prover.groth16.setup import ToxicWaste

    preset = PRESETS[preset_name]
    out: dict = {"preset": preset_name, "full": full}
    t0 = time.perf_counter()
    if full:
        from circuits.registry import build_cached

        shape = preset
        compiled = build_cached("settlement", preset=preset_name)
        out["build_cache"] = compiled.cache_note.split(":")[0]
    else:
        shape = trade_preset(preset, trades)
        c = Circuit("settlement")
        build_batch_circuit(c, shape)
        compiled = c.compile()
        out["build_cache"] = "built"
    out["build_s"] = round(time.perf_counter() - t0, 2)
    out["build_peak_mb"] = round(_peak_mb())
    _progress(f"{preset_name} circuit {out['build_cache']} in {out['build_s']} s, peak RSS {out['build_peak_mb']} MB")
    if full:
        record, stats, summary = _flow_record(shape, flow_batches, seed)
        out["trades"] = stats.trades
        out["trades_per_batch"] = round(summary.total("trades") / len(summary.batches), 2)
        out["touches_per_trade"] = round(summary.touches_per_trade, 4)
        out["flow"] = summary.to_json()
        mix: dict = {}
        for op in record.batch.ops:
            mix[type(op).__name__] = mix.get(type(op).__name__, 0) + 1
        out["batch_mix"] = mix
    else:
        state, batch = trading_state(shape, trades)
        record = process_batch(state, batch)
        out["trades"] = out["trades_per_batch"] = trades
    out["trade_slots"] = shape.trade_slots
    out["constraints"] = compiled.n_constraints
    out["domain_log2"] = (compiled.n_constraints + compiled.r1cs.n_pub_in + compiled.r1cs.n_pub_out).bit_length()
    t0, c0 = time.perf_counter(), time.process_time()
    # the .wtns bytes, as the sequencer's prover makes them (sequencer/proving.py): a list of
    # 4M Python ints is no part of proving a batch
    wtns = compiled.witness_wtns(batch_inputs(record, shape, compiled))
    out["witness_s"] = round(time.perf_counter() - t0, 3)
    out["witness_cpu_s"] = round(time.process_time() - c0, 3)
    out["witness_peak_mb"] = round(_peak_mb())
    _progress(f"witness {out['witness_s']} s")
    work = Path(workdir)
    write_atomic(work / "w.wtns", wtns)
    public = compiled.public_from_wtns(wtns)
    (work / "c.r1cs").write_bytes(r1cs_to_bytes(compiled.r1cs))
    out["wires"] = compiled.r1cs.n_wires
    # The setup needs only the R1CS: free the circuit (its Python structures, the native witness
    # program, the lists of checks) first; at mainnet they are GBs the setup's own peak would sit on.
    del compiled, wtns, record
    _forget_circuits()
    be = get_backend("native")
    t0 = time.perf_counter()
    zkey = work / "k.zkey"
    be.setup_file(work / "c.r1cs", ToxicWaste.random(), zkey)  # streamed: the key is never in memory
    (work / "c.r1cs").unlink()
    out["setup_s"] = round(time.perf_counter() - t0, 2)
    out["setup_peak_mb"] = round(_peak_mb())
    _progress(f"setup {out['setup_s']} s, peak RSS {out['setup_peak_mb']} MB")
    out["zkey_mb"] = round(zkey.stat().st_size / 2**20, 1)
    vk = read_zkey_vk(zkey)  # header and IC only: the whole key parsed in Python is GBs at mainnet
    write_vk(work / "vk.json", vk)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proof = be.prove(zkey, work / "w.wtns", secrets.randbelow(R), secrets.randbelow(R))
        times.append(time.perf_counter() - t0)
    assert be.verify(vk, public, proof)
    out["prove_inproc_s"] = round(statistics.median(times), 3)
    out["child_peak_mb"] = round(_peak_mb())
    _progress(f"in-process proof {out['prove_inproc_s']} s, peak RSS {out['child_peak_mb']} MB")
    return out


def _zkclear(*args: str) -> list[str]:
    return [sys.executable, "-m", "sequencer.cli", *args]


def _resident_prove(zkey: Path, wtns: Path, repeat: int) -> Optional[float]:
    """The median proof time of `prover.resident.ResidentProver` (the key loaded and its
    tables built once, not timed; then `repeat` proofs), or None where the native extension
    has no resident prover."""
    from prover.resident import ResidentProver, resident_available

    if not resident_available():
        return None
    rp = ResidentProver(str(zkey))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        rp.prove(str(wtns))
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


def _rapidsnark_prove(prover: str, work: Path, repeat: int, env: dict, timeout: float) -> dict:
    """`repeat` whole-process proofs by rapidsnark's `prover` on the row's own .zkey and .wtns
    (median wall time, largest peak RSS), each checked by `zkclear verify`."""
    from prover.bench.processes import run_process

    times, peaks, verified = [], [], True
    for k in range(repeat):
        proof, public = work / f"rapidsnark_proof{k}.json", work / f"rapidsnark_public{k}.json"
        run = run_process([prover, str(work / "k.zkey"), str(work / "w.wtns"), str(proof), str(public)], env=env,
                          timeout=timeout)
        if run.returncode != 0:
            raise RuntimeError(f"rapidsnark failed: {run.stderr[-2000:]}")
        times.append(run.seconds)
        peaks.append(run.peak_rss_mb)
        check = subprocess.run(_zkclear("verify", "--vk", str(work / "vk.json"), "--proof", str(proof),
                                        "--public", str(public)), capture_output=True, env=env, check=False)
        verified = verified and check.returncode == 0
        _progress(f"rapidsnark proof {run.seconds:.2f} s, peak RSS {run.peak_rss_mb:.0f} MB, verified {verified}")
    return {"rapidsnark_prove_s": round(statistics.median(times), 3), "rapidsnark_peak_rss_mb": round(max(peaks)),
            "rapidsnark_verified": verified}


def measure(preset_name: str, trades: int = 0, full: bool = False, repeat: int = 3, flow_batches: int = 60,
            seed: int = 1, rapidsnark: Optional[str] = None, keep: Optional[str] = None) -> Row:
    """One row: the child process (build, witness, setup, in-process proofs), then whole-process
    proofs by `zkclear prove`, each verified by `zkclear verify`, and with `rapidsnark` (the
    path of its `prover`) the same key and witness proven by rapidsnark. `keep`: a folder that
    keeps the row's key, witness, vk and proofs (else a temporary one, removed)."""
    from prover.bench.processes import run_process

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                                     os.environ.get("PYTHONPATH", "")) if p)}
    timeout = 4 * 3600  # a whole-process proof of the mainnet batch on a loaded 2-core machine
    with tempfile.TemporaryDirectory(prefix="zkclear-bench-settlement-") as tmp:
        work = Path(tmp)
        if keep is not None:
            work = Path(keep) / f"{preset_name}-{'full' if full else f'trades{trades}'}"
            work.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "circuits.settlement.bench", "--child", "--preset", preset_name,
               "--repeat", str(repeat), "--workdir", str(work), "--flow-batches", str(flow_batches),
               "--seed", str(seed)] + (["--full"] if full else ["--trades", str(trades)])
        # the child's progress lines and errors go to this process's stderr as they come
        res = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"bench settlement ({preset_name}, trades {trades}, full {full}) failed "
                               f"(exit {res.returncode}): see its stderr above")
        child = json.loads(res.stdout.strip().splitlines()[-1])
        times, cpus, peaks, verified = [], [], [], True
        for k in range(repeat):
            proof, public = work / f"proof{k}.json", work / f"public{k}.json"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            run = run_process(_zkclear("prove", "--zkey", str(work / "k.zkey"), "--wtns", str(work / "w.wtns"),
                                       "--proof", str(proof), "--public", str(public)), env=env, timeout=timeout)
            if run.returncode != 0:
                raise RuntimeError(f"zkclear prove failed: {run.stderr[-2000:]}")
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reaped prover (and GNU time)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            times.append(run.seconds)
            peaks.append(run.peak_rss_mb)
            check = subprocess.run(_zkclear("verify", "--vk", str(work / "vk.json"), "--proof", str(proof),
                                            "--public", str(public)), capture_output=True, env=env, check=False)
            verified = verified and check.returncode == 0
            _progress(f"zkclear prove (whole process) {run.seconds:.2f} s, peak RSS {run.peak_rss_mb:.0f} MB, "
                      f"verified {verified}")
        peers = _rapidsnark_prove(rapidsnark, work, repeat, env, timeout) if rapidsnark else {}
        resident = _resident_prove(work / "k.zkey", work / "w.wtns", repeat)
        if resident is not None:
            _progress(f"resident proof {resident} s")
    prove_s = round(statistics.median(times), 3)
    n = child["trades_per_batch"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return Row(**child, **peers, prove_s=prove_s, prove_cpu_s=round(statistics.median(cpus), 3),
               peak_rss_mb=round(max(peaks)), resident_prove_s=resident,
               trades_per_s=round(n / (child["witness_s"] + prove_s), 3),
               trades_per_s_resident=None if resident is None else round(n / (child["witness_s"] + resident), 3),
               verified=verified, load=load)


def table(preset: Preset, rows: list[Row], repeat: int) -> str:
    lines = [f"preset {preset.name}: {preset.capacity} accounts, arity {preset.arity}, depth {preset.depth}, "
             f"M = {preset.num_markets}; native backend, median of {repeat}",
             "| circuit | trades (a batch) | constraints | domain | build s (peak MB) | witness s (CPU) | setup s "
             "| prove s in process | prove s whole process (CPU s, peak RSS MB) | prove s resident | trades/s "
             "| verified |",
             "|---" * 12 + "|"]
    for r in rows:
        what = f"full ({r.trade_slots} trade slots, every slot)" if r.full else f"{r.trade_slots} trade slots"
        lines.append(f"| {what} | {r.trades_per_batch} | {r.constraints:,} | 2^{r.domain_log2} | {r.build_s} "
                     f"({r.build_peak_mb:,.0f}{', cache ' + r.build_cache if r.full else ''}) | {r.witness_s} "
                     f"({r.witness_cpu_s}) | {r.setup_s} | {r.prove_inproc_s} | {r.prove_s} ({r.prove_cpu_s}, "
                     f"{r.peak_rss_mb:,.0f}) "
                     f"| {'-' if r.resident_prove_s is None else r.resident_prove_s} | {r.trades_per_s} "
                     f"| {'yes' if r.verified else 'NO'} |")
    trade_rows = [r for r in rows if not r.full]
    for a, b in zip(trade_rows, trade_rows[1:]):
        per = (b.constraints - a.constraints) / (b.trades - a.trades)
        lines.append(f"marginal cost of a trade ({a.trades} -> {b.trades}): {per:,.0f} constraints, "
                     f"{(b.prove_s - a.prove_s) / (b.trades - a.trades):.2f} s")
    for r in rows:
        if r.rapidsnark_prove_s is not None:
            what = f"full ({r.trade_slots} trade slots)" if r.full else f"{r.trade_slots} trade slots"
            lines.append(f"rapidsnark on the same key, {what}: {r.rapidsnark_prove_s} s whole process "
                         f"(peak RSS {r.rapidsnark_peak_rss_mb:,.0f} MB), verified "
                         f"{'yes' if r.rapidsnark_verified else 'NO'}")
    for r in rows:
        if r.full:
            lines.append(f"flow ({r.flow['batches']} batches, {r.flow['institutions']} institutions, seed "
                         f"{r.flow['seed']}): touches per trade {r.touches_per_trade}; per batch "
                         + ", ".join(f"{k} {v}" for k, v in r.flow["per_batch"].items())
                         + f"; the measured batch: {r.batch_mix}")
    return "\n".join(lines)


def run(preset_name: str, trades: list[int], full: bool, repeat: int, as_json: bool, flow_batches: int = 60,
        seed: int = 1, out=print, rapidsnark: Optional[str] = None, keep: Optional[str] = None) -> list[Row]:
    preset = PRESETS[preset_name]
    rows = [measure(preset_name, n, repeat=repeat, seed=seed, rapidsnark=rapidsnark, keep=keep)
            for n in ([] if full else trades)]
    if full:
        rows.append(measure(preset_name, full=True, repeat=repeat, flow_batches=flow_batches, seed=seed,
                            rapidsnark=rapidsnark, keep=keep))
    if as_json:
        out(json.dumps({"preset": preset_name, "shape": {"accounts": preset.capacity, "arity": preset.arity,
                                                         "depth": preset.depth, "markets": preset.num_markets},
                        "backend": "native", "repeat": repeat, "rows": [asdict(r) for r in rows]}))
    else:
        out(table(preset, rows, repeat))
    return rows


def parse_trades(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or any(n < 1 for n in out):
        raise ValueError(f"--trades must be comma-separated positive integers, got {text!r}")
    return out


def main(argv=None) -> int:
    from prover.bench.cli import settlement_arguments

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settlement_arguments(ap)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.preset, 0 if args.full else int(args.trades), args.full, args.repeat, args.workdir,
                                args.flow_batches, args.seed)))
        return 0
    run(args.preset, parse_trades(args.trades), args.full, args.repeat, args.json, args.flow_batches, args.seed,
        rapidsnark=args.rapidsnark, keep=args.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
