"""A compiled circuit: the R1CS after --O2 simplification and the witness program.

Simplification, as circom does at --O2: a constraint whose A or B is constant is linear;
it is solved for one internal signal, which is then substituted away everywhere (outputs
and inputs are never eliminated). Constraints that become linear after substitution are
eliminated in turn. Eliminated signals are not wires, but the witness program still
computes them, and solving checks the original constraints, so an error names the gadget
that made the failing constraint.

Witnesses: `witness` / `witness_wtns` run the witness program natively when the Rust
extension has the solver (`native.py`: same values, same errors), else in Python;
`solve_signals` is the Python solver, the reference the native one is tested against.
"""
from __future__ import annotations

from array import array
from operator import mul
from typing import Any

from prover.field import R
from prover.formats.r1cs import R1CS, CompactConstraints

from . import native
from .circuit import K_INT, K_OUT, K_PRV, K_PUB, S_HINT, S_LIN, S_MUL, S_MULADD, Circuit, CircuitError, _compact
from .lc import ONE
from .store import LCStore


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
    def __init__(self, circuit: Circuit, r1cs: R1CS, wire_sids):
        self.circuit = circuit
        self.name = circuit.name
        self.r1cs = r1cs
        self.wire_sids = wire_sids  # signal id of each wire (an int32 array)
        self.n_eliminated = 0  # signals that are not wires (substituted away, or materialized)
        self.n_signals = circuit.n_signals
        self._checks_cache = None
        self._sid_to_wire = None
        self._native = None

    def __getstate__(self):  # for the on-disk cache: what solving makes is made again
        state = dict(self.__dict__)
        state.update(_checks_cache=None, _sid_to_wire=None, _native=None)
        state.pop("cache_note", None)
        return state

    @property
    def _checks(self) -> list:
        """The constraints a step does not already guarantee, checked after solving (made
        at the first witness: a build that only writes the R1CS never holds them)."""
        if self._checks_cache is None:
            c = self.circuit
            co = c._coefs
            self._checks_cache = [(i, *(_compact(t, co) for t in c.constraint(i)))
                                  for i, d in enumerate(c._cdefining) if not d]
        return self._checks_cache

    @property
    def sid_to_wire(self) -> dict:
        if self._sid_to_wire is None:
            self._sid_to_wire = {s: w for w, s in enumerate(self.wire_sids)}
        return self._sid_to_wire

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
        c = self.circuit
        prog = c._prog
        lcs = c._step_lcs
        sig, cof, ends = lcs.sig, lcs.coef, lcs.ends
        vals = c._coefs.values
        hints = c._hints
        get, cget = w.__getitem__, vals.__getitem__

        def ev(r: int) -> int:  # an operand that is not a bare signal (not reduced mod R)
            j = -1 - r
            s, e = ends[j], ends[j + 1]
            return sum(map(mul, map(get, sig[s:e]), map(cget, cof[s:e])))

        pc, n = 0, len(prog)
        while pc < n:
            kind = prog[pc]
            if kind == S_MUL:
                a = prog[pc + 2]
                b = prog[pc + 3]
                w[prog[pc + 1]] = (w[a] if a >= 0 else ev(a)) * (w[b] if b >= 0 else ev(b)) % R
                pc += 4
            elif kind == S_LIN:
                a = prog[pc + 2]
                w[prog[pc + 1]] = w[a] if a >= 0 else ev(a) % R
                pc += 3
            elif kind == S_MULADD:
                a = prog[pc + 2]
                b = prog[pc + 3]
                p = prog[pc + 4]
                w[prog[pc + 1]] = ((w[a] if a >= 0 else ev(a)) * (w[b] if b >= 0 else ev(b))
                                   + (w[p] if p >= 0 else ev(p))) % R
                pc += 5
            else:
                n_in = prog[pc + 2]
                q = pc + 3 + n_in
                args = [w[a] if a >= 0 else ev(a) % R for a in prog[pc + 3:q]]
                res = hints[prog[pc + 1]](*args)
                n_out = prog[q]
                if prog[q + 1 + n_out]:
                    w[prog[q + 1]] = int(res) % R
                else:
                    for sid, v in zip(prog[q + 1:q + 1 + n_out], res):
                        w[sid] = int(v) % R
                pc = q + 2 + n_out
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
        sids = c.constraint_signals(i)
        names = [c.signal_name(s) for s in sids]
        path = c._paths[c._cpath[i]] or "(top level)"
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} signals)" if len(names) > 8 else "")
        msg = f"circuit {c.name}: constraint {i} in {path} is not satisfied (signals: {shown})"
        return ConstraintError(msg, i, path, names, {n: w[s] for n, s in zip(names, sids)})

    def witness(self, inputs: dict) -> list[int]:
        """The full witness in R1CS wire order (wire 0 = 1), every constraint checked."""
        if native.available():
            return native.ints(self.witness_values(inputs))
        w = self.solve_signals(inputs)
        return list(map(w.__getitem__, self.wire_sids))

    def native_program(self):
        """The witness program in Rust (made at the first native witness, then kept)."""
        if getattr(self, "_native", None) is None:
            self._native = native.program(self.circuit)
        return self._native

    def solve_native(self, inputs: dict, order=None, check: bool = True) -> bytes:
        """The native solver: values as 32-byte little-endian words, in the order of `order`
        (signal ids; None: every signal by id). Raises what `solve_signals` raises."""
        w: dict[int, int] = {}
        self._fill_inputs(inputs, w)
        sids = array("q", w)
        vals = b"".join([v.to_bytes(32, "little") for v in w.values()])
        order_b = None if order is None else bytes(array("i", order))
        failed, out = self.native_program().solve(bytes(sids), vals, native.python_hints(self.circuit._hints),
                                                  order_b, check)
        if failed >= 0:
            raise self._error(failed, native.Values(out))
        return out

    def witness_values(self, inputs: dict) -> bytes:
        """The wire-order witness as 32-byte little-endian words (a .wtns's values section)."""
        if native.available():
            return self.solve_native(inputs, self.wire_sids)
        w = self.solve_signals(inputs)
        return b"".join([w[s].to_bytes(32, "little") for s in self.wire_sids])

    def witness_wtns(self, inputs: dict) -> bytes:
        """The witness as .wtns bytes (what a prover backend takes), without Python ints."""
        import struct

        from prover.formats.binfile import Writer
        from prover.formats.wtns import WTNS_MAGIC

        vals = self.witness_values(inputs)
        w = Writer(WTNS_MAGIC, 2)
        w.section(1, struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack("<I", len(vals) // 32))
        w.section(2, vals)
        return w.bytes()

    def public_from_wtns(self, wtns: bytes) -> list[int]:
        """The public signals (snarkjs order) of a `witness_wtns` result."""
        from prover.formats.binfile import BinFile
        from prover.formats.wtns import WTNS_MAGIC

        values = BinFile(wtns, WTNS_MAGIC, "wtns", max_version=2).section(2, "values")
        values.raw(32)  # wire 0, the constant one
        return values.ints_le(self.r1cs.n_public, 32)

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
        s2w = self.sid_to_wire
        return [(sid, s2w.get(sid, -1), c._spath[sid], "main." + c.signal_name(sid))
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
def _is_constant(terms: dict) -> bool:
    return len(terms) <= 1 and all(k == ONE for k in terms)


def compile_circuit(c: Circuit) -> CompiledCircuit:
    """The R1CS of `c` after --O2 linear elimination. Constraints are read back from the
    circuit's arrays one at a time and the kept ones written to new arrays over wire ids, so
    no pass holds the whole circuit as dicts; which constraints are linear, or mention an
    eliminated signal, is found with numpy a chunk at a time, and only those are read back."""
    import numpy as np

    kind = c._kind
    sub: dict[int, dict] = {}        # eliminated sid -> LC over kept sids (kept fully reduced)
    zero_kept: dict[int, dict] = {}  # constraint index -> -L of a linear constraint on inputs only
    get = c._cons.get
    # which eliminated sids' LCs mention sid s (may be stale, may repeat): a linked list in
    # flat arrays, from occ_head[s] through occ_next, each node naming occ_sid[node]; not a
    # set per signal (a mainnet build mentions millions of signals in its substituted LCs)
    occ_head = array("i", [-1]) * len(kind)
    occ_next, occ_sid = array("i"), array("i")
    # each coefficient of sub once (a few thousand values across millions of terms: the bit
    # decompositions' powers of two)
    coef_objs: dict[int, int] = {}
    same = coef_objs.setdefault

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
        return {k: m for k, v in out.items() if (m := v % R)}

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
            zero_kept[ci] = {k: (R - v) % R for k, v in L.items()}  # 0 * 0 == -L
            return
        inv = pow(L[pivot], -1, R)
        expr = {}
        for k, v in L.items():
            if k != pivot:
                expr[k] = same(x := (R - v) * inv % R, x)
        node = occ_head[pivot]
        occ_head[pivot] = -1
        while node >= 0:  # the LCs that mention pivot get expr in its place (in any order: each is its own)
            e = occ_sid[node]
            node = occ_next[node]
            se = sub.get(e)
            if se is None or pivot not in se:
                continue
            cv = se.pop(pivot)
            for k2, v2 in expr.items():
                old = se.get(k2)
                if old is None:  # cv and v2 are not zero mod R: neither is their product
                    se[k2] = same(x := cv * v2 % R, x)
                    occ_sid.append(e)
                    occ_next.append(occ_head[k2])
                    occ_head[k2] = len(occ_sid) - 1
                elif nv := (old + cv * v2) % R:
                    se[k2] = same(nv, nv)
                else:
                    del se[k2]
        sub[pivot] = expr
        insub[pivot] = 1
        for k in expr:
            occ_sid.append(pivot)
            occ_next.append(occ_head[k])
            occ_head[k] = len(occ_sid) - 1

    insub = bytearray(len(kind))  # insub[s]: s is eliminated (sub only grows)
    sig = np.frombuffer(c._cons.sig, dtype=np.int32)
    ends = np.frombuffer(c._cons.ends, dtype=np.int64)
    ins = np.frombuffer(insub, dtype=np.uint8)

    def touched(js):  # which of the LCs js (none empty) mention an eliminated signal, as of now
        if not len(js):
            return np.zeros(0, dtype=bool)
        first = ends[js]
        n = ends[js + 1] - first
        skip = np.cumsum(n) - n
        terms = np.repeat(first - skip, n) + np.arange(int(n.sum()), dtype=np.int64)
        return np.logical_or.reduceat(ins[sig[terms]], skip)

    def eliminate_quad(i: int, ta: bool, tb: bool) -> bool:
        """Eliminate constraint i (its A touched: ta, its B: tb) if substitution made it linear."""
        ra = reduce(get(3 * i)) if ta else None
        rb = reduce(get(3 * i + 1)) if tb else None
        if (ra is None or not _is_constant(ra)) and (rb is None or not _is_constant(rb)):
            return False
        L = linear_form(ra if ra is not None else get(3 * i), rb if rb is not None else get(3 * i + 1),
                        reduce(get(3 * i + 2)))
        eliminate(L, i)
        return True

    # materialized signals are not wires; no constraint mentions one (Circuit._add writes
    # the LC it stands for instead), so substitution never needs their LCs
    for sid in c._alias:
        insub[sid] = 1
    # the constraints linear as written (A or B constant), eliminated in index order; the
    # others are `quad`
    linear = np.zeros(c.n_constraints, dtype=bool)
    for a in range(0, len(linear), 1 << 18):
        i3 = 3 * np.arange(a, min(len(linear), a + (1 << 18)), dtype=np.int64)
        for j in (i3, i3 + 1):
            n = ends[j + 1] - ends[j]
            const = n == 0
            if len(sig):
                const |= (n == 1) & (sig[np.where(n == 1, ends[j], 0)] == ONE)
            linear[a:a + len(i3)] |= const
    for i in np.flatnonzero(linear).tolist():
        eliminate(linear_form(get(3 * i), get(3 * i + 1), get(3 * i + 2)), i)
    quad = np.flatnonzero(~linear).astype(np.int32)
    del linear
    while True:  # constraints that became linear by substitution are eliminated in turn, in order
        changed = False
        rest = []
        for a in range(0, len(quad), 1 << 12):
            qc = quad[a:a + (1 << 12)]
            keep = np.ones(len(qc), dtype=bool)
            start = 0
            while start < len(qc):  # from start on, which A and B mention an eliminated signal
                j = 3 * qc[start:].astype(np.int64)
                ta, tb = touched(j), touched(j + 1)
                nxt = len(qc)
                for h in np.flatnonzero(ta | tb).tolist():
                    if eliminate_quad(int(qc[start + h]), bool(ta[h]), bool(tb[h])):
                        keep[start + h] = False
                        changed = True
                        nxt = start + h + 1  # insub changed: look again at what follows
                        break
                start = nxt
            rest.append(qc[keep])
        quad = np.concatenate(rest) if rest else quad
        if not changed:
            break
    del sig, ends, ins  # views: the circuit's arrays can be resized again
    del occ_head, occ_next, occ_sid, coef_objs

    # wires: one, outputs, public inputs, private inputs, kept internals (creation order)
    n = len(kind)
    s2w = array("i", [-1]) * n

    def flat(x):
        return [s for y in x for s in flat(y)] if isinstance(x, list) else [x.id]

    outs = [s for _, _, sigs in c._outputs for s in flat(sigs)]
    pubs = [s for _, _, sigs, p in c._inputs if p for s in flat(sigs)]
    prvs = [s for _, _, sigs, p in c._inputs if not p for s in flat(sigs)]
    wire_sids = array("i", [ONE] + outs + pubs + prvs)
    wire_sids.extend(sid for sid in range(1, n) if kind[sid] == K_INT and not insub[sid])
    for w, s in enumerate(wire_sids):
        s2w[s] = w

    # the kept constraints, in index order, reduced by the final substitution, over wires
    table = c._coefs

    def release():  # the substitution is done with once the special LCs are written
        sub.clear()
        _return_freed_memory()

    kept = np.sort(np.concatenate([quad, np.array(sorted(zero_kept), dtype=np.int32)]))  # indices, in order
    out_sig, out_coef, out_ends = _write_kept(c, kept, zero_kept, insub, s2w, reduce, table.index, release)
    r1cs = R1CS(n_wires=len(wire_sids), n_pub_out=len(outs), n_pub_in=len(pubs), n_prv_in=len(prvs),
                constraints=CompactConstraints(out_sig, out_coef, out_ends, table.values),
                wire_to_label=wire_sids, n_labels=n, prime=R)
    cc = CompiledCircuit(c, r1cs, wire_sids)
    cc.n_eliminated = n - len(wire_sids)
    return cc


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the OS (glibc's malloc_trim; elsewhere nothing):
    the substitution's dicts, freed just before the output arrays are made, would otherwise
    stay in this process's RSS under them."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _write_kept(c: Circuit, kept, zero_kept: dict, insub: bytearray, s2w: array, reduce, index, release):
    """The kept constraints' LCs over wires, as flat arrays (wires, coefficient ids, ends).
    An LC that mentions no eliminated signal is the circuit's own, its signals renamed to
    wires and its coefficient ids unchanged: those are copied in bulk (numpy). The others
    (reduced by the substitution, or a linear constraint kept on inputs) are written one by
    one to a store of their own first, with the output's layout; then `release()` drops the
    substitution, and only then are the output arrays made and filled. Every pass runs over
    a chunk of constraints at a time, so no temporary spans the whole circuit."""
    import numpy as np

    cons = c._cons
    sig = np.frombuffer(cons.sig, dtype=np.int32)
    coef = np.frombuffer(cons.coef, dtype=np.int32)
    ends = np.frombuffer(cons.ends, dtype=np.int64)
    kept = np.asarray(kept, dtype=np.int32)
    # LC j mentions an eliminated signal (in chunks of LCs: no array over every term)
    ins = np.frombuffer(insub, dtype=np.uint8)
    touched = np.empty(len(ends) - 1, dtype=bool)
    for a in range(0, len(touched), 1 << 18):
        e = ends[a:a + (1 << 18) + 1]
        cum = np.zeros(int(e[-1] - e[0]) + 1, dtype=np.int32)
        np.cumsum(ins[sig[e[0]:e[-1]]], dtype=np.int32, out=cum[1:])
        rel = e - e[0]
        touched[a:a + len(e) - 1] = cum[rel[1:]] != cum[rel[:-1]]
        del cum
    zk = np.fromiter(sorted(zero_kept), dtype=np.int32)
    chunk = 1 << 16  # constraints

    def lcs_of(a: int):
        """The output LCs of kept[a:a + chunk] (LC indices of the circuit, in output order)
        and which of them are special."""
        kc = kept[a:a + chunk]
        lcs = (3 * kc[:, None] + np.arange(3, dtype=np.int32)).ravel()
        special = touched[lcs]
        if len(zk):
            at = np.minimum(np.searchsorted(zk, kc), len(zk) - 1)
            special |= np.repeat(zk[at] == kc, 3)
        return lcs, special

    # pass 1: the special LCs, over wires, in a store of their own (in output order), and
    # every output LC's end
    made = LCStore(c._coefs)
    ends_a = array("q", [0]) * (3 * len(kept) + 1)
    out_ends = np.frombuffer(ends_a, dtype=np.int64)
    for a in range(0, len(kept), chunk):
        lcs, special = lcs_of(a)
        lengths = ends[lcs + 1] - ends[lcs]
        where = np.flatnonzero(special)
        if len(where):
            m0 = len(made)
            for j in lcs[where].tolist():
                z = zero_kept.get(j // 3)
                t = (z if j % 3 == 2 else {}) if z is not None else reduce(cons.get(j))
                made.add_pairs([s2w[k] for k in t], [index(v) for v in t.values()])
            lengths[where] = np.diff(np.frombuffer(made.ends[m0:], dtype=np.int64))
        seg = out_ends[3 * a + 1:3 * a + 1 + len(lcs)]
        np.cumsum(lengths, out=seg)
        seg += out_ends[3 * a]
        del lcs, special, lengths, where, seg
    release()
    # pass 2: the output arrays, the plain LCs copied in bulk (term k of LC lcs[p] goes to
    # out_ends[p] + k), the special ones from their store
    total = int(out_ends[-1])
    sig_a, coef_a = array("i", [0]) * total, array("i", [0]) * total
    out_sig = np.frombuffer(sig_a, dtype=np.int32)
    out_coef = np.frombuffer(coef_a, dtype=np.int32)
    wire_of = np.frombuffer(s2w, dtype=np.int32)
    made_sig = np.frombuffer(made.sig, dtype=np.int32)
    made_coef = np.frombuffer(made.coef, dtype=np.int32)
    made_ends = np.frombuffer(made.ends, dtype=np.int64)
    m = 0  # special LCs copied so far
    for a in range(0, len(kept), chunk):
        lcs, special = lcs_of(a)
        oe = out_ends[3 * a:3 * a + len(lcs)]
        plain = np.flatnonzero(~special)
        first = ends[lcs[plain]]
        n_part = ends[lcs[plain] + 1] - first
        skip = np.cumsum(n_part) - n_part
        k = np.arange(int(n_part.sum()), dtype=np.int64)
        src = np.repeat(first - skip, n_part) + k
        dst = np.repeat(oe[plain] - skip, n_part) + k
        out_sig[dst] = wire_of[sig[src]]
        out_coef[dst] = coef[src]
        where = np.flatnonzero(special)
        if len(where):
            m1 = m + len(where)
            t0, t1 = int(made_ends[m]), int(made_ends[m1])
            n_made = np.diff(made_ends[m:m1 + 1])
            skip = np.cumsum(n_made) - n_made
            k = np.arange(t1 - t0, dtype=np.int64)
            dst = np.repeat(oe[where] - skip, n_made) + k
            out_sig[dst] = made_sig[t0:t1]
            out_coef[dst] = made_coef[t0:t1]
            m = m1
        del lcs, special, oe, plain, first, n_part, skip, k, src, dst, where
    del out_sig, out_coef, out_ends, made_sig, made_coef, made_ends  # views: the arrays can be resized again
    return sig_a, coef_a, ends_a
