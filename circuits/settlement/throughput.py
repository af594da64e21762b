"""Trades per second of a preset's whole batch circuit, predicted before building it: the slot what-if.

    python -m circuits.settlement.throughput [--preset mainnet] [--slots touch_slots=12,deposit_slots=4]...
        [--cost trade=30000,touch=40000] [--batches 60] [--seed 1] [--no-flow] [--json]
        [--save-costs FILE | --costs FILE]

A venue pays for its whole circuit every batch (issue 12), so its throughput is

    trades/s = (trades a batch settles on the random flow) / (witness + resident proof time)

and choosing the slot counts trades circuit size against what the flow can use. Building and
proving a candidate at the mainnet shape takes ~15 minutes and 17 GB; this module predicts it
in a minute from three things measured once:

- constraints: `stats.per_kind` (the base and one slot of each kind, built at the preset's
  shape) times the slot counts, plus the SHA-256 of the message at those counts (the message
  depends on the register, deposit, forced and withdrawal slots only; built exactly, its
  constant bits folded as in the circuit). This is `stats.total`, so it agrees with the
  stats table; the compiled circuit (--O2) has a few thousand fewer. `--cost kind=n`
  replaces a kind's measured cost (a what-if for cheaper slots before they exist). The
  domain is 2^bit_length(constraints + 1) (one public input), as the setup picks it;
- the proof: `prove_s = A * wires + B * 2^domain`. The wire term is the MSMs over the
  witness (A, B1, C in G1 and B2 in G2); the domain term the h FFTs and the MSM of H, whose
  2^domain - 1 points are paid in full however few constraints fill the domain. The split
  between the two comes from a CPU profile of the resident prover (`PROFILE`:
  `ZKCLEAR_PROFILE=cpu`, one thread, no tables, the full mainnet key itself, 2^22, with the
  IFMA lanes: 6.8 CPU us a wire, 1.7 a domain point); one factor then scales both to the full
  mainnet batch's measured resident proof (`CALIBRATION`: 20.6 s for 4,136,506 wires and 2^22
  on 2 idle cores; 40.4 s the round before, without the lanes; 44.7 s for 4,124,502 wires the
  round before that; 63.5 s for 4,840,769 wires and
  2^23 on the earlier prover, A = 7.4 us and B = 3.3 us). The witness time, the build's and the setup's peak memory and the
  key's size scale with the constraints from the same run;
- the trades: `sequencer.flow` run with the candidate's slots (`--batches`, seed 1, as the
  bench's `--full` row): the mean trades a batch settles over the run (the bench's
  `trades_per_batch`, the first batches boxing the institutions included) and from the 5th
  batch on (the steady figure, `trades_per_s_after_4`), with the touches the builder needed,
  the most in one batch, and the trades left waiting at the end.

Limits checked (issue 12): the build under 4 GB and the whole run (setup, proof) under 16 GB,
both scaled from the measured run; a candidate over either is flagged.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Optional

from sequencer.spec.constants import Preset

# The full mainnet batch measured on this machine (README, "The full mainnet batch"; run9:
# `python -m sequencer.cli bench settlement --preset mainnet --full --repeat 1 --json`, 2 cores,
# load ~2): the 2^22 slots (114 trade / 6 touch / 2 liquidation / 4 funding / 4 deposit / 4
# withdrawal), the 28.2k trade slot, the lean native witness and the resident worker with the
# IFMA lanes. (Before: run8, the same slots without the lanes, resident 40.4 s, witness 2.05 s;
# run7, 92 / 10 slots, resident 44.7 s, witness 4.68 s; run6, 70 / 16 / 4 / 4 / 16 / 16 on the
# earlier prover: 4,842,005 constraints, 2^23, resident 63.5 s.)
CALIBRATION = {
    "constraints": 4_130_360,  # compiled (--O2); stats counts 4,142,250
    "wires": 4_136_506,
    "domain_log2": 22,
    "resident_prove_s": 20.613,
    "witness_s": 2.147,
    "build_peak_mb": 2_496,
    "setup_peak_mb": 9_195,
    "zkey_mb": 4_933.8,
}
# The split of a proof's cost between the wires and the domain: the resident prover's CPU profile
# (ZKCLEAR_PROFILE=cpu, RAYON_NUM_THREADS=1, no tables: `python -m prover.bench.resident_run
# k.zkey w.wtns P PUB --warm 0 --runs 1 --table-mb 0`) of the full mainnet key of run9 (4,136,506
# wires, 2^22), CPU seconds a phase. The domain's phases are the h FFTs and the MSM of H;
# everything else follows the wires (A·w and B·w, the MSMs of A, B1, C and B2; on one thread B2
# runs inside `witness_products`, and its own entry overlaps). (The round before: the
# mainnet-shaped key of 12 trade slots, 590,584 wires, 2^20, without the lanes: 15.3 us a wire,
# 6.7 a domain point.)
PROFILE = {"wires": 4_136_506, "domain_log2": 22,
           "phases": {"witness_read": 0.280, "witness_products": 13.498, "h_ffts": 1.839, "msm_a": 4.000,
                      "msm_b1": 4.463, "msm_c": 5.943, "msm_h": 5.442, "msm_b2_wait": 0.007, "msm_b2": 11.331,
                      "finish": 0.001}}
DOMAIN_PHASES = ("h_ffts", "msm_h")
OVERLAPPING_PHASES = ("msm_b2",)  # its CPU is counted inside another phase on one thread
BUILD_LIMIT_MB = 4_000  # issue 12: the build under 4 GB
RUN_LIMIT_MB = 16_000  # issue 12: the whole run (setup, proof) under 16 GB


@dataclass(frozen=True)
class ProveModel:
    """prove_s = per_wire * wires + per_point * 2^domain_log2; witness_s = per_constraint * constraints."""

    per_wire: float
    per_point: float
    per_constraint: float

    @classmethod
    def calibrated(cls, cal: dict = CALIBRATION, profile: dict = PROFILE) -> "ProveModel":
        """The profile's split (CPU seconds of a wire and of a domain point), scaled so that the
        calibration run's proof takes its measured time."""
        cpu_wire, cpu_point = split_profile(profile)
        raw = cpu_wire * cal["wires"] + cpu_point * (1 << cal["domain_log2"])
        scale = cal["resident_prove_s"] / raw
        return cls(per_wire=scale * cpu_wire, per_point=scale * cpu_point,
                   per_constraint=cal["witness_s"] / cal["constraints"])

    def prove_s(self, wires: int, domain_log2: int) -> float:
        return self.per_wire * wires + self.per_point * (1 << domain_log2)

    def witness_s(self, constraints: int) -> float:
        return self.per_constraint * constraints


