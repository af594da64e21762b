"""The circuit builder: declare inputs and outputs, add constraints, hint witness values.

    c = Circuit("less_than")
    a, b = c.private_input("in", (2,))
    out = less_than(c, a, b, 64)          # a gadget: adds constraints, returns an LC
    c.output("out", out)
    compiled = c.compile()                # R1CS after circom --O2 style linear elimination
    witness = compiled.solve({"in": ["3", "5"]})

Signals are numbered in creation order (id 0 is the constant one). Every constraint records
the gadget path that made it (`c.scope(name)` / the `@gadget` decorator push names), and
every signal that is not an input is computed by exactly one *step* of the witness program:
a product (`mul`), a linear definition (`output`) or a hint. A hint computes values outside
the constraints and adds none: the gadget that hints a signal must constrain it.
"""
from __future__ import annotations

import functools
import sys
from array import array
from contextlib import contextmanager
from typing import Any, Callable, Sequence

from prover.field import R

from .lc import LC, ONE, Signal
from .store import CoefTable, LCStore

# signal kinds, in the order iden3 lays out wires
K_ONE, K_OUT, K_PUB, K_PRV, K_INT = 0, 1, 2, 3, 4
KIND_NAMES = {K_ONE: "one", K_OUT: "output", K_PUB: "public input", K_PRV: "private input", K_INT: "internal"}

# witness program step kinds
S_MUL, S_LIN, S_HINT, S_MULADD = 0, 1, 2, 3


class CircuitError(Exception):
    """A circuit that cannot be built (a constant constraint that fails, a bad declaration)."""


def _compact(terms: dict[int, int], coefs: "CoefTable | None" = None) -> "int | tuple":
    """A step's LC: a bare signal id when it is one signal with coefficient 1, else pairs
    (with `coefs`, each coefficient is the table's shared int object)."""
    if len(terms) == 1:
        (k, v), = terms.items()
        if v == 1:
            return k
    if coefs is None:
        return tuple(terms.items())
    intern = coefs.intern
    return tuple([(k, intern(v)) for k, v in terms.items()])


