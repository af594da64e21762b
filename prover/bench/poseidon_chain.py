"""The benchmark circuit: a chain of circomlib Poseidon(2) hashes, sized to a power of two.

Each link hashes the previous digest with a fresh private input, so nothing folds away at
--O2 and the witness has the mix a real circuit has (field elements, not just bits).
"""
from __future__ import annotations

from pathlib import Path

# circomlib Poseidon(2) (t = 3) compiles to 243 constraints at --O2:
# 8 full rounds x 3 S-boxes x 3 constraints + 57 partial rounds x 3 constraints.
CONSTRAINTS_PER_LINK = 243


def links_for_power(power: int) -> int:
    """The number of links whose constraints (plus public inputs) fill a 2^power domain to ~95%,
    so the proof runs at exactly that domain size (snarkjs pads to nConstraints + nPublic + 1)."""
    return max(1, int((2**power) * 0.95) // CONSTRAINTS_PER_LINK)


def circom_source(links: int) -> str:
    return f"""pragma circom 2.0.0;
include "poseidon.circom";

// A chain of {links} Poseidon(2) hashes: out = H(...H(H(seed, x[0]), x[1])..., x[n-1]).
template PoseidonChain(n) {{
    signal input seed;
    signal input x[n];
    signal output out;
    component h[n];
    signal acc[n + 1];
    acc[0] <== seed;
    for (var i = 0; i < n; i++) {{
        h[i] = Poseidon(2);
        h[i].inputs[0] <== acc[i];
        h[i].inputs[1] <== x[i];
        acc[i + 1] <== h[i].out;
    }}
    out <== acc[n];
}}

component main {{public [seed]}} = PoseidonChain({links});
"""


def circuit_input(links: int) -> dict:
    return {"seed": "7", "x": [str(3 * i + 1) for i in range(links)]}


def write_circuit(directory: Path, power: int) -> tuple[Path, dict]:
    """Write poseidon_chain_<power>.circom into `directory`; return its path and input."""
    links = links_for_power(power)
    path = directory / f"poseidon_chain_{power}.circom"
    path.write_text(circom_source(links))
    return path, circuit_input(links)
