"""The exchange state: account leaves, global fields, the state tree, the state root.

Leaf layout (`account_hash`, 7 + 2M field elements, nested by `hash_fields` above 16):

    [ pk_x, pk_y, l1_address, nonce_hi, nonce_bitmap, C, q_0, f_0, ..., q_{M-1}, f_{M-1}, salt ]

    pk_x, pk_y    owner's Baby Jubjub public key (field elements)
    l1_address    owner's L1 address, 160-bit integer: withdrawals and exits are paid there
    nonce_hi      highest nonce used, NONCE_BITS-bit; nonce_bitmap: bit i set <=> nonce
                  nonce_hi - i used (NONCE_WINDOW bits, see `ops.use_nonce`)
    C             collateral, signed COLLATERAL_BITS, collateral units
    q_j           position in market j, signed POSITION_BITS, lots
    f_j           funding snapshot in market j, signed FUNDING_BITS, units per lot
    salt          a field element fixed at registration (`State.leaf_salt`): it makes the
                  leaf hash unsearchable and is the leaf's blind in the tree (`tree`)

Options presets (K = `preset.option_slots` > 0, `options.py`) insert, before the salt, K
option slots `series_k, n_k` (series id, 0 for an empty slot; signed size in lots) and the
digest of the account's option box (`options.OptionBox`: vol and time bounds and the cached
corner rows); the globals then end with the options book's digest (`options.OptionBook`:
listed series, settlement prices, the last oracle timestamp and vols, the last round's figures
root: exits open option values from it). K = 0 changes nothing.

The account's box is not in its data hash: it enters the parent node's box commitment
(`tree.box_commitment`); on options presets so do its option box's vol and time bounds (one
more packed element, `box.pack_option`; the option box digest in the leaf covers them too). M = 4 gives 15 inputs, one Poseidon; an empty leaf hashes to 0.

Salts. The sequencer derives each account's salt when it registers it, from a Diffie-Hellman
point between its secret DA scalar and the owner's key: salt = Poseidon(ECDH(s, owner_pk).x,
id) (`da.account_salt`). So the salt is a secret of the owner and the sequencer (it makes the
leaf hash unsearchable), the owner derives it, and with it the key its leaf is encrypted
under in the DA payload, from its own key alone (`da.owner_salt`), and the batch circuit
proves the derivation in the registration slot (`da` module docstring). It is a function of
(the sequencer's secret, the account), not fresh randomness, so that the state stays a
function of (genesis, batches): a service that replays its settled batches after a restart
recomputes the same roots. It is fixed for the account's life: refreshing it per write would
change every blind up the path (D more Poseidon(a) per write in the circuit and the box
commitments of every level) for no gain, since a leaf hash already changes with every change
of the data it hides. `da_scalar` defaults to the public `da.DEV_DA_SCALAR` (tests and
demos, reproducible); a deployment must pass a secret one, or the salts, and with them every
box commitment and every leaf in the DA payload, can be recomputed by anyone.

State root (oldRoot / newRoot of the batch message, `public.py`) = Poseidon(tree_root, globals_hash), with

    globals_hash = hash_fields([batch_number, oracle_round, registration_index, deposit_index,
                                forced_index, g_0..g_{M-1}, F_0..F_{M-1}])

so the contract stores one word, and the exit circuit can open the last prices. The queue
indices count the L1 queue entries consumed (the contract's `From` indices); the number of
accounts is FIRST_L1_ACCOUNT + registration_index (ids below it exist from genesis).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from . import box as boxes
from .box import Box
from .constants import Preset
from .hashing import hash_fields
from .public import FIRST_L1_ACCOUNT
from .tree import EMPTY_LEAF_HASH, EMPTY_LEAF_SALT, BoxTree, OpeningLevel

from .da import DEV_DA_SCALAR, account_salt, da_public_key


@dataclass(frozen=True)
class Account:
    """One account leaf (see module docstring for units and bounds)."""

    pubkey: tuple[int, int]
    l1_address: int
    nonce_hi: int
    nonce_bitmap: int
    collateral: int
    positions: tuple[int, ...]  # q_j
    snapshots: tuple[int, ...]  # f_j
    box: Box
    salt: int  # field element, fixed at registration (module docstring)
    # options presets only (options.py): K slots (series id, size in lots) and the option box
    option_slots: tuple = ()
    obox: Optional[object] = None  # options.OptionBox

    @classmethod
    def new(cls, pubkey: tuple[int, int], l1_address: int, funding: tuple[int, ...], salt: int,
            option_slots: int = 0) -> "Account":
        m = len(funding)
        obox = None
        if option_slots:
            from .options import OptionBox
            obox = OptionBox.full(m, option_slots)
        return cls(pubkey=tuple(pubkey), l1_address=l1_address, nonce_hi=0, nonce_bitmap=0,
                   collateral=0, positions=(0,) * m, snapshots=tuple(funding), box=boxes.full(m), salt=salt,
                   option_slots=((0, 0),) * option_slots, obox=obox)

    def fields(self) -> list[int]:
        """The leaf's field elements in layout order (signed values as integers)."""
        out = [self.pubkey[0], self.pubkey[1], self.l1_address, self.nonce_hi, self.nonce_bitmap,
               self.collateral]
        for q, f in zip(self.positions, self.snapshots):
            out += [q, f]
        if self.option_slots:  # options presets: (series, size) per slot, the option box's digest
            for sid, n in self.option_slots:
                out += [sid, n]
            out.append(self.obox.digest())
        return out + [self.salt]

    def with_position(self, market: int, q: int) -> "Account":
        pos = list(self.positions)
        pos[market] = q
        return replace(self, positions=tuple(pos))


