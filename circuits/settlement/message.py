"""The batch message in the circuit: its fields as big-endian bits, hashed into the one public input.

`spec.public` defines the message (`message_layout`: field names and byte widths, in order)
that `Rollup.sol` builds from its storage and the batch's calldata. The batch circuit puts
each field's bits here as it computes the value (`Message.put`), reusing the bit
decomposition of a range check where the slot already makes one (`be_bits_of_bits`: free),
else decomposing it (`be_bits`: 8 n constraints, or the canonical 254-bit decomposition for
32-byte fields, so a field element's bytes are its own value, never x + r). `digest` then
concatenates the fields in layout order, hashes them with the SHA-256 gadget and returns
sha256 >> 3 as one linear combination, which the batch circuit equates to its public input.

Every slot field is gated by the slot's enable bit before it is decomposed (or its bits come
from the decomposition of a gated value), so an unused slot contributes zero bytes, as
`spec.public.batch_message` writes them.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit
from circuits.gadgets.sha256 import be_bits, be_bits_of_bits, digest_to_field, sha256_bits
from sequencer.spec.public import DIGEST_SHIFT, message_layout
from sequencer.spec.constants import Preset


class Message:
    """The message fields collected by the batch circuit, keyed by `message_layout` name."""

    def __init__(self, preset: Preset):
        self.layout = message_layout(preset)
        self.width = dict(self.layout)
        self.bits: dict[str, list] = {}

    def put_bits(self, name: str, bits_lsb_first) -> None:
        """A field whose value's bits (LSB first, constrained boolean) a range check already made."""
        self._set(name, be_bits_of_bits(bits_lsb_first, self.width[name]))

    def put(self, c: Circuit, name: str, value) -> None:
        """A field decomposed here (asserts it fits its width)."""
        self._set(name, be_bits(c, value, self.width[name]))

    def _set(self, name: str, bits: list) -> None:
        if name not in self.width:
            raise KeyError(f"the batch message has no field {name!r}")
        if name in self.bits:
            raise KeyError(f"batch message field {name!r} set twice")
        self.bits[name] = bits

    def all_bits(self) -> list:
        missing = [n for n, _ in self.layout if n not in self.bits]
        if missing:
            raise KeyError(f"batch message fields not set: {', '.join(missing[:5])}")
        return [b for n, _ in self.layout for b in self.bits[n]]

    def digest(self, c: Circuit) -> LC:
        """sha256(message) >> 3 (`spec.public.message_digest`)."""
        before = c.n_constraints
        with c.scope("sha256"):
            out = digest_to_field(c, sha256_bits(c, self.all_bits()), DIGEST_SHIFT)
        self.sha256_constraints = c.n_constraints - before
        return out

    def constant_pattern(self) -> dict:
        """Per field, which of its bits are constants (the gadget folds them): for `stats`."""
        return {name: tuple(LC.of(b).is_constant() for b in bits) for name, bits in self.bits.items()}
