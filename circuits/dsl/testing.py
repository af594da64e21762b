"""Checks for circuit tests, in the spirit of gnark's `test.CheckCircuit`.

- `assert_solves(compiled, inputs)`: the witness solves and satisfies every R1CS constraint
- `assert_rejects(compiled, inputs, match)`: solving refuses the inputs (`ConstraintError`)
- `assert_tamper_breaks(compiled, witness, free)`: changing any single non-input wire breaks a
  constraint, i.e. every non-input signal is determined by the inputs; a gadget that leaves a
  signal free (is_zero's inverse when its input is 0) names it in `free`
"""
from __future__ import annotations

import re

from prover.field import R

from .compiled import CompiledCircuit, ConstraintError, unsatisfied


def assert_solves(compiled: CompiledCircuit, inputs: dict) -> list[int]:
    w = compiled.witness(inputs)
    bad = unsatisfied(compiled.r1cs, w)
    assert not bad, f"R1CS constraints {bad[:5]} of {compiled.name} fail on a solved witness"
    return w


def assert_rejects(compiled: CompiledCircuit, inputs: dict, match: str | None = None) -> ConstraintError:
    try:
        compiled.witness(inputs)
    except ConstraintError as exc:
        if match is not None:
            assert re.search(match, str(exc)), f"error {exc} does not match {match!r}"
        return exc
    raise AssertionError(f"{compiled.name} accepted inputs it should refuse")


def _incidence(compiled: CompiledCircuit) -> dict[int, list[int]]:
    inc: dict[int, list[int]] = {}
    for i, (a, b, c) in enumerate(compiled.r1cs.constraints):
        for w in set(a) | set(b) | set(c):
            inc.setdefault(w, []).append(i)
    return inc


def assert_tamper_breaks(compiled: CompiledCircuit, witness: list[int], free: tuple[str, ...] = (),
                         deltas: tuple[int, ...] = (1, R - 1)) -> None:
    """Every wire past the inputs (outputs and internals) is pinned: adding each of `deltas`
    to it alone breaks some constraint. Wires whose name contains one of `free` are skipped."""
    r1cs = compiled.r1cs
    inc = _incidence(compiled)
    n_in = r1cs.n_pub_in + r1cs.n_prv_in
    first_in, last_in = 1 + r1cs.n_pub_out, 1 + r1cs.n_pub_out + n_in
    assert not unsatisfied(r1cs, witness), "the untampered witness must satisfy the R1CS"
    for wire in range(1, r1cs.n_wires):
        if first_in <= wire < last_in:
            continue
        name = compiled.wire_name(wire)
        if any(f in name for f in free):
            continue
        rows = inc.get(wire, [])
        for d in deltas:
            w = list(witness)
            w[wire] = (w[wire] + d) % R
            if not unsatisfied(r1cs, w, rows):
                raise AssertionError(f"{compiled.name}: wire {wire} ({name}) is free: "
                                     f"+{d if d < R // 2 else d - R} still satisfies every constraint")


def forge_witness(compiled: CompiledCircuit, inputs: dict, overrides: dict[str, int],
                  by_id: dict[int, int] | None = None) -> list[int]:
    """A wire-order witness solved as usual except that each signal whose name ends with a key
    of `overrides` takes that value (later steps see it): how a cheating prover would fill in
    hinted signals. `by_id`: more overrides by signal id (for one of many same-named signals,
    a gadget's in one loop iteration). Nothing is checked; test it with `unsatisfied`."""
    from .circuit import S_HINT, S_MUL, S_MULADD

    c = compiled.circuit
    by_sid = {}
    for sid in range(1, compiled.n_signals):
        name = c.signal_name(sid)
        for k, v in overrides.items():
            if name == k or name.endswith("." + k) or name.endswith("/" + k):
                by_sid[sid] = v % R
    missing = set(overrides) - {k for k in overrides for s in by_sid if c.signal_name(s).endswith(k)}
    assert not missing, f"no signal named {sorted(missing)}"
    by_sid.update({sid: v % R for sid, v in (by_id or {}).items()})
    w = [0] * compiled.n_signals
    w[0] = 1
    compiled._fill_inputs(inputs, w)

    def ev(a):
        return w[a] if isinstance(a, int) else sum(w[k] * v for k, v in a) % R

    for st in c.steps():
        if st[0] == S_MUL:
            outs, vals = (st[1],), (ev(st[2]) * ev(st[3]) % R,)
        elif st[0] == S_MULADD:
            outs, vals = (st[1],), ((ev(st[2]) * ev(st[3]) + ev(st[4])) % R,)
        elif st[0] == S_HINT:
            res = st[1](*[ev(a) for a in st[2]])
            outs, vals = st[3], ([res] if st[4] else list(res))
        else:
            outs, vals = (st[1],), (ev(st[2]),)
        for sid, v in zip(outs, vals):
            w[sid] = by_sid.get(sid, int(v) % R)
    return [w[s] for s in compiled.wire_sids]
