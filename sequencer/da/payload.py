"""A batch's DA payload: what a committee member stores and checks before it signs, and what
an owner needs, with its own key, to rebuild its leaf and Merkle path after a freeze.

    BatchPayload
      batch_number, old_root, new_root          the roots the contract moves between
      globals                                   the state's global fields after the batch
                                                (state.State.globals_fields: all public)
      writes: one LeafWrite per leaf write, in the batch's order (as the circuit makes them)
        index                                   the account id
        leaf                                    the leaf's new entry: its (salted) hash
        path                                    the new entries of its ancestors, level 1..D:
                                                (hash, box commitment) each (layout.py)
        nonce, ciphertext                       the leaf's opening (layout.leaf_opening)
                                                encrypted to its owner: Poseidon cipher under
                                                (k_a, index), k_a = ECDH(sequencer, owner)

Each write carries the entries right after it (a leaf written twice appears twice, the
second path showing the first write), so laid one after another the payloads of batches
0..n rebuild the tree at batch n's root, and the payload is the sequence of path updates the
batch circuit proves, ready to be absorbed slot by slot when the proof binds it. The path
entries are needed: a node's box commitment hides its children's boxes under their salts,
so nobody but the sequencer can recompute it; a member checks each published node's hash
against its children's hashes and that commitment (layout.consistent). No box and no salt
is published: which leaves a batch wrote is all the payload shows in the clear.

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
from sequencer.spec.state import LeafUpdate, State
from sequencer.spec.witness import BatchRecord

from . import layout
from .layout import NodeEntry

SPONGE_RATE = 15
NONCE_BATCH_SHIFT = 32
PAYLOAD_VERSION = 2  # 2: hash-only entries (1: the boxes in the clear)


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


def _write(index: int, account, path_entries, leaf: NodeEntry, batch_number: int, ordinal: int,
           sequencer_scalar: int) -> LeafWrite:
    key = cipher_key(account_key(sequencer_scalar, account.pubkey), index)
    nonce = write_nonce(batch_number, ordinal)
    return LeafWrite(index, leaf, tuple(path_entries), nonce, tuple(encrypt(layout.leaf_opening(account), key, nonce)))


def payload_from_updates(updates: Iterable[LeafUpdate], *, batch_number: int, old_root: int, new_root: int,
                         globals_fields: Sequence[int], sequencer_scalar: int) -> BatchPayload:
    """The payload of a batch's leaf writes, in the order they were made (the witness log,
    state.LeafUpdate: each with the path it was written along); reads (pre == post) carry
    nothing and are left out. One LeafWrite per write, as the circuit makes them, so a leaf
    written twice appears twice (the second with the first's effect in its path)."""
    writes = []
    for u in updates:
        if u.post is None or u.pre == u.post:
            continue
        leaf = layout.leaf_entry_of(u.post)
        writes.append(_write(u.index, u.post, layout.climb(u.index, u.post, u.path), leaf, batch_number,
                             len(writes), sequencer_scalar))
    return BatchPayload(int(batch_number), int(old_root), int(new_root), tuple(int(g) for g in globals_fields),
                        tuple(writes))


def batch_payload(record: BatchRecord, state: State, sequencer_scalar: int) -> BatchPayload:
    """The payload of a settled batch (sequencer.spec.process_batch's record; `state` after it)."""
    updates = [u for w in (*record.ops, record.settle) for u in w.updates]
    return payload_from_updates(updates, batch_number=record.public.batch_number, old_root=record.public.old_root,
                                new_root=record.public.new_root, globals_fields=state.globals_fields(),
                                sequencer_scalar=sequencer_scalar)


def genesis_payload(state: State, sequencer_scalar: int) -> BatchPayload:
    """Batch 0: the genesis state's leaves written one by one over the empty tree (each
    write's entries read off a tree that holds the leaves written so far)."""
    from sequencer.spec.state import account_hash
    from sequencer.spec.tree import BoxTree

    p = state.preset
    tree, writes = BoxTree(p.arity, p.depth, p.num_markets), []
    for index in sorted(state.accounts):
        account = state.accounts[index]
        tree.update(index, account_hash(account), account.box, account.salt)
        path = [layout.tree_entry(tree, level, index // p.arity ** level) for level in range(1, p.depth + 1)]
        writes.append(_write(index, account, path, layout.leaf_entry_of(account), 0, len(writes), sequencer_scalar))
    return BatchPayload(0, 0, int(state.root()), tuple(state.globals_fields()), tuple(writes))


__all__ = ["LeafWrite", "BatchPayload", "commitment", "sponge", "payload_from_updates", "batch_payload",
           "genesis_payload", "write_nonce"]