def account_hash(account: Optional[Account]) -> int:
    """The leaf's salted data hash: Poseidon over `Account.fields()`; 0 for an empty leaf."""
    return EMPTY_LEAF_HASH if account is None else hash_fields(account.fields())


@dataclass(frozen=True)
class LeafUpdate:
    """Witness of one leaf write: pre/post leaf, the path's opening (valid before and after:
    siblings' hashes, boxes and blinds, `tree.OpeningLevel`), roots."""

    index: int
    pre: Optional[Account]
    post: Optional[Account]  # == pre for a read (a bounced deposit proves the leaf it reads)
    path: tuple[OpeningLevel, ...]
    pre_tree_root: int
    post_tree_root: int


@dataclass
class State:
    """The whole state. Mutated in place by the transition functions.

    `accounts` holds the registered accounts (id -> leaf); the tree mirrors them. All writes
    go through `write_account`, which keeps the tree, the journal (for rolling a failed batch
    back) and the witness log in step."""

    preset: Preset
    tree: BoxTree
    accounts: dict[int, Account] = field(default_factory=dict)
    batch_number: int = 0  # the last batch settled (the batch being processed, inside one)
    oracle_round: int = 0
    prices: tuple[int, ...] = ()  # mark prices of the current batch, ladder indices
    funding: tuple[int, ...] = ()  # cumulative funding indices F_j
    registration_index: int = 0  # registrations consumed from the L1 queue
    deposit_index: int = 0  # deposits consumed from the L1 queue
    forced_index: int = 0  # forced-withdrawal requests consumed from the L1 queue
    fees: int = 0  # trade fees of the current batch, credited to the fund when it closes (0 between batches)
    # this batch's message entries (public.BatchPublic), in queue / slot order:
    registrations: list[tuple[int, int, int]] = field(default_factory=list)  # (pubkey_x, pubkey_y, owner)
    deposits: list[tuple[int, int, int]] = field(default_factory=list)  # (account, amount, bounced)
    forced: list[tuple[int, int, int]] = field(default_factory=list)  # (account, amount, executed)
    withdrawals: list[tuple[int, int]] = field(default_factory=list)  # signed withdrawals: (account, amount)
    log: Optional[list[LeafUpdate]] = None  # witness of the current batch, when recording
    observed: Optional[dict] = None  # build_batch's first pass: index -> accounts written with a kept box
    da_scalar: int = DEV_DA_SCALAR  # the sequencer's secret DA scalar: the salts derive from it (module docstring)
    options: Optional[object] = None  # options.OptionBook on options presets (K > 0), else None
    _journal: Optional[list] = None

    @classmethod
    def genesis(cls, preset: Preset, insurance_pubkey: tuple[int, int], insurance_l1_address: int,
                prices: tuple[int, ...], da_scalar: int = DEV_DA_SCALAR) -> "State":
        """A fresh state: account `preset.insurance_account` (= 0) is the insurance fund (its
        salt derives like every account's, but no proof covers genesis)."""
        assert preset.insurance_account == 0
        m = preset.num_markets
        state = cls(preset=preset, tree=BoxTree(preset.arity, preset.depth, m, options=preset.option_slots > 0),
                    prices=tuple(prices), funding=(0,) * m, da_scalar=da_scalar)
        if preset.option_slots:
            from .options import empty_book
            state.options = empty_book(preset)
        state.write_account(0, Account.new(insurance_pubkey, insurance_l1_address, state.funding,
                                           state.leaf_salt(0, insurance_pubkey), preset.option_slots))
        assert FIRST_L1_ACCOUNT == 1
        return state

    def leaf_salt(self, index: int, pubkey) -> int:
        """The salt of account `index` registered with `pubkey`: Poseidon(ECDH(da_scalar,
        pubkey).x, index) (module docstring)."""
        return account_salt(self.da_scalar, pubkey, index)

    @property
    def da_public(self) -> tuple[int, int]:
        """The sequencer's DA public key, da_scalar * Base8 (in every batch message)."""
        return da_public_key(self.da_scalar)

    @property
    def num_accounts(self) -> int:
        """The accounts that exist: ids below this one (the next registration's id)."""
        return FIRST_L1_ACCOUNT + self.registration_index

    # --- roots ----------------------------------------------------------------------------
    def globals_fields(self) -> list[int]:
        out = [self.batch_number, self.oracle_round, self.registration_index, self.deposit_index,
               self.forced_index, *self.prices, *self.funding]
        return out if self.options is None else out + [self.options.digest()]  # options presets

    def root(self) -> int:
        """The state root: Poseidon(tree_root, globals_hash)."""
        return hash_fields([self.tree.root, hash_fields(self.globals_fields())])

    # --- writes -----------------------------------------------------------------------------
    def write_account(self, index: int, account: Account) -> None:
        pre = self.accounts.get(index)
        if self._journal is not None:
            self._journal.append(("account", index, pre))
        pre_root = self.tree.root
        path = tuple(self.tree.opening(index)) if self.log is not None else ()
        self.accounts[index] = account
        self.tree.update(index, account_hash(account), account.box, account.salt, self._option_box(account))
        if self.log is not None:
            self.log.append(LeafUpdate(index, pre, account, path, pre_root, self.tree.root))

    def _option_box(self, account: Account):
        """The leaf's option box bounds in the tree (options presets; None otherwise)."""
        return boxes.option_bounds(account.obox, self.preset.num_markets) if self.tree.options else None

    def read_account(self, index: int) -> None:
        """Log a read: the circuit proves the leaf's content without changing it."""
        if self.log is not None:
            pre, root = self.accounts.get(index), self.tree.root
            self.log.append(LeafUpdate(index, pre, pre, tuple(self.tree.opening(index)), root, root))

    # --- journal: undo everything since `begin()` -------------------------------------------
    _GLOBALS = ("batch_number", "oracle_round", "prices", "funding", "fees", "registration_index",
                "deposit_index", "forced_index", "options")
    _LISTS = ("registrations", "deposits", "forced", "withdrawals")

    def begin(self) -> None:
        assert self._journal is None, "journals do not nest"
        self._journal = [("globals", {k: getattr(self, k) for k in self._GLOBALS},
                          {k: list(getattr(self, k)) for k in self._LISTS}, self.log)]

    def commit(self) -> None:
        self._journal = None

    def rollback(self) -> None:
        journal, self._journal = self._journal, None
        self.log = None
        for entry in reversed(journal):
            if entry[0] == "account":
                _, index, pre = entry
                if pre is None:
                    self.accounts.pop(index, None)
                    self.tree.update(index, EMPTY_LEAF_HASH, boxes.full(self.preset.num_markets), EMPTY_LEAF_SALT)
                else:
                    self.accounts[index] = pre
                    self.tree.update(index, account_hash(pre), pre.box, pre.salt, self._option_box(pre))
            else:
                _, globals_, lists, log = entry
                for k, v in {**globals_, **lists}.items():
                    setattr(self, k, v)
                self.log = log

    # --- copies and from-scratch recomputation -------------------------------------------------
    def rebuild_tree(self) -> BoxTree:
        """The tree hashed from scratch out of `accounts` (tests compare its root)."""
        return BoxTree.build(self.preset.arity, self.preset.depth, self.preset.num_markets,
                             leaves=[(i, account_hash(a), a.box, a.salt, self._option_box(a))
                                     for i, a in self.accounts.items()], options=self.tree.options)
