"""The owner's side: with only its EdDSA key and a store (an honest member's folder), rebuild
its leaf and Merkle path at the last settled root, to prove its exit after a freeze.

The owner trusts neither the member nor the sequencer: it replays every payload with the
member's own check (each must extend the tree and rebuild its root), compares the final root
with the contract's `stateRoot` (a stale or forged store fails there), derives its salt from
its own key and the sequencer's DA public key (`spec.da.owner_salt`: Poseidon(ECDH(owner
scalar, S).x, id), the value the registration slot proved), decrypts its leaf under the key
hashed from it (the batch proof bound that ciphertext: it decrypts), checks that the opening
carries that salt and hashes to the leaf the tree holds, and reads its path off the tree: per level the siblings' hashes and the parent's box commitment (`spec.tree.PathLevel`),
exactly what the exit circuit takes. It never sees another account's box or salt."""
from __future__ import annotations

from dataclasses import dataclass

from circuits.crypto.ecdh import eddsa_scalar
from circuits.crypto.poseidon_cipher import CipherError, decrypt
from sequencer.spec import da as spec_da
from sequencer.spec.state import Account
from sequencer.spec.tree import PathLevel
from sequencer.spec.tree import path_root as spec_path_root

from . import layout
from .member import DAError, check
from .store import PayloadStore
from .tree import SparseTree


@dataclass(frozen=True)
class Rebuilt:
    """An owner's exit data at the store's last root."""

    account_id: int
    account: Account  # the leaf's opening
    path: tuple[PathLevel, ...]  # the owner's Merkle path, hashes only (what the exit witness takes)
    tree_root: int
    state_root: int
    globals: tuple[int, ...]
    batch_number: int  # the last batch of the store

    def equity(self, preset) -> int:
        """Total value at the last batch's prices and funding (what the exit proves)."""
        return layout.exit_equity(self.account, self.globals, preset)

    def exit_inputs(self, preset) -> dict:
        """The exit circuit's inputs (circuits/settlement/exit.py) from this data alone."""
        return layout.exit_inputs(self.account_id, self.account, self.path, self.tree_root, self.globals, preset)


def rebuild(store: PayloadStore, account_id: int, owner_key: bytes, expected_root: int | None = None,
            da_public_key=None) -> Rebuilt:
    """`owner_key`: the owner's 32-byte EdDSA secret (circuits/crypto/eddsa.PrivateKey.secret).
    `expected_root`: the contract's stateRoot (strongly advised: without it a stale store
    gives an old leaf). `da_public_key`: the sequencer's DA key as the contract publishes it
    (`Rollup.daPublicKey`; default: the store's manifest's)."""
    manifest = store.manifest()
    shape = layout.Shape(manifest["arity"], manifest["depth"], manifest["num_markets"])
    seq_pk = tuple(int(v) for v in (da_public_key or manifest["sequencer_public_key"]))
    tree, root, last_write, payload = SparseTree(shape), None, None, None
    for payload in store:
        root, tree = check(payload, tree, root)
        if payload.batch_number == 0 and root != int(manifest["genesis_root"]):
            raise DAError("the genesis payload does not rebuild the genesis root")
        for w in payload.writes:
            if w.index == account_id:
                last_write = w
    if payload is None:
        raise DAError("the store is empty")
    if expected_root is not None and root != expected_root:
        raise DAError("the store does not rebuild the contract's state root (stale or forged)")
    if last_write is None:
        raise DAError(f"account {account_id} was never written")
    salt = spec_da.owner_salt(eddsa_scalar(owner_key), seq_pk, account_id)
    try:
        opening = decrypt(last_write.ciphertext, spec_da.cipher_key(salt, account_id), last_write.nonce,
                          layout.opening_length(shape.num_markets))
    except CipherError as e:
        raise DAError(f"account {account_id}: the leaf does not decrypt with this key ({e})") from e
    account = layout.account_from_opening(opening, shape.num_markets)
    if account.salt != salt or layout.leaf_entry_of(account) != tree.get(0, account_id):
        raise DAError("the decrypted leaf does not hash to the tree's leaf")
    ancestors = [tree.get(k, account_id // shape.arity ** k) for k in range(1, shape.depth + 1)]
    path = tuple(layout.path_levels(tree.siblings(account_id), ancestors))
    if spec_path_root(shape.arity, tree.get(0, account_id).hash, account_id, path) != tree.root:
        raise DAError("the rebuilt path does not reach the tree's root")  # check() makes this impossible
    return Rebuilt(account_id, account, path, tree.root, root, payload.globals, payload.batch_number)


__all__ = ["Rebuilt", "rebuild"]