def split_profile(profile: dict) -> tuple[float, float]:
    """(CPU seconds a wire, CPU seconds a domain point) from a one-thread `ZKCLEAR_PROFILE=cpu` profile."""
    phases = profile["phases"]
    domain = sum(phases[k] for k in DOMAIN_PHASES)
    wires = sum(v for k, v in phases.items() if k not in DOMAIN_PHASES + OVERLAPPING_PHASES)
    return wires / profile["wires"], domain / (1 << profile["domain_log2"])


def domain_log2(constraints: int, n_public: int = 1) -> int:
    """log2 of the setup's evaluation domain (snarkjs: 2^bit_length(constraints + public inputs))."""
    return (constraints + n_public).bit_length()


# --- constraints from the stats module's per-slot costs ------------------------------------------
@dataclass
class SlotCosts:
    """A preset shape's per-kind costs (`stats.per_kind`: base, and one slot of each kind, SHA-256
    apart) and the message's constant-bit pattern of one slot of each kind (for the SHA-256)."""

    preset: Preset
    kinds: dict
    field_pattern: dict  # message field name (slot 0) -> its bits' constness, from a one-slot build

    @classmethod
    def measure(cls, preset: Preset) -> "SlotCosts":
        from . import stats

        return cls(preset, stats.per_kind(preset), _field_pattern(preset))

    def to_json(self) -> dict:
        return {"preset": self.preset.name, "kinds": self.kinds,
                "pattern": {k: [int(b) for b in v] for k, v in self.field_pattern.items()}}

    @classmethod
    def from_json(cls, preset: Preset, data: dict) -> "SlotCosts":
        """Costs saved by `to_json` (`--save-costs`) for the same shape: no circuit built."""
        assert data["preset"] == preset.name, f"costs of {data['preset']}, not {preset.name}"
        return cls(preset, dict(data["kinds"]), {k: [bool(b) for b in v] for k, v in data["pattern"].items()})

    def with_costs(self, **override: int) -> "SlotCosts":
        """The same shape with some kinds' slot costs replaced (a what-if for cheaper slots)."""
        unknown = set(override) - set(self.kinds)
        assert not unknown, f"no slot kind {sorted(unknown)} (kinds: {sorted(self.kinds)})"
        return SlotCosts(self.preset, {**self.kinds, **override}, self.field_pattern)

    def sha256(self, preset: Preset) -> int:
        """The SHA-256 gadget on `preset`'s message (its slot counts; the shape's bit pattern)."""
        from sequencer.spec.public import message_layout

        bits: list[bool] = []
        for name, _ in message_layout(preset):
            bits += self.field_pattern[re.sub(r"\[\d+\]\.", "[0].", name)]
        return _sha256_constraints(tuple(bits))

    def constraints(self, preset: Preset) -> int:
        """The batch circuit's constraints at `preset`'s slot counts (`stats.total`)."""
        from . import stats

        return stats.total(preset, self.kinds, self.sha256(preset))


