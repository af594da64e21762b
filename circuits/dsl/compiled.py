"""A compiled circuit: the R1CS after --O2 simplification and the witness program.

Simplification, as circom does at --O2: a constraint whose A or B is constant is linear;
it is solved for one internal signal, which is then substituted away everywhere (outputs
and inputs are never eliminated). Constraints that become linear after substitution are
eliminated in turn. Eliminated signals are not wires, but the witness program still
computes them, and solving checks the original constraints, so an error names the gadget
that made the failing constraint.
"""
from __future__ import annotations

from typing import Any

from prover.field import R
from prover.formats.r1cs import R1CS

from .circuit import K_INT, K_OUT, K_PRV, K_PUB, S_HINT, S_LIN, S_MUL, S_MULADD, Circuit, CircuitError, _compact
from .lc import ONE


class InputError(ValueError):
    """Inputs that do not match the circuit's declared inputs (name, shape, value)."""


class ConstraintError(ValueError):
    """A witness that violates a constraint; `path` names the gadget, `signals` the signals."""

    def __init__(self, message: str, index: int, path: str, signals: list[str], values: dict):
        super().__init__(message)
        self.index = index
        self.path = path
        self.signals = signals
        self.values = values  # {signal name: value}: kept off the message (it may be private)


def parse_value(v: Any, where: str) -> int:
    """A circom input.json value: int, decimal string (may be negative), or 0x-hex string."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v % R
    if isinstance(v, str):
        s = v.strip()
        try:
            x = int(s, 16) if s.lower().startswith(("0x", "-0x")) else int(s, 10)
        except ValueError:
            raise InputError(f"{where}: {v!r} is not a number") from None
        if x >= R:
            raise InputError(f"{where}: value is not below the field modulus")
        return x % R
    raise InputError(f"{where}: expected a number or a decimal string, got {type(v).__name__}")


def _lc_eval(terms: dict, w: list[int]) -> int:
    return sum(w[k] * v for k, v in terms.items()) % R


class CompiledCircuit:
    def __init__(self, circuit: Circuit, r1cs: R1CS, wire_sids: list[int], eliminated: dict):
        self.circuit = circuit
        self.name = circuit.name
        self.r1cs = r1cs
        self.wire_sids = wire_sids
        self.eliminated = eliminated  # sid -> LC over kept signals
        self.n_signals = len(circuit._kind)
        self._steps = circuit._steps
        # the constraints a step does not already guarantee, checked after solving
        self._checks = [(i, _compact(a), _compact(b), _compact(cc))
                        for i, ((a, b, cc), d) in enumerate(zip(circuit._cons, circuit._cdefining)) if not d]
        sid_to_wire = {s: w for w, s in enumerate(wire_sids)}
        self.sid_to_wire = sid_to_wire

    # --- shape --------------------------------------------------------------------------
    @property
    def n_constraints(self) -> int:
        return self.r1cs.n_constraints

    @property
    def inputs(self) -> list[tuple[str, tuple, bool]]:
        """(name, shape, public) per declared input, in declaration order."""
        return [(n, s, p) for n, s, _, p in self.circuit._inputs]

    @property
    def outputs_spec(self) -> list[tuple[str, tuple]]:
        return [(n, s) for n, s, _ in self.circuit._outputs]

    # --- witness ------------------------------------------------------------------------
    def _fill_inputs(self, inputs: dict, w: list[int]) -> None:
        if not isinstance(inputs, dict):
            raise InputError("inputs must be a JSON object of signal name -> value")
        names = set()
        for name, shape, sigs, _ in self.circuit._inputs:
            names.add(name)
            if name not in inputs:
                raise InputError(f"missing input {name!r}")
            self._fill(inputs[name], shape, sigs, name, w)
        extra = sorted(set(inputs) - names)
        if extra:
            raise InputError(f"unknown input {extra[0]!r} (inputs: {', '.join(sorted(names))})")

    def _fill(self, value, shape, sigs, where, w):
        if not shape:
            if isinstance(value, list):
                raise InputError(f"{where}: expected a number, got an array")
            w[sigs.id] = parse_value(value, where)
            return
        if not isinstance(value, list) or len(value) != shape[0]:
            got = f"an array of {len(value)}" if isinstance(value, list) else "a number"
            raise InputError(f"{where}: expected an array of {shape[0]}, got {got}")
        for i, (v, s) in enumerate(zip(value, sigs)):
            self._fill(v, shape[1:], s, f"{where}[{i}]", w)

    def solve_signals(self, inputs: dict, check: bool = True) -> list[int]:
        """Every signal's value (by signal id, eliminated ones included)."""
        w = [0] * self.n_signals
        w[0] = 1
        self._fill_inputs(inputs, w)
        for st in self._steps:
            kind = st[0]
            if kind == S_MUL:
                a = st[2]
                b = st[3]
                va = w[a] if a.__class__ is int else sum([w[k] * v for k, v in a])
                vb = w[b] if b.__class__ is int else sum([w[k] * v for k, v in b])
                w[st[1]] = va * vb % R
            elif kind == S_LIN:
                a = st[2]
                w[st[1]] = w[a] if a.__class__ is int else sum([w[k] * v for k, v in a]) % R
            elif kind == S_MULADD:
                a = st[2]
                b = st[3]
                p = st[4]
                va = w[a] if a.__class__ is int else sum([w[k] * v for k, v in a])
                vb = w[b] if b.__class__ is int else sum([w[k] * v for k, v in b])
                vp = w[p] if p.__class__ is int else sum([w[k] * v for k, v in p])
                w[st[1]] = (va * vb + vp) % R
            else:
                args = [w[a] if a.__class__ is int else sum([w[k] * v for k, v in a]) % R for a in st[2]]
                res = st[1](*args)
                if st[4]:
                    w[st[3][0]] = int(res) % R
                else:
                    for sid, v in zip(st[3], res):
                        w[sid] = int(v) % R
        if check:
            self._check(w)
        return w

    def _check(self, w: list[int]) -> None:
        for i, a, b, cc in self._checks:
            va = w[a] if a.__class__ is int else sum([w[k] * v for k, v in a])
            vb = w[b] if b.__class__ is int else sum([w[k] * v for k, v in b])
            vc = w[cc] if cc.__class__ is int else sum([w[k] * v for k, v in cc])
            if (va * vb - vc) % R:
                raise self._error(i, w)

    def _error(self, i: int, w: list[int]) -> ConstraintError:
        c = self.circuit
        a, b, cc = c._cons[i]
        sids = []
        for t in (a, b, cc):
            for k in t:
                if k != ONE and k not in sids:
                    sids.append(k)
        names = [c.signal_name(s) for s in sids]
        path = c._paths[c._cpath[i]] or "(top level)"
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} signals)" if len(names) > 8 else "")
        msg = f"circuit {c.name}: constraint {i} in {path} is not satisfied (signals: {shown})"
        return ConstraintError(msg, i, path, names, {n: w[s] for n, s in zip(names, sids)})

    def witness(self, inputs: dict) -> list[int]:
        """The full witness in R1CS wire order (wire 0 = 1), every constraint checked."""
        w = self.solve_signals(inputs)
        return [w[s] for s in self.wire_sids]

    def outputs(self, witness_or_signals: list[int], by_wire: bool = True) -> dict:
        """The public outputs, shaped as declared, from a wire-order witness."""
        get = (lambda s: witness_or_signals[self.sid_to_wire[s]]) if by_wire else (lambda s: witness_or_signals[s])

        def shape(x):
            return [shape(y) for y in x] if isinstance(x, list) else get(x.id)

        return {n: shape(sigs) for n, _, sigs in self.circuit._outputs}

    def public_signals(self, witness: list[int]) -> list[int]:
        """snarkjs public.json order: outputs then public inputs."""
        return witness[1:1 + self.r1cs.n_public]

    # --- symbols ------------------------------------------------------------------------
    def sym_entries(self) -> list[tuple[int, int, int, str]]:
        """(label id, wire id or -1 when eliminated, component id, name) per signal, as circom."""
        c = self.circuit
        return [(sid, self.sid_to_wire.get(sid, -1), c._spath[sid], "main." + c.signal_name(sid))
                for sid in range(1, self.n_signals)]

    def wire_name(self, wire: int) -> str:
        return self.circuit.signal_name(self.wire_sids[wire])


