"""The witness program run natively: `prover._native.WitnessProgram` (prover/native/src/witness.rs).

The witness program a circuit records as it is built (`Circuit._prog`, its step LCs and the
coefficient table, all flat arrays stored in the compiled-circuit cache) is handed to Rust
once per compiled circuit (the arrays read in place through the buffer protocol: at
mainnet, `bytes()` copies of them made the program over half of the first witness); each
witness then runs every step over Fr natively and checks the constraints no step computes
exactly, in parallel. Values and errors are the Python solver's
(`CompiledCircuit.solve_signals`, kept as the reference):

- products, sums and linear definitions are field arithmetic either way;
- the hints the gadgets use most run natively when the DSL recognises their function
  (`hint_op`): babyjub's `_div`, and lambdas whose code is the same as a reference below
  (same bytecode, constants and names, the names resolving to the same objects): an
  inverse or zero, an enabled inverse, a bit decomposition, halving. Any other hint (or a
  recognised one edited into something else) is called back in Python with its inputs,
  so its values and its exceptions are what the Python solver would get;
- the first failing constraint (lowest index) raises the same `ConstraintError`.

`available()` says whether the extension has the native solver; `ZKCLEAR_WITNESS=python`
makes `CompiledCircuit.witness` use the Python solver (for comparisons).
"""
from __future__ import annotations

import os
import struct
import types
from array import array
from itertools import repeat
from operator import itemgetter

from prover.field import R

# native hint operations (witness.rs)
H_PYTHON, H_DIV, H_INV, H_INV_ENABLED, H_BITS, H_HALVES = 0, 1, 2, 3, 4, 5


def _bits_ref(n):
    return lambda v: [(v >> i) & 1 for i in range(n)]


_REFERENCES = (
    (H_INV, lambda v: pow(v, -1, R) if v else 0),
    (H_INV_ENABLED, lambda v, e: pow(v, -1, R) if v and e else 0),
    (H_BITS, _bits_ref(1)),
    (H_HALVES, lambda *vs: [v // 2 for v in vs]),
)


def _native_module():
    try:
        from prover import _native
    except ImportError:
        return None
    return _native if hasattr(_native, "WitnessProgram") else None


def available() -> bool:
    """True when the Rust extension has the native witness solver (and it is not turned off)."""
    return os.environ.get("ZKCLEAR_WITNESS", "").lower() != "python" and _native_module() is not None


# --- recognising hint functions --------------------------------------------------------------
_NESTED = 0x10  # CO_NESTED: defined inside a function (no effect on what the code does)


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """Same bytecode, constants (nested code compared the same way) and names; variable
    names and line numbers may differ."""
    if (a.co_code != b.co_code or a.co_names != b.co_names or (a.co_flags | _NESTED) != (b.co_flags | _NESTED)
            or a.co_argcount != b.co_argcount or a.co_posonlyargcount != b.co_posonlyargcount
            or a.co_kwonlyargcount != b.co_kwonlyargcount or a.co_nlocals != b.co_nlocals
            or len(a.co_freevars) != len(b.co_freevars) or len(a.co_cellvars) != len(b.co_cellvars)
            or a.co_exceptiontable != b.co_exceptiontable or len(a.co_consts) != len(b.co_consts)):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if type(x) is not type(y):
            return False
        if isinstance(x, types.CodeType):
            if not _same_code(x, y):
                return False
        elif x != y:
            return False
    return True


def _names(code: types.CodeType) -> set[str]:
    out = set(code.co_names)
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            out |= _names(k)
    return out


_MISSING = object()


def _resolve(fn: types.FunctionType, name: str):
    g = fn.__globals__
    if name in g:
        return g[name]
    b = g.get("__builtins__", __builtins__)
    b = b.__dict__ if isinstance(b, types.ModuleType) else b
    return b.get(name, _MISSING)


def _same_function(fn, ref) -> bool:
    code = getattr(fn, "__code__", None)
    if code is None or not isinstance(fn, types.FunctionType):
        return False
    if fn.__defaults__ != ref.__defaults__ or fn.__kwdefaults__ != ref.__kwdefaults__:
        return False
    if not _same_code(code, ref.__code__):
        return False
    return all(_resolve(fn, nm) is _resolve(ref, nm) for nm in _names(code))


def hint_op(fn) -> tuple[int, int]:
    """(native operation, parameter) for a hint function; (H_PYTHON, 0) when not recognised.
    The bit decomposition's parameter is its bit count (the native step also requires it to
    equal the step's outputs)."""
    from circuits.gadgets.babyjub import _div

    if fn is _div:
        return H_DIV, 0
    for op, ref in _REFERENCES:
        if _same_function(fn, ref):
            if op == H_BITS:
                n = fn.__closure__[0].cell_contents
                if type(n) is not int or not 0 <= n <= 256:
                    return H_PYTHON, 0
                return H_BITS, n
            return op, 0
    return H_PYTHON, 0


# --- the program -----------------------------------------------------------------------------
def coefficient_bytes(values: list[int]) -> bytes:
    return b"".join([v.to_bytes(32, "little") for v in values])


def program(circuit):
    """The circuit's witness program as a `WitnessProgram`: Rust reads the circuit's arrays in
    place (no `bytes()` copies) and keeps the steps, their LCs and the checked constraints."""
    native = _native_module()
    c = circuit
    ops = array("q")
    for fn in c._hints:
        ops.extend(hint_op(fn))
    lcs, cons = c._step_lcs, c._cons
    return native.WitnessProgram(
        c._prog, lcs.sig, lcs.coef, lcs.ends, coefficient_bytes(c._coefs.values),
        bytes(ops), c.n_signals, cons.sig, cons.coef, cons.ends, c._cdefining)


def python_hints(hints: list):
    """The callback witness.rs calls for a hint it does not run: the Python solver's own
    treatment of the function's result (`int(v) % R`; a multi-valued hint fills as many
    outputs as it returns, the rest stay 0)."""
    from_bytes = int.from_bytes

    def call(ix: int, single: bool, n_out: int, raw: bytes) -> bytes:
        args = [from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)]
        res = hints[ix](*args)
        vals = [int(res) % R] if single else [int(v) % R for _, v in zip(range(n_out), res)]
        vals += [0] * (n_out - len(vals))
        return b"".join([v.to_bytes(32, "little") for v in vals])

    return call


_FIRST = itemgetter(0)


def ints(buf: bytes) -> list[int]:
    """32-byte little-endian values as ints (the words split by struct and converted by map:
    no Python-level loop, ~40% faster than slicing in a comprehension at 4M values)."""
    return list(map(int.from_bytes, map(_FIRST, struct.iter_unpack("32s", buf)), repeat("little")))


class Values:
    """Signal values read from 32-byte LE bytes on demand (what an error report needs)."""

    __slots__ = ("buf",)

    def __init__(self, buf: bytes):
        self.buf = buf

    def __getitem__(self, i: int) -> int:
        return int.from_bytes(self.buf[32 * i:32 * i + 32], "little")

    def __len__(self) -> int:
        return len(self.buf) // 32