def _field_pattern(preset: Preset) -> dict:
    from . import stats
    from .batch import build_batch_circuit

    from circuits.dsl import Circuit

    one = replace(preset, **{attr: 1 for _, attr in stats.kinds_of(preset)})
    return build_batch_circuit(Circuit("settlement"), one).constant_pattern()


@lru_cache(maxsize=None)
def _sha256_constraints(pattern: tuple) -> int:
    from circuits.dsl import LC, Circuit
    from circuits.gadgets.sha256 import sha256_bits

    c = Circuit("sha256")
    bits = c.private_input("bits", len(pattern))
    sha256_bits(c, [LC() if const else b for const, b in zip(pattern, bits)])
    return c.n_constraints


# --- the flow ----------------------------------------------------------------------------------
def flow_trades(preset: Preset, batches: int, seed: int = 1) -> dict:
    """The random flow (`sequencer.flow`) at the preset's slots: trades a batch settles (mean over
    the run, as the bench's `--full` row; and from the 5th batch on, once the institutions are
    boxed), touches a batch (mean, most), trades waiting at the end, liquidations."""
    from sequencer.flow import run_flow

    s = run_flow(preset, batches, seed)
    later = s.batches[4:] or s.batches
    return {"batches": batches, "trades_per_batch": round(s.total("trades") / len(s.batches), 2),
            "trades_per_batch_after_4": round(sum(b.trades for b in later) / len(later), 2),
            "touches_per_batch": round(s.total("touches") / len(s.batches), 2),
            "max_touches": max(b.touches for b in s.batches), "touches_per_trade": round(s.touches_per_trade, 4),
            "carried_at_end": s.batches[-1].carried, "liquidations": s.total("liquidations")}


