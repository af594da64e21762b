"""The R1CS data model shared by the circuit DSL (which builds it) and the prover (which proves it).

Wire layout follows iden3: wire 0 is the constant 1, then the public outputs, the public
inputs, the private inputs, then the internal signals. A constraint is (A, B, C), three sparse
linear combinations {wire: coefficient mod r}, satisfied when <A,w> * <B,w> == <C,w>.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LinearCombination = dict[int, int]
Constraint = tuple[LinearCombination, LinearCombination, LinearCombination]


@dataclass
class R1CS:
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    constraints: list[Constraint]
    # wire_to_label[w] is the label id of wire w (iden3 section 3); identity when absent.
    wire_to_label: list[int] | None = None
    n_labels: int | None = None
    prime: int = 21888242871839275222246405745257275088548364400416034343698204186575808495617

    @property
    def n_public(self) -> int:
        """Public signals, outputs first then inputs (snarkjs's nPublic)."""
        return self.n_pub_out + self.n_pub_in

    @property
    def n_constraints(self) -> int:
        return len(self.constraints)
