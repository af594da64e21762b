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
        nonce, ciphertext                       the leaf's opening (spec.da.leaf_opening)
                                                encrypted to its owner: Poseidon cipher under
                                                (Poseidon(salt), index), nonce batch * 2^32 + i

Each write carries the entries right after it (a leaf written twice appears twice, the
second path showing the first write), so laid one after another the payloads of batches
0..n rebuild the tree at batch n's root. The path entries are needed: a node's box
commitment hides its children's boxes under their salts, so nobody but the sequencer can
recompute it; a member checks each published node's hash against its children's hashes and
that commitment (layout.consistent). No box and no salt is published: which leaves a batch
wrote is all the payload shows in the clear.

`commitment(payload)` = spec.da.commitment_of over each write's record (index, leaf hash,
nonce, ciphertext): exactly the `daCommitment` the batch circuit computes and puts in the
batch message, so the proof binds it, and the value the committee signs. The paths are not
in it: a member checks that they rebuild the proved root, which binds them.

The writes are the spec's (`spec.da.record_updates`): every leaf write of the witness log,
reads included (a bounced deposit rewrites its leaf, re-encrypted under a fresh nonce).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from sequencer.spec import da as spec_da
from sequencer.spec.state import LeafUpdate, State
from sequencer.spec.witness import BatchRecord

from . import layout
from .layout import NodeEntry

PAYLOAD_VERSION = 3  # 3: bound by the proof, keys from the salt (2: hash-only entries; 1: boxes in the clear)


@dataclass(frozen=True)
class LeafWrite:
    index: int
    leaf: NodeEntry
    path: tuple[NodeEntry, ...]  # levels 1..D (the root last)
    nonce: int
    ciphertext: tuple[int, ...]

    def record(self) -> list[int]:
        """What the DA commitment absorbs of this write (spec.da.write_record)."""
        return spec_da.write_record(self.index, self.leaf.hash, self.nonce, self.ciphertext)


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


def commitment(payload: BatchPayload) -> int:
    """The payload's `daCommitment` (a field element): what the batch proof binds."""
    return spec_da.commitment_of(w.record() for w in payload.writes)


write_nonce = spec_da.write_nonce


def _write(index: int, account, path_entries, leaf: NodeEntry, batch_number: int, ordinal: int) -> LeafWrite:
    nonce = write_nonce(batch_number, ordinal)
    return LeafWrite(index, leaf, tuple(path_entries), nonce, tuple(spec_da.encrypt_leaf(index, account, nonce)))


def payload_from_updates(updates: Iterable[LeafUpdate], *, batch_number: int, old_root: int, new_root: int,
                         globals_fields: Sequence[int]) -> BatchPayload:
    """The payload of a batch's leaf writes, in the order they were made (the witness log,
    state.LeafUpdate: each with the path it was written along; spec.da.record_updates: a
    read of an empty leaf carries nothing). One LeafWrite per write, as the circuit makes
    them, so a leaf written twice appears twice (the second with the first's effect in its
    path)."""
    writes = []
    for u in spec_da.record_updates(list(updates)):
        leaf = layout.leaf_entry_of(u.post)
        writes.append(_write(u.index, u.post, layout.climb(u.index, u.post, u.path), leaf, batch_number,
                             len(writes)))
    return BatchPayload(int(batch_number), int(old_root), int(new_root), tuple(int(g) for g in globals_fields),
                        tuple(writes))


def batch_payload(record: BatchRecord, state: State) -> BatchPayload:
    """The payload of a settled batch (sequencer.spec.process_batch's record; `state` after
    it); its commitment is the record's `public.da_commitment`, which the proof binds."""
    updates = [u for w in (*record.ops, record.settle) for u in w.updates]
    payload = payload_from_updates(updates, batch_number=record.public.batch_number,
                                   old_root=record.public.old_root, new_root=record.public.new_root,
                                   globals_fields=state.globals_fields())
    assert commitment(payload) == record.public.da_commitment
    return payload


def genesis_payload(state: State) -> BatchPayload:
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
        writes.append(_write(index, account, path, layout.leaf_entry_of(account), 0, len(writes)))
    return BatchPayload(0, 0, int(state.root()), tuple(state.globals_fields()), tuple(writes))


__all__ = ["LeafWrite", "BatchPayload", "commitment", "payload_from_updates", "batch_payload",
           "genesis_payload", "write_nonce"]