def unsatisfied(r1cs: R1CS, witness: list[int], only: "list[int] | None" = None) -> list[int]:
    """Indices of R1CS constraints the wire-order witness violates."""
    bad = []
    cons = r1cs.constraints
    for i in (range(len(cons)) if only is None else only):
        a, b, cc = cons[i]
        if (_lc_eval(a, witness) * _lc_eval(b, witness) - _lc_eval(cc, witness)) % R:
            bad.append(i)
    return bad


# --- compilation ------------------------------------------------------------------------
def compile_circuit(c: Circuit) -> CompiledCircuit:
    kind = c._kind
    sub: dict[int, dict] = {}        # eliminated sid -> LC over kept sids (kept fully reduced)
    occ: dict[int, set] = {}         # sid -> eliminated sids whose LC mentions it (may be stale)
    kept: dict[int, tuple] = {}      # constraint index -> reduced (A, B, C)

    def reduce(terms: dict) -> dict:
        for k in terms:
            if k in sub:
                break
        else:
            return terms
        out: dict[int, int] = {}
        for k, v in terms.items():
            s = sub.get(k)
            if s is None:
                out[k] = out.get(k, 0) + v
            else:
                for k2, v2 in s.items():
                    out[k2] = out.get(k2, 0) + v * v2
        return {k: v % R for k, v in out.items() if v % R}

    def linear_form(a: dict, b: dict, cc: dict):
        """L with L == 0 when a or b is constant, else None."""
        if len(a) <= 1 and all(k == ONE for k in a):
            k, other = a.get(ONE, 0), b
        elif len(b) <= 1 and all(k == ONE for k in b):
            k, other = b.get(ONE, 0), a
        else:
            return None
        out = {s: v * k % R for s, v in other.items()} if k else {}
        for s, v in cc.items():
            nv = (out.get(s, 0) - v) % R
            if nv:
                out[s] = nv
            else:
                out.pop(s, None)
        return out

    def eliminate(L: dict, ci: int) -> None:
        L = reduce(L)
        pivot = -1
        for k in L:
            if kind[k] == K_INT and k > pivot:
                pivot = k
        if pivot < 0:
            if not L:
                return
            if len(L) == 1 and ONE in L:
                raise CircuitError(f"circuit {c.name}: constraint {ci} in "
                                   f"{c._paths[c._cpath[ci]] or '(top level)'} can never hold")
            kept[ci] = ({}, {}, {k: (R - v) % R for k, v in L.items()})  # 0 * 0 == -L
            return
        inv = pow(L[pivot], -1, R)
        expr = {k: (R - v) * inv % R for k, v in L.items() if k != pivot}
        for e in occ.pop(pivot, ()):
            se = sub.get(e)
            if se is None or pivot not in se:
                continue
            cv = se.pop(pivot)
            for k2, v2 in expr.items():
                nv = (se.get(k2, 0) + cv * v2) % R
                if nv:
                    se[k2] = nv
                    occ.setdefault(k2, set()).add(e)
                else:
                    se.pop(k2, None)
        sub[pivot] = expr
        for k in expr:
            occ.setdefault(k, set()).add(pivot)

    for sid, terms in c._alias.items():  # materialized signals: eliminated from the start
        sub[sid] = dict(terms)
        for k in terms:
            occ.setdefault(k, set()).add(sid)
    quad = []
    for i, (a, b, cc) in enumerate(c._cons):
        L = linear_form(a, b, cc)
        if L is None:
            quad.append(i)
        else:
            eliminate(L, i)
    while True:
        changed = False
        rest = []
        for i in quad:
            a, b, cc = c._cons[i]
            ra, rb, rc = reduce(a), reduce(b), reduce(cc)
            L = linear_form(ra, rb, rc)
            if L is None:
                kept[i] = (ra, rb, rc)
                rest.append(i)
            else:
                eliminate(L, i)
                changed = True
        if not changed:
            break
        quad = rest
        for i in rest:
            del kept[i]

    # wires: one, outputs, public inputs, private inputs, kept internals (creation order)
    order = {K_OUT: [], K_PUB: [], K_PRV: [], K_INT: []}
    for sid in range(1, len(kind)):
        if sid not in sub:
            order[kind[sid]].append(sid)

    def flat(x):
        return [s for y in x for s in flat(y)] if isinstance(x, list) else [x.id]

    outs = [s for _, _, sigs in c._outputs for s in flat(sigs)]
    pubs = [s for _, _, sigs, p in c._inputs if p for s in flat(sigs)]
    prvs = [s for _, _, sigs, p in c._inputs if not p for s in flat(sigs)]
    wire_sids = [ONE] + outs + pubs + prvs + order[K_INT]
    s2w = {s: w for w, s in enumerate(wire_sids)}
    constraints = []
    for i in sorted(kept):
        a, b, cc = kept[i]
        constraints.append(({s2w[k]: v for k, v in a.items()},
                            {s2w[k]: v for k, v in b.items()},
                            {s2w[k]: v for k, v in cc.items()}))
    r1cs = R1CS(n_wires=len(wire_sids), n_pub_out=len(outs), n_pub_in=len(pubs), n_prv_in=len(prvs),
                constraints=constraints, wire_to_label=list(wire_sids), n_labels=len(kind), prime=R)
    return CompiledCircuit(c, r1cs, wire_sids, sub)
