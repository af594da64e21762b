"""Named circuits with integer parameters, for the CLI, the tests and the stats table.

Registering is one decorator on a function that declares inputs and outputs:

    @register("less_than", params={"n": 64}, circom=lambda n: ("comparators.circom", f"LessThan({n})"))
    def _less_than(c, n):
        a, b = c.private_input("in", 2)
        c.output("out", less_than(c, a, b, n))

A circuit doing the job of a circomlib template takes the same input names and shapes (one
input.json serves both) and publishes the template's outputs as public outputs, as a circom
main component does; `circom` names that template (file, instantiation) for comparisons.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

from circuits.dsl import Circuit, CompiledCircuit


class RegistryError(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@dataclass
class CircuitSpec:
    name: str
    build: Callable[..., None]
    params: dict[str, int | str] = field(default_factory=dict)  # a str default takes names
    doc: str = ""
    circom: Callable[..., tuple[str, str]] | None = None
    # extra parameter sets the stats table reports beside the defaults
    stats_params: list[dict] = field(default_factory=list)

    def resolve(self, given: dict | None = None) -> dict[str, int | str]:
        params = dict(self.params)
        for k, v in (given or {}).items():
            if k not in self.params:
                known = ", ".join(self.params) or "none"
                raise RegistryError(f"circuit {self.name} has no parameter {k!r} (parameters: {known})")
            if isinstance(self.params[k], str):
                params[k] = str(v)
                continue
            try:
                params[k] = int(v, 0) if isinstance(v, str) else int(v)
            except ValueError:
                raise RegistryError(f"parameter {k}: {v!r} is not an integer") from None
        return params

    def label(self, params: dict | None = None) -> str:
        p = self.resolve(params)
        return self.name + ("(" + ", ".join(f"{k}={v}" for k, v in p.items()) + ")" if p else "")


REGISTRY: dict[str, CircuitSpec] = {}


def register(name: str, params: dict | None = None, circom=None, stats_params=None):
    """Decorator: register `fn(c, **params)` as the circuit `name`."""

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"circuit {name!r} registered twice")
        doc = (fn.__doc__ or "").strip()
        REGISTRY[name] = CircuitSpec(name, fn, dict(params or {}), doc, circom, list(stats_params or []))
        return fn

    return deco


def get(name: str) -> CircuitSpec:
    _load_builtin()
    if name not in REGISTRY:
        raise RegistryError(f"no circuit named {name!r} (see `zkclear circuit list`)")
    return REGISTRY[name]


def names() -> list[str]:
    _load_builtin()
    return sorted(REGISTRY)


def build(name: str, **params) -> CompiledCircuit:
    """The compiled circuit `name` with `params` (defaults for the rest); cached."""
    spec = get(name)
    p = spec.resolve(params)
    return _build_cached(name, tuple(sorted(p.items())))


@functools.lru_cache(maxsize=64)
def _build_cached(name: str, params: tuple) -> CompiledCircuit:
    spec = REGISTRY[name]
    c = Circuit(name)
    spec.build(c, **dict(params))
    return c.compile()


def build_cached(name: str, cache_dir=None, **params) -> CompiledCircuit:
    """`build`, through the on-disk cache of compiled circuits (`circuits.dsl.cache`: keyed by
    the circuit's source files and parameters; `cache_dir=None` is ~/.cache/zkclear/circuits
    or $ZKCLEAR_CIRCUIT_CACHE). A large circuit (the mainnet settlement circuit) then builds
    once per source version and loads in seconds after."""
    spec = get(name)
    p = spec.resolve(params)
    return _disk_cached(name, tuple(sorted(p.items())), None if cache_dir is None else str(cache_dir))


@functools.lru_cache(maxsize=16)
def _disk_cached(name: str, params: tuple, cache_dir: str | None) -> CompiledCircuit:
    from circuits.dsl.cache import cached_compile

    return cached_compile(name, dict(params), lambda: _build_cached(name, params), cache_dir)


def parse_params(items: list[str] | None) -> dict[str, str]:
    """["n=3", "preset=tiny"] -> {"n": "3", "preset": "tiny"}; `CircuitSpec.resolve` converts
    each value to its parameter's type (int, or str for named parameters such as presets)."""
    out = {}
    for it in items or []:
        k, sep, v = it.partition("=")
        if not sep or not k.strip():
            raise RegistryError(f"parameter {it!r} is not k=v")
        out[k.strip()] = v.strip()
    return out


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    _register_gadget_circuits()
    import importlib.util

    if importlib.util.find_spec("circuits.settlement") is not None:
        import circuits.settlement  # noqa: F401  (registers the settlement circuits)


