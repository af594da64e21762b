"""The circuit DSL: circuits in plain Python, compiled to R1CS (iden3 layout) with a fast
witness solver.

- `Circuit`: declare inputs/outputs, `mul`, `assert_product`, `assert_equal`, `hint`, `scope`
- `LC`, `Signal`: linear combinations ({signal id: coeff}); `+ - *int` add no constraints
- `gadget`: decorator that records a gadget's name on the constraint's gadget path
- `CompiledCircuit` (`circuit.compile()`): `.r1cs`, `.witness(inputs)`, `.outputs(witness)`;
  `.witness_wtns(inputs)` .wtns bytes; the witness program runs in Rust when the extension
  has it (`native.py`), else in Python (`.solve_signals`, the reference)
- `ConstraintError`, `InputError`, `CircuitError`
"""
from .circuit import Circuit, CircuitError, gadget
from .compiled import CompiledCircuit, ConstraintError, InputError, parse_value, unsatisfied
from .lc import LC, ONE, Signal, as_lc, const

__all__ = [
    "Circuit", "CircuitError", "gadget", "CompiledCircuit", "ConstraintError", "InputError",
    "parse_value", "unsatisfied", "LC", "ONE", "Signal", "as_lc", "const",
]
