"""A data-availability committee member: it receives each batch's payload from the sequencer,
checks it against its own copy of the tree, stores it, and only then signs the batch's
(batch number, new root, DA commitment) for the Rollup (sequencer/da/attest.py). So each
signature says: "I hold data that rebuilds this root", and an owner who reaches any one
honest signer can rebuild its leaf and path (sequencer/da/owner.py).

`check(payload, tree, old_root)` is the whole consistency rule, shared by members and owners:
  * each write is inside the tree, with a leaf entry (its hash), a full path of inner
    entries (hash, box commitment), a ciphertext of the right length and the nonce of its
    place in the batch (spec.da.write_nonce);
  * laid over the tree one after another, each write's path is the parent chain of its
    children at that moment (layout.consistent: a node's hash is Poseidon of its children's
    hashes and its box commitment): the entries are a sequence of path updates of one
    tree, not unrelated claims;
  * the previous root is `old_root`, and state_root(new tree root, globals) is the payload's
    new_root.
What it cannot check itself: that a ciphertext decrypts to the leaf (only its owner can),
nor what a box commitment opens to (it hides boxes under salts). The batch proof checks both:
the circuit encrypts every leaf it writes and absorbs the ciphertexts into the batch's
`daCommitment` (spec.da), which the proof's message carries and the contract checks the
members' signatures against. So a member signs `commitment(payload)` and nothing else: a
payload with a ciphertext that is not the leaf's has another commitment than any provable
batch, and its signatures cannot move the root. `receive(payload, commitment=c)` refuses at
once a payload whose commitment is not the one the sequencer says it proved. The root a
member rebuilds is the proved root, so the box commitments are the true ones.
"""
from __future__ import annotations

from typing import Any

from circuits.crypto.poseidon_cipher import ciphertext_length

from . import layout
from .attest import Attestation, sign_batch_data
from .payload import BatchPayload, write_nonce
from .payload import commitment as payload_commitment
from .store import PayloadStore
from .tree import SparseTree


class DAError(ValueError):
    """A payload the member refuses (and so does not sign), or a store an owner cannot use."""


def check(payload: BatchPayload, tree: SparseTree, old_root: int | None) -> tuple[int, SparseTree]:
    """``(new_root, new_tree)`` when `payload` extends `tree` (whose state root is `old_root`;
    None: the genesis payload, batch 0, laid over the empty tree); else DAError."""
    shape = tree.shape
    if old_root is None:
        if payload.batch_number != 0:
            raise DAError("the first payload must be the genesis payload (batch 0)")
    elif payload.old_root != old_root:
        raise DAError(f"batch {payload.batch_number}: old root differs from the member's root")
    n_leaves = shape.arity ** shape.depth
    ct_len = ciphertext_length(layout.opening_length(shape.num_markets))
    new = tree.copy()
    for i, w in enumerate(payload.writes):
        if w.nonce != write_nonce(payload.batch_number, i):
            raise DAError(f"batch {payload.batch_number}: write {i} has nonce {w.nonce}, not its place's")
        if not 0 <= w.index < n_leaves:
            raise DAError(f"batch {payload.batch_number}: write index {w.index} outside the tree")
        if len(w.path) != shape.depth or len(w.ciphertext) != ct_len or not (
                layout.well_formed(0, w.leaf) and all(layout.well_formed(k, e) for k, e in enumerate(w.path, 1))):
            raise DAError(f"batch {payload.batch_number}: write {w.index} has a malformed entry, path or ciphertext")
        new.set(0, w.index, w.leaf)
        for level, entry in enumerate(w.path, 1):
            new.set(level, w.index // shape.arity ** level, entry)
        for level in range(1, shape.depth + 1):  # the path just laid is the parent chain of its children
            j = w.index // shape.arity ** level
            if not layout.consistent(new.children(level, j), new.get(level, j)):
                raise DAError(f"batch {payload.batch_number}: write {w.index}: node ({level}, {j}) is not "
                              "the parent of its children")
    root = layout.state_root(new.root, payload.globals)
    if root != payload.new_root:
        raise DAError(f"batch {payload.batch_number}: the payload does not rebuild its new root")
    return root, new


class Member:
    """One member: its key (secp256k1, signs attestations), its store, its tree copy."""

    def __init__(self, store: PayloadStore, private_key: Any, *, chain_id: int, rollup: str):
        self.store, self.key, self.chain_id, self.rollup = store, private_key, int(chain_id), rollup
        manifest = store.manifest()
        self.tree = SparseTree(layout.Shape(manifest["arity"], manifest["depth"], manifest["num_markets"]))
        self.genesis_root = int(manifest["genesis_root"])
        self.root: int | None = None
        for payload in store:  # the member re-checks its own store on start
            self._apply(payload)

    def _apply(self, payload: BatchPayload) -> int:
        root, tree = check(payload, self.tree, self.root)
        if self.root is None and root != self.genesis_root:
            raise DAError("the genesis payload does not rebuild the contract's genesis root")
        self.root, self.tree = root, tree
        return root

    @property
    def batch_number(self) -> int:
        """The last batch stored (-1: none, not even genesis)."""
        return self.store.last_number()

    def receive(self, payload: BatchPayload, commitment: int | None = None) -> Attestation | None:
        """Check, store, then sign (`None` for the genesis payload: no batch to sign).
        `commitment`: the `daCommitment` of the batch the sequencer proved (its
        `BatchPublic.da_commitment`); a payload with another is refused."""
        if payload.batch_number != self.batch_number + 1:
            raise DAError(f"expected batch {self.batch_number + 1}, got {payload.batch_number}")
        own = payload_commitment(payload)
        if commitment is not None and int(commitment) != own:
            raise DAError(f"batch {payload.batch_number}: the payload's commitment is not the proved daCommitment")
        old_root, old_tree = self.root, self.tree
        root = self._apply(payload)
        try:
            self.store.append(payload)
        except Exception:
            self.root, self.tree = old_root, old_tree
            raise
        if payload.batch_number == 0:
            return None
        return sign_batch_data(self.key, payload.batch_number, root, own, chain_id=self.chain_id,
                               rollup=self.rollup)


__all__ = ["DAError", "check", "Member"]
