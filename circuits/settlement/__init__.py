"""The settlement circuits: the batch circuit (`batch.py`) and the exit circuit (`exit.py`).

Both mirror the executable spec in `sequencer.spec` (the spec produces the witness, the
circuit checks it). Registered for the CLI as `settlement` and `exit`, each with a `preset`
parameter naming a `sequencer.spec.PRESETS` entry:

    zkclear circuit export settlement --param preset=tiny --r1cs settlement.r1cs
    zkclear circuit export exit --param preset=tiny --r1cs exit.r1cs
"""
from __future__ import annotations

from circuits.registry import register


def preset_named(name: str):
    from sequencer.spec.constants import KNOWN_PRESETS as presets

    if name not in presets:
        raise ValueError(f"no preset named {name!r} (presets: {', '.join(presets)})")
    return presets[name]


@register("settlement", params={"preset": "tiny"})
def _settlement(c, preset):
    """The batch circuit of a preset: every op slot, the state roots, every account above
    maintenance margin (sequencer.spec). Public: one input, the SHA-256 digest (>> 3) of the batch
    message (sequencer.spec.public)."""
    from .batch import build_batch_circuit

    build_batch_circuit(c, preset_named(preset))


@register("exit", params={"preset": "tiny"})
def _exit(c, preset):
    """An owner's equity at a settled state root and its prices, for the frozen contract.
    Public: root, prices[M], fundingIndices[M], accountId, l1Address, equity."""
    from .exit import build_exit_circuit

    build_exit_circuit(c, preset_named(preset))