# --- one candidate ----------------------------------------------------------------------------
def predict(preset: Preset, costs: SlotCosts, model: ProveModel, flow: Optional[dict] = None,
            cal: dict = CALIBRATION) -> dict:
    """Constraints, domain, predicted witness and proof times, memory, and with the flow's
    figures (`flow_trades`) trades per second."""
    n = costs.constraints(preset)
    wires = round(n * cal["wires"] / cal["constraints"])
    d = domain_log2(n)
    witness, prove = model.witness_s(n), model.prove_s(wires, d)
    grow = n / cal["constraints"]
    out = {"slots": slots_of(preset), "constraints": n, "wires": wires, "domain_log2": d,
           "domain_fill": round(n / (1 << d), 3), "witness_s": round(witness, 2), "prove_s": round(prove, 1),
           "build_peak_mb": round(cal["build_peak_mb"] * grow), "setup_peak_mb": round(cal["setup_peak_mb"] * grow),
           "zkey_mb": round(cal["zkey_mb"] * grow)}
    out["within_limits"] = out["build_peak_mb"] < BUILD_LIMIT_MB and out["setup_peak_mb"] < RUN_LIMIT_MB
    if flow is not None:
        out["flow"] = flow
        out["trades_per_s"] = round(flow["trades_per_batch"] / (witness + prove), 3)
        out["trades_per_s_after_4"] = round(flow["trades_per_batch_after_4"] / (witness + prove), 3)
    return out


def slots_of(preset: Preset) -> dict:
    from . import stats

    return {attr: getattr(preset, attr) for _, attr in stats.kinds_of(preset)}


def parse_assignments(text: str) -> dict:
    """'a=1,b=2' -> {'a': 1, 'b': 2}."""
    return {k.strip(): int(v) for k, v in (kv.split("=") for kv in text.split(",") if kv.strip())}


def main(argv=None) -> int:
    from . import preset_named

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="mainnet")
    ap.add_argument("--slots", action="append", default=[],
                    help="a candidate's slot counts, e.g. touch_slots=12,deposit_slots=4 (repeat for more; "
                         "the preset itself is always the first row)")
    ap.add_argument("--cost", default="", help="replace slot costs (constraints), e.g. trade=30000,touch=40000")
    ap.add_argument("--costs", default=None, help="per-slot costs saved by --save-costs (skips measuring them)")
    ap.add_argument("--save-costs", default=None, help="save the measured per-slot costs to this JSON file")
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-flow", action="store_true", help="constraints and times only (no trades/s)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    base = preset_named(args.preset)
    if args.costs:
        with open(args.costs) as f:
            costs = SlotCosts.from_json(base, json.load(f))
    else:
        costs = SlotCosts.measure(base)
    if args.save_costs:
        with open(args.save_costs, "w") as f:
            json.dump(costs.to_json(), f)
    if args.cost:
        costs = costs.with_costs(**parse_assignments(args.cost))
    model = ProveModel.calibrated()
    rows = []
    for spec in [""] + args.slots:
        p = replace(base, **parse_assignments(spec)) if spec else base
        flow = None if args.no_flow else flow_trades(p, args.batches, args.seed)
        rows.append(predict(p, costs, model, flow))
        if not args.json:
            r = rows[-1]
            changed = {k: v for k, v in r["slots"].items() if v != getattr(base, k)} if spec else "preset"
            print(f"{changed}: {r['constraints']:,} constraints, 2^{r['domain_log2']} ({r['domain_fill']:.0%} full), "
                  f"witness {r['witness_s']} s + prove {r['prove_s']} s"
                  + (f", {r['flow']['trades_per_batch']} trades a batch "
                     f"({r['flow']['trades_per_batch_after_4']} after the 4th; touches {r['flow']['touches_per_batch']}"
                     f" a batch, at most {r['flow']['max_touches']}), {r['trades_per_s']} trades/s "
                     f"({r['trades_per_s_after_4']} after the 4th)" if flow else "")
                  + f"; build ~{r['build_peak_mb']:,} MB, setup ~{r['setup_peak_mb']:,} MB"
                  + ("" if r["within_limits"] else " (OVER THE MEMORY LIMITS)"), flush=True)
    fitted = {"per_wire_us": model.per_wire * 1e6, "per_point_us": model.per_point * 1e6,
              "witness_per_constraint_us": model.per_constraint * 1e6}
    out = {"preset": base.name, "costs": costs.kinds, "model": fitted, "rows": rows}
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