# --- the gadget circuits, each with its circomlib counterpart -------------------------------
def _register_gadget_circuits() -> None:
    from circuits.gadgets import babyjub, bits, comparators, eddsa, merkle, mux, poseidon, sha256

    @register("poseidon", params={"n": 2}, circom=lambda n: ("poseidon.circom", f"Poseidon({n})"),
              stats_params=[{"n": 1}, {"n": 5}, {"n": 16}])
    def _poseidon(c, n):
        """Poseidon hash of n inputs (1..16), circomlib parameters. In: inputs[n]. Out: out."""
        c.output("out", poseidon.poseidon(c, c.private_input("inputs", n)))

    @register("eddsa_poseidon", circom=lambda: ("eddsaposeidon.circom", "EdDSAPoseidonVerifier()"))
    def _eddsa(c):
        """EdDSA-Poseidon verification (circomlib EdDSAPoseidonVerifier). In: enabled, Ax, Ay,
        S, R8x, R8y, M. No outputs: the constraints hold iff enabled = 0 or the signature is valid."""
        sig = {k: c.private_input(k) for k in ("enabled", "Ax", "Ay", "S", "R8x", "R8y", "M")}
        eddsa.assert_eddsa_poseidon(c, **sig)

    @register("merkle_proof", params={"depth": 4, "arity": 2},
              stats_params=[{"depth": 20, "arity": 2}, {"depth": 10, "arity": 4}])
    def _merkle(c, depth, arity):
        """The Poseidon Merkle root of a leaf and its path. In: leaf; pathIndices[depth] (the
        node's position at each level, 0..arity-1, leaf level first); siblings[depth] for
        arity 2, siblings[depth][3] for arity 4 (the other children in order). Out: root."""
        leaf = c.private_input("leaf")
        idx = c.private_input("pathIndices", depth)
        sibs = c.private_input("siblings", (depth,) if arity == 2 else (depth, arity - 1))
        c.output("root", merkle.merkle_root(c, leaf, idx, sibs, poseidon.poseidon, arity))

    @register("less_than", params={"n": 64}, circom=lambda n: ("comparators.circom", f"LessThan({n})"),
              stats_params=[{"n": 252}])
    def _less_than(c, n):
        """1 if in[0] < in[1] for n-bit operands (circomlib LessThan). In: in[2]. Out: out."""
        a, b = c.private_input("in", 2)
        c.output("out", comparators.less_than(c, a, b, n))

    @register("less_eq", params={"n": 64}, circom=lambda n: ("comparators.circom", f"LessEqThan({n})"))
    def _less_eq(c, n):
        """1 if in[0] <= in[1] (circomlib LessEqThan). In: in[2]. Out: out."""
        a, b = c.private_input("in", 2)
        c.output("out", comparators.less_eq(c, a, b, n))

    @register("greater_than", params={"n": 64}, circom=lambda n: ("comparators.circom", f"GreaterThan({n})"))
    def _greater_than(c, n):
        """1 if in[0] > in[1] (circomlib GreaterThan). In: in[2]. Out: out."""
        a, b = c.private_input("in", 2)
        c.output("out", comparators.greater_than(c, a, b, n))

    @register("is_zero", circom=lambda: ("comparators.circom", "IsZero()"))
    def _is_zero(c):
        """1 if in == 0 (circomlib IsZero). In: in. Out: out."""
        c.output("out", comparators.is_zero(c, c.private_input("in")))

    @register("is_equal", circom=lambda: ("comparators.circom", "IsEqual()"))
    def _is_equal(c):
        """1 if in[0] == in[1] (circomlib IsEqual). In: in[2]. Out: out."""
        a, b = c.private_input("in", 2)
        c.output("out", comparators.is_equal(c, a, b))

    @register("num2bits", params={"n": 64}, circom=lambda n: ("bitify.circom", f"Num2Bits({n})"))
    def _num2bits(c, n):
        """The n low bits of in, asserting in < 2^n (circomlib Num2Bits). In: in. Out: out[n]."""
        c.output("out", bits.to_bits(c, c.private_input("in"), n))

    @register("num2bits_strict", circom=lambda: ("bitify.circom", "Num2Bits_strict()"))
    def _num2bits_strict(c):
        """The canonical 254 bits of in (circomlib Num2Bits_strict). In: in. Out: out[254]."""
        c.output("out", bits.num2bits_strict(c, c.private_input("in")))

    @register("mux", params={"k": 2}, circom=lambda k: (f"mux{k}.circom", f"Mux{k}()"),
              stats_params=[{"k": 1}, {"k": 3}, {"k": 4}])
    def _mux(c, k):
        """c[s] for s = sum s[i] 2^i (circomlib Mux1..Mux4; s assumed boolean). In: c[2^k], s[k].
        Out: out."""
        if not 1 <= k <= 4:
            raise ValueError("mux: k must be 1..4 (as circomlib's Mux1..Mux4)")
        vals = c.private_input("c", 1 << k)
        sel = c.private_input("s", k)
        c.output("out", mux.mux(c, sel, vals))

    @register("babyjub_add", circom=lambda: ("babyjub.circom", "BabyAdd()"))
    def _babyadd(c):
        """Baby Jubjub point addition (circomlib BabyAdd). In: x1, y1, x2, y2. Out: xout, yout."""
        x1, y1, x2, y2 = (c.private_input(k) for k in ("x1", "y1", "x2", "y2"))
        x, y = babyjub.babyjub_add(c, (x1, y1), (x2, y2))
        c.output("xout", x)
        c.output("yout", y)

    @register("babyjub_check", circom=lambda: ("babyjub.circom", "BabyCheck()"))
    def _babycheck(c):
        """(x, y) is on Baby Jubjub (circomlib BabyCheck). In: x, y."""
        babyjub.assert_on_curve(c, (c.private_input("x"), c.private_input("y")))

    @register("babyjub_pbk", circom=lambda: ("babyjub.circom", "BabyPbk()"))
    def _babypbk(c):
        """in * Base8, the EdDSA public key of a (pruned) private scalar (circomlib BabyPbk).
        In: in. Out: Ax, Ay."""
        e = bits.to_bits(c, c.private_input("in"), 253)
        ax, ay = babyjub.escalar_mul_fix(c, e, babyjub.BASE8)
        c.output("Ax", ax)
        c.output("Ay", ay)

    @register("escalar_mul_any", params={"n": 254}, circom=lambda n: ("escalarmulany.circom", f"EscalarMulAny({n})"))
    def _mulany(c, n):
        """e * p for bits e and a subgroup point p (circomlib EscalarMulAny). In: e[n], p[2].
        Out: out[2]."""
        e = c.private_input("e", n)
        p = c.private_input("p", 2)
        c.output("out", list(babyjub.escalar_mul_any(c, e, p)))

    @register("sha256", params={"nbytes": 32},
              circom=lambda nbytes: ("sha256/sha256.circom", f"Sha256({8 * nbytes})"),
              stats_params=[{"nbytes": 64}])
    def _sha256(c, nbytes):
        """SHA-256 of an nbytes-byte message (circomlib Sha256(8 nbytes)). In: in[8 nbytes], the
        message bits, MSB of byte 0 first (assumed boolean, as circomlib's). Out: out[256], the
        digest bits, MSB of digest byte 0 first."""
        c.output("out", sha256.sha256_bits(c, c.private_input("in", 8 * nbytes)))