def _hint_key(fn) -> "tuple | None":
    """What makes two hint functions the same: code, defaults and captured values (when they
    are hashable). Each gadget call makes a new lambda; the circuit keeps one per key."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    try:
        cells = tuple(cl.cell_contents for cl in fn.__closure__ or ())
        key = (code, fn.__defaults__, cells, id(fn.__globals__))
        hash(key)
    except (TypeError, ValueError):
        return None
    return key


def _shape_of(shape: "int | Sequence[int] | None") -> tuple[int, ...]:
    if shape is None:
        return ()
    if isinstance(shape, int):
        return (shape,)
    return tuple(shape)


class Circuit:
    def __init__(self, name: str = "main"):
        self.name = name
        self._kind = bytearray([K_ONE])
        # a signal's name: None (named after its gadget path and id), a full name, or (when
        # _name_rel is set) the part after its gadget path's "path." (interned: "bits[3]")
        self._name: list[str | None] = ["one"]
        self._name_rel = bytearray(1)
        self._spath = array("i", [0])
        # constraints A * B == C: LCs 3i, 3i+1, 3i+2 of _cons (see store.py)
        self._coefs = CoefTable()
        self._cons = LCStore(self._coefs)
        self._cpath = array("i")
        self._cdefining = bytearray()  # 1 when a step computes the constraint's C exactly
        # the witness program in flat arrays (see `steps`): per step its kind, its output
        # signal(s) and its operands, each a signal id (>= 0: the LC {id: 1}) or -(1 + j)
        # for LC j of _step_lcs; hints name their function by index into _hints
        self._prog = array("q")
        self._n_steps = 0
        self._step_lcs = LCStore(self._coefs)
        self._hints: list[Callable] = []
        self._hint_fns: dict[tuple, int] = {}
        self._paths: list[str] = [""]
        self._path_ids: dict[str, int] = {"": 0}
        self._stack: list[str] = []
        self._cur = 0
        self._inputs: list[tuple[str, tuple, Any, bool]] = []
        self._outputs: list[tuple[str, tuple, Any]] = []
        self._declared: set[str] = set()
        self._alias: dict[int, int] = {}  # materialized signal -> index of its LC in _alias_lcs
        self._alias_lcs = LCStore(self._coefs)
        self._alias_recent: dict[int, dict] = {}

    def __getstate__(self):  # for the on-disk cache (cache.py): the hint-sharing table stays behind
        state = dict(self.__dict__)
        state["_hint_fns"] = {}
        return state

    # --- gadget scopes ------------------------------------------------------------------
    @contextmanager
    def scope(self, name: str):
        """Record `name` on the gadget stack for every constraint and signal made inside."""
        self._stack.append(name)
        prev = self._cur
        path = "/".join(self._stack)
        pid = self._path_ids.get(path)
        if pid is None:
            pid = self._path_ids[path] = len(self._paths)
            self._paths.append(path)
        self._cur = pid
        try:
            yield
        finally:
            self._stack.pop()
            self._cur = prev

    @property
    def gadget_path(self) -> str:
        return self._paths[self._cur]

    # --- signals ------------------------------------------------------------------------
    def _new(self, kind: int, name: str | None = None) -> Signal:
        sid = len(self._kind)
        self._kind.append(kind)
        rel = 0
        if name is not None:
            path = self._paths[self._cur]
            if path and name.startswith(path) and name[len(path):len(path) + 1] == ".":
                name, rel = sys.intern(name[len(path) + 1:]), 1
        self._name.append(name)
        self._name_rel.append(rel)
        self._spath.append(self._cur)
        return Signal(sid)

    def _declare(self, name: str, shape, kind: int):
        if name in self._declared:
            raise CircuitError(f"signal {name!r} declared twice")
        self._declared.add(name)
        shape = _shape_of(shape)

        def build(prefix: str, dims: tuple):
            if not dims:
                return self._new(kind, prefix)
            return [build(f"{prefix}[{i}]", dims[1:]) for i in range(dims[0])]

        return shape, build(name, shape)

    def public_input(self, name: str, shape=None):
        """A public input (an array when `shape` is given, nested lists of signals)."""
        shape, sigs = self._declare(name, shape, K_PUB)
        self._inputs.append((name, shape, sigs, True))
        return sigs

    def private_input(self, name: str, shape=None):
        shape, sigs = self._declare(name, shape, K_PRV)
        self._inputs.append((name, shape, sigs, False))
        return sigs

    def output(self, name: str, value):
        """Publish `value` (an LC, or nested lists of LCs) as the public output `name`.

        Each output is a fresh signal constrained equal to its value; at --O2 that linear
        constraint substitutes away an internal signal, as circom does for `out <== ...`."""
        if name in self._declared:
            raise CircuitError(f"signal {name!r} declared twice")
        self._declared.add(name)

        def build(prefix: str, v):
            if isinstance(v, (list, tuple)):
                return [build(f"{prefix}[{i}]", x) for i, x in enumerate(v)]
            lc = LC.of(v)
            s = self._new(K_OUT, prefix)
            self._step(S_LIN, s.id, self._ref(lc.terms))
            self._add((lc - s).terms, {ONE: 1}, {}, defining=True)
            return s

        sigs = build(name, value)
        shape: tuple = ()
        v = value
        while isinstance(v, (list, tuple)):
            shape += (len(v),)
            v = v[0] if len(v) else None
        self._outputs.append((name, shape, sigs))
        return sigs

    # --- constraints --------------------------------------------------------------------
    def _add(self, a: dict, b: dict, cc: dict, defining: bool = False) -> None:
        if self._alias:
            a, b, cc = self._expand(a), self._expand(b), self._expand(cc)
        cons = self._cons
        cons.add(a)
        cons.add(b)
        cons.add(cc)
        self._cpath.append(self._cur)
        self._cdefining.append(1 if defining else 0)

    def constraint(self, i: int) -> tuple[dict, dict, dict]:
        """Constraint i as written (A, B, C), each {signal id: coeff}."""
        cons = self._cons
        return cons.get(3 * i), cons.get(3 * i + 1), cons.get(3 * i + 2)

    def constraint_signals(self, i: int) -> list[int]:
        """The signals constraint i mentions (not the constant one), in order, once each."""
        out: list[int] = []
        for j in range(3 * i, 3 * i + 3):
            for k in self._cons.signals(j):
                if k != ONE and k not in out:
                    out.append(k)
        return out

    def _alias_terms(self, j: int) -> dict:
        """Alias LC j, read back from the store (the few most recent kept as dicts: an
        S-box uses its materialized input in three constraints in a row)."""
        recent = self._alias_recent
        d = recent.get(j)
        if d is None:
            if len(recent) >= 16:
                recent.clear()
            d = recent[j] = self._alias_store().get(j)
        return d

    def _alias_store(self) -> LCStore:
        if self._alias_lcs is None:
            raise CircuitError(f"circuit {self.name} is compiled: the LCs its materialized signals stand for "
                               "are gone (compiling drops them); build a new circuit to use them")
        return self._alias_lcs

    def alias_terms(self, sid: int) -> dict:
        """The LC a materialized signal stands for (until the circuit is compiled)."""
        return self._alias_store().get(self._alias[sid])

    def mul(self, a, b, plus=None, name: str | None = None) -> LC:
        """a * b (+ plus): one constraint a * b == out - plus and one new signal `out`, unless
        a or b is a constant. Passing the addend as `plus` keeps results signals rather than
        growing LCs (circom's `out <== a * b + c`)."""
        a, b = LC.of(a), LC.of(b)
        if a.is_constant() or b.is_constant():
            prod = b * a.constant_value() if a.is_constant() else a * b.constant_value()
            return prod if plus is None else prod + LC.of(plus)
        out = self._new(K_INT, name)
        if plus is None or (isinstance(plus, int) and plus % R == 0):
            self._step(S_MUL, out.id, self._ref(a.terms), self._ref(b.terms))
            self._add(a.terms, b.terms, {out.id: 1}, defining=True)
        else:
            p = LC.of(plus)
            self._step(S_MULADD, out.id, self._ref(a.terms), self._ref(b.terms), self._ref(p.terms))
            self._add(a.terms, b.terms, (out - p).terms, defining=True)
        return out

    def materialize(self, a, name: str | None = None) -> LC:
        """A signal standing for the LC `a` in the witness program only: constraints that use
        it get `a` itself (so the R1CS is what it would be without it), but the solver
        evaluates a long LC once instead of once per use. Short LCs come back unchanged."""
        a = LC.of(a)
        if len(a.terms) <= 2:
            return a
        out = self._new(K_INT, name)
        terms = self._expand(a.terms)
        self._alias[out.id] = self._alias_store().add(terms)
        self._step(S_LIN, out.id, self._ref(a.terms))
        return out

    def _expand(self, terms: dict) -> dict:
        """Replace materialized signals by the LCs they stand for."""
        al = self._alias
        if not al:
            return terms
        if len(terms) == 1:  # a bare materialized signal (an S-box's x * x): its LC as stored
            for k, v in terms.items():
                e = al.get(k)
                if e is not None and v == 1:
                    return self._alias_terms(e)
        for k in terms:
            if k in al:
                break
        else:
            return terms
        out: dict[int, int] = {}
        get = self._alias_terms
        for k, v in terms.items():
            e = al.get(k)
            if e is None:
                out[k] = out.get(k, 0) + v
            else:
                for k2, v2 in get(e).items():
                    out[k2] = out.get(k2, 0) + v * v2
        return {k: m for k, v in out.items() if (m := v % R)}

    def assert_product(self, a, b, out) -> None:
        """a * b == out."""
        a, b, out = LC.of(a), LC.of(b), LC.of(out)
        if a.is_constant() and b.is_constant() and out.is_constant():
            if a.constant_value() * b.constant_value() % R != out.constant_value():
                raise CircuitError(f"constant constraint fails in {self.gadget_path or self.name}")
            return
        self._add(a.terms, b.terms, out.terms)

    def assert_equal(self, a, b) -> None:
        """a == b (a linear constraint)."""
        d = LC.of(a) - LC.of(b)
        if d.is_constant():
            if d.constant_value() != 0:
                raise CircuitError(f"constant constraint fails in {self.gadget_path or self.name}")
            return
        self._add(d.terms, {ONE: 1}, {})

    def assert_zero(self, a) -> None:
        self.assert_equal(a, 0)

    def hint(self, fn: Callable[..., Any], *inputs, n: int | None = None,
             names: Sequence[str] | None = None):
        """Signals computed by `fn(*input values)` outside the constraints (adds none).

        `n=None`: fn returns one value and hint returns one signal; else fn returns `n`
        values and hint returns a list. With constant inputs the hint folds to constants."""
        lcs = [LC.of(x) for x in inputs]
        count = 1 if n is None else n
        if all(x.is_constant() for x in lcs):
            vals = fn(*[x.constant_value() for x in lcs])
            vals = [vals] if n is None else list(vals)
            outs = [LC.of(int(v)) for v in vals]
            return outs[0] if n is None else outs
        outs = [self._new(K_INT, names[i] if names else None) for i in range(count)]
        key = _hint_key(fn)
        ix = self._hint_fns.get(key) if key is not None else None
        if ix is None:
            ix = len(self._hints)
            self._hints.append(fn)
            if key is not None:
                self._hint_fns[key] = ix
        self._step(S_HINT, ix, len(lcs), *[self._ref(x.terms) for x in lcs], len(outs), *[s.id for s in outs],
                   1 if n is None else 0)
        return outs[0] if n is None else outs

    # --- the witness program ------------------------------------------------------------
    def _ref(self, terms: dict) -> int:
        """A step operand: the signal id of a bare signal, else -(1 + its index in _step_lcs)."""
        if len(terms) == 1:
            for k, v in terms.items():
                if v == 1:
                    return k
        return -1 - self._step_lcs.add(terms)

    def _step(self, *fields: int) -> None:
        self._prog.extend(fields)
        self._n_steps += 1

    def _operand(self, r: int) -> "int | tuple":
        if r >= 0:
            return r
        return tuple(self._step_lcs.get(-1 - r).items())

    def steps(self):
        """The witness program as tuples, one per step, in order: (S_MUL, out, a, b),
        (S_LIN, out, a), (S_MULADD, out, a, b, p) or (S_HINT, fn, (inputs...), (outs...),
        single); an operand is a signal id (the LC {id: 1}) or ((signal id, coeff), ...)."""
        prog, op = self._prog, self._operand
        pc, n = 0, len(prog)
        while pc < n:
            kind = prog[pc]
            if kind == S_MUL:
                yield S_MUL, prog[pc + 1], op(prog[pc + 2]), op(prog[pc + 3])
                pc += 4
            elif kind == S_LIN:
                yield S_LIN, prog[pc + 1], op(prog[pc + 2])
                pc += 3
            elif kind == S_MULADD:
                yield S_MULADD, prog[pc + 1], op(prog[pc + 2]), op(prog[pc + 3]), op(prog[pc + 4])
                pc += 5
            else:
                n_in = prog[pc + 2]
                ins = tuple(op(r) for r in prog[pc + 3:pc + 3 + n_in])
                q = pc + 3 + n_in
                n_out = prog[q]
                yield S_HINT, self._hints[prog[pc + 1]], ins, tuple(prog[q + 1:q + 1 + n_out]), bool(prog[q + 1 + n_out])
                pc = q + 2 + n_out

    # --- introspection ------------------------------------------------------------------
    @property
    def n_constraints(self) -> int:
        return len(self._cpath)

    @property
    def n_signals(self) -> int:
        return len(self._kind)

    def signal_name(self, sid: int) -> str:
        nm = self._name[sid]
        path = self._paths[self._spath[sid]]
        if nm is not None:
            return f"{path}.{nm}" if self._name_rel[sid] else nm
        return f"{path}.s{sid}" if path else f"s{sid}"

    def compile(self):
        """Compile to R1CS with circom --O2 style linear elimination; see `compiled.py`.

        Compiling drops the LCs that materialized signals stand for: every constraint that
        uses one already holds its LC, the witness program its step, and compilation needs
        only which signals they are (at mainnet they are 33M terms, 0.26 GB, alive
        under the compile's output arrays otherwise). The circuit can be compiled again, and extended with constraints that do
        not use a materialized signal."""
        from .compiled import compile_circuit

        self._alias_lcs = None
        self._alias_recent = {}
        return compile_circuit(self)


def gadget(fn=None, *, name: str | None = None):
    """Decorate a gadget `fn(c, ...)` so its constraints carry its name on the gadget stack."""

    def deco(f):
        nm = name or f.__name__

        @functools.wraps(f)
        def wrapper(c: Circuit, *args, **kwargs):
            with c.scope(nm):
                return f(c, *args, **kwargs)

        return wrapper

    return deco(fn) if fn is not None else deco
