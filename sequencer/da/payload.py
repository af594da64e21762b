"""A batch's DA payload: what a committee member stores and checks before it signs, and what
an owner needs, with its own key, to rebuild its leaf and Merkle path after a freeze.

    BatchPayload
      batch_number, old_root, new_root          the roots the contract moves between
      globals                                   the state's global fields after the batch
                                                (state.State.globals_fields: all public)
      writes: one LeafWrite per leaf the batch changed, by ascending index
        index                                   the account id
        leaf                                    the leaf's new entry (hash, aux)
        path                                    the new entries of its ancestors, level 1..D
        nonce, ciphertext                       the leaf's opening (layout.leaf_opening)
                                                encrypted to its owner: Poseidon cipher under
                                                (k_a, index), k_a = ECDH(sequencer, owner)

Each write carries the FINAL values of the batch (a leaf written twice appears once), so the
payloads of batches 0..n rebuild the tree at batch n's root; the path entries are redundant
in the current layout (a member recomputes them) but not in a hash-only one, where a node's
aux cannot be recomputed from public data.

`commitment(payload)` = Poseidon sponge (15 fields per Poseidon(16), chained) over batch
number, old root, new root, the globals and each write's fields: the `daCommitment` the
committee signs (and, once bound, the batch proof recomputes: TODO issue 10).

The nonce of write i of batch n is n * 2^32 + i: never repeated under one key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from circuits.crypto.ecdh import account_key, cipher_key
from circuits.crypto.poseidon import poseidon_hash
from circuits.crypto.poseidon_cipher import encrypt
from sequencer.spec.constants import FIELD_MODULUS
from sequencer.spec.state import State

from . import layout
from .layout import NodeEntry

SPONGE_RATE = 15
NONCE_BATCH_SHIFT = 32
PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class LeafWrite:
    index: int
    leaf: NodeEntry
    path: tuple[NodeEntry, ...]  # levels 1..D (the root last)
    nonce: int
    ciphertext: tuple[int, ...]

    def fields(self) -> list[int]:
        out = [self.index, *self.leaf.fields()]
        for e in self.path:
            out += e.fields()
        return out + [self.nonce, *self.ciphertext]


@dataclass(frozen=True)
class BatchPayload:
    batch_number: int
    old_root: int  # 0 for the genesis payload (batch 0)
    new_root: int
    globals: tuple[int, ...]
    writes: tuple[LeafWrite, ...]

    def to_json(self) -> str:
        def entry(e: NodeEntry) -> list:
            return [str(e.hash), [str(x) for x in e.aux]]

        return json.dumps({
            "version": PAYLOAD_VERSION, "batch_number": self.batch_number, "old_root": str(self.old_root),
            "new_root": str(self.new_root), "globals": [str(g) for g in self.globals],
            "writes": [{"index": w.index, "leaf": entry(w.leaf), "path": [entry(e) for e in w.path],
                        "nonce": str(w.nonce), "ciphertext": [str(c) for c in w.ciphertext]} for w in self.writes]})

    @classmethod
    def from_json(cls, text: str) -> "BatchPayload":
        d = json.loads(text)
        if d.get("version") != PAYLOAD_VERSION:
            raise ValueError(f"payload version {d.get('version')!r}, expected {PAYLOAD_VERSION}")

        def entry(x) -> NodeEntry:
            return NodeEntry(int(x[0]), tuple(int(a) for a in x[1]))

        writes = tuple(LeafWrite(int(w["index"]), entry(w["leaf"]), tuple(entry(e) for e in w["path"]),
                                 int(w["nonce"]), tuple(int(c) for c in w["ciphertext"])) for w in d["writes"])
        return cls(int(d["batch_number"]), int(d["old_root"]), int(d["new_root"]),
                   tuple(int(g) for g in d["globals"]), writes)


def sponge(fields: Sequence[int], state: int = 0) -> int:
    """h = Poseidon(h, next 15 fields), over all fields (a short last chunk as it is; signed
    values, e.g. negative funding indices among the globals, as field elements)."""
    h = state
    for i in range(0, len(fields), SPONGE_RATE):
        h = poseidon_hash([h, *[int(x) % FIELD_MODULUS for x in fields[i:i + SPONGE_RATE]]])
    return h


def commitment(payload: BatchPayload) -> int:
    """The payload's `daCommitment` (a field element)."""
    h = sponge([payload.batch_number, payload.old_root, payload.new_root, len(payload.globals), *payload.globals])
    for w in payload.writes:
        h = sponge(w.fields(), h)
    return h


def write_nonce(batch_number: int, ordinal: int) -> int:
    return (int(batch_number) << NONCE_BATCH_SHIFT) + ordinal


def build_payload(state: State, old_root: int, written: Iterable[int], sequencer_scalar: int) -> BatchPayload:
    """The sequencer's payload of the batch `state` just closed (its tree and accounts after the
    batch, `state.batch_number` its number), for the leaves `written` (any order, repeats
    allowed). The sequencer alone can build it: it holds the openings and its ECDH scalar."""
    tree = state.tree
    shape = layout.tree_shape(tree)
    writes = []
    for ordinal, index in enumerate(sorted(set(int(i) for i in written))):
        account = state.accounts[index]
        path, j = [], index
        for level in range(1, shape.depth + 1):
            j //= shape.arity
            path.append(layout.tree_entry(tree, level, j))
        key = cipher_key(account_key(sequencer_scalar, account.pubkey), index)
        nonce = write_nonce(state.batch_number, ordinal)
        ct = encrypt(layout.leaf_opening(account), key, nonce)
        writes.append(LeafWrite(index, layout.tree_entry(tree, 0, index), tuple(path), nonce, tuple(ct)))
    return BatchPayload(int(state.batch_number), int(old_root), int(state.root()), tuple(state.globals_fields()),
                        tuple(writes))


__all__ = ["LeafWrite", "BatchPayload", "commitment", "sponge", "build_payload", "write_nonce"]
