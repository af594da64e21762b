"""One gadget per op kind: the circuit form of `spec.transition.process_<op>`.

Each slot gadget reads its inputs (named `<slot>.<field>`, see `witness.py`), checks the
op's requirements when its `enabled` bit is set, and writes its leaves in the spec's order
(`spec.transition` docstring lists them). The comments name the spec requirement each
block enforces, in the spec's words. A disabled slot changes nothing.

The queue slots (register, deposit, forced) and the withdrawal slots also put their entries
in the batch message (`message.Message`, the `spec.public` layout): each field gated by the
slot's enable bit, its bits taken from the slot's own range check where it makes one. The
slots of a kind are used in order (an enabled slot follows an enabled one): slot s of a
queue consumes queue entry from + s.

Every write (`_write`) range-checks the new collateral and positions, sets the funding
snapshots to the current indices (funding is settled on every write) and, unless it is a
write of the insurance fund inside an op, checks the leaf's box: S_m >= 0 at its worst
corner. Writes keep the leaf's box (a path update of two node hashes per level), except a
touch and the closing write (a box chosen by the sequencer) and a liquidated account (the
full box): those recompute the node boxes along the path (`tree.leaf_write`).

Every write also publishes its DA record (`_publish`, `spec.da`): the new leaf's opening
(its bounded values packed, `spec.da.opening_layout`) encrypted under (Poseidon(salt), index) with nonce batch * 2^32 + the write's ordinal,
absorbed with the index, the leaf hash and the nonce into the batch's DA commitment (a slot
whose write is disabled, or reads an empty leaf, absorbs nothing and takes no ordinal). A
registration derives the new leaf's salt from the ECDH point of the sequencer's DA scalar
and the registered key: Poseidon(P.x, id).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from circuits.dsl import LC, Circuit
from circuits.gadgets.bits import assert_bool, from_bits
from circuits.gadgets.comparators import is_zero, less_eq, less_than
from circuits.gadgets import ecdh
from circuits.gadgets.eddsa import assert_eddsa_poseidon
from circuits.gadgets.mux import select
from circuits.gadgets.poseidon_cipher import poseidon_encrypt
from sequencer.spec import da as spec_da
from sequencer.spec import ops as spec_ops
from sequencer.spec.constants import (ADDRESS_BITS, AMOUNT_BITS, BATCH_BITS, BPS, BPS_BITS, COLLATERAL_BITS,
                                      FUNDING_BITS, POSITION_BITS, TV_BITS, Preset)
from sequencer.spec.public import FIRST_L1_ACCOUNT

from .arith import (assert_bits, assert_equal_when, assert_nonzero, assert_signed, assert_true, gate,
                    is_negative_gated, one_hot, pick, sign_abs)
from .common import Leaf, full_option_box_digest, hash_fields, leaf_hash, leaf_width, unpack_market_box
from .margin import (Positions, assert_box_safe, assert_nonnegative, funding_paid, is_nonnegative,
                     signed_positions, surplus)
from .nonce import use_nonce
from .option_ops import (assign_series, maintenance_ok, option_margin_allows, option_trade_side, option_write,
                         receive_options, target_option_values, tradable_series)
from .option_state import close_settled
from .options import option_is_nonnegative, option_marks_surplus, slots_from_table
from .tree import declare_box, declare_path, full_packed, full_parts, index_bits_of, leaf_write, old_leaf_box_is_full

ACCOUNT_BITS = spec_ops.ACCOUNT_ID_BITS


@dataclass
class BatchState:
    """What the slots thread through the batch, in processing order."""

    top: Any  # the tree's top (`tree.TreeTop`): what the writes thread instead of the root
    funding: list  # F_j
    registration_index: LC  # the L1 queues' positions (from + the enabled slots so far)
    deposit_index: LC
    forced_index: LC
    fees: LC  # trade fees of the batch, credited to the fund by the closing write
    batch_number: LC  # this batch's number
    prices: list  # ladder indices g_j
    message: Any = None  # message.Message: the slots put their entries in the batch message
    preset: Any = None  # the spec Preset
    book: Any = None  # options presets: option_state.FigureState (the options book after the header)
    da_bits: list | None = None  # the sequencer's DA scalar, 252 bits (spec.da)
    da_hash: Any = 0  # the DA commitment so far (spec.da.commitment_of)
    da_writes: Any = 0  # the DA records so far: the next write's ordinal
    root_box: list | None = None  # set by the closing write
    last_enabled: dict = field(default_factory=dict)  # kind -> the enable bit of its previous slot
    options: Any = None  # options presets: the round's option figures (option_ops.OptionBatch)


# --- shared pieces ---------------------------------------------------------------------------
def _leaf_input(c: Circuit, prefix: str, preset: Preset) -> Leaf:
    v = c.private_input(f"{prefix}.leaf", leaf_width(preset.num_markets, preset.option_slots))
    leaf = Leaf.from_fields(v, preset.num_markets, preset.option_slots)
    leaf.source = prefix
    return leaf


def _new_leaf_options(preset: Preset) -> dict:
    """A new (or liquidated) account's option fields: empty slots, the full option box."""
    k = preset.option_slots
    if not k:
        return {}
    return dict(option_series=[LC.of(0)] * k, option_sizes=[LC.of(0)] * k,
                obox_digest=LC.of(full_option_box_digest(preset.num_markets, k)))


def _settled(c: Circuit, st: BatchState, leaf: Leaf) -> Leaf:
    """`spec.transition.settle_funding`: C -= sum q_j (F_j - f_j); f_j = F_j. On options presets
    also `spec.options.close_settled` (every write closes the account's settled series; the
    spec does it when the op commits, which gives the same leaf: no op changes a settled slot)."""
    paid = funding_paid(c, leaf.positions, leaf.snapshots, st.funding)
    out = leaf.replace(collateral=LC.of(leaf.collateral) - paid, snapshots=list(st.funding))
    if st.book is not None:
        with c.scope("close_settled"):
            out = close_settled(c, st.preset, st.book, leaf.source, out)
    return out


def _index_of(index_bits) -> LC:
    return sum((LC.of(b) * (1 << i) for i, b in enumerate(index_bits)), LC())


def _opening(leaf: Leaf, packed_box) -> list:
    """`spec.da.leaf_opening` of the leaf (its packed box `packed_box`): pk, salt, the bounded
    values packed (linear: each is in its range, range checked by the write or carried from
    a leaf that was), and on options presets the option fields and the packed option box."""
    m = len(leaf.positions)
    named = {"box": packed_box, "position": leaf.positions, "snapshot": leaf.snapshots}

    def value(name, j):
        return LC.of(named[name][j] if j is not None else getattr(leaf, name))

    out = [leaf.pk_x, leaf.pk_y, leaf.salt, *spec_da.pack_opening(m, value)]
    if leaf.obox_digest is not None:
        for sid, n in zip(leaf.option_series, leaf.option_sizes):
            out += [sid, n]
        out += [leaf.obox_digest, packed_box[m]]
    return out


def _publish(c: Circuit, st: BatchState, flag, index, new: Leaf, packed_box, new_hash) -> None:
    """`spec.da.write_record` of the write of `new` (its packed box `packed_box`, its hash
    `new_hash`) at `index`, absorbed into the DA commitment when `flag` (a bit)."""
    with c.scope("da"):
        key = (hash_fields(c, [new.salt]), index)
        nonce = LC.of(st.batch_number) * (1 << spec_da.NONCE_BATCH_SHIFT) + st.da_writes
        ct = poseidon_encrypt(c, _opening(new, packed_box), key, nonce)
        record = [index, new_hash, nonce, *ct]
        h = st.da_hash
        for i in range(0, len(record), spec_da.SPONGE_RATE):
            h = hash_fields(c, [h, *record[i:i + spec_da.SPONGE_RATE]])
        if isinstance(flag, int):
            assert flag == 1
            st.da_hash = h
        else:
            st.da_hash = select(c, flag, h, st.da_hash)
        st.da_writes = LC.of(st.da_writes) + flag


def _write(c: Circuit, st: BatchState, preset: Preset, prefix: str, enabled, index_bits, old_hash,
           new: Leaf, check_box, rebox: str = "", want_root_box: bool = False, register: bool = False,
           option_digest: bool = False):
    """Write `new` (its snapshots must be the current funding indices) at the index.

    rebox "" keeps the leaf's box (`spec.transition._Writes.commit`): the box check is
    against it; "chosen" takes a new box from the `<prefix>.box` input (touch, closing
    write); "full" gives the full box (a liquidated account, flat). Returns (the new
    positions with their signs, the path inputs)."""
    # collateral and positions within their bounds
    assert_signed(c, enabled, new.collateral, COLLATERAL_BITS)
    pos = signed_positions(c, enabled, new.positions)
    path = declare_path(c, prefix, preset, keep_box=not rebox, register=register)
    m = preset.num_markets
    if rebox == "chosen":
        packed, parts = declare_box(c, prefix, preset)
    elif rebox == "full":
        packed, parts = full_packed(preset), full_parts(preset)
        if preset.option_slots:
            new = new.replace(obox_digest=LC.of(full_option_box_digest(m, preset.option_slots)))
    else:  # kept: a registration's is the empty leaf's full box (the caller asserts it)
        packed, parts = (full_packed(preset) if register else path.leaf_box), None
    checked = not (isinstance(check_box, int) and check_box == 0)
    if preset.option_slots and (checked or option_digest) and rebox != "full" and not register:
        # options presets: the option box (its digest, kept or chosen with opened rows) and the
        # account safe everywhere in its box: the grid where it holds options (option_ops)
        market_parts = parts[:m] if parts is not None else [unpack_market_box(c, x) for x in path.leaf_box[:m]]
        new, _, _ = option_write(c, st.options, preset, prefix, enabled, gate(c, enabled, check_box) if checked else 0,
                                 new, pos,
                                 market_parts, rebox, packed[m], parts[m] if rebox == "chosen" else None, st.funding)
    elif rebox == "chosen" and preset.option_slots:  # (a chosen box is always checked)
        raise AssertionError("a chosen box is checked")
    elif checked:
        # the account is solvent everywhere in its (kept or new) box
        check_parts = parts[:m] if parts is not None else [unpack_market_box(c, x) for x in path.leaf_box[:m]]
        assert_box_safe(c, gate(c, enabled, check_box), preset, new.collateral, pos, check_parts, st.funding)
    new_hash = leaf_hash(c, new)
    st.top, root_box = leaf_write(c, preset, enabled, st.top, index_bits, old_hash, new_hash,
                                   parts, path, want_root_box, new_salt=new.salt if register else None)
    _publish(c, st, enabled, _index_of(index_bits), new, packed, new_hash)
    if want_root_box:
        st.root_box = root_box
    return pos, path


def _signature(c: Circuit, prefix: str, enabled, pubkey, msg) -> None:
    """enabled => the owner of `pubkey` signed `msg`. The signature is a private witness: the
    batch proves one exists, so S < l goes unchecked (`eddsa` module docstring: S >= l passes
    only where S mod l is a valid signature, the same statement)."""
    r8x, r8y, s = c.private_input(f"{prefix}.sig", 3)
    assert_eddsa_poseidon(c, enabled, pubkey[0], pubkey[1], s, r8x, r8y, msg, canonical_s=False)


def _message(c: Circuit, preset: Preset, op_code: int, fields: list) -> LC:
    """`spec.ops.message_hash`: hash_fields([domain, OP_CODE, *message fields])."""
    return hash_fields(c, [preset.domain, op_code, *fields])


def _not_expired(c: Circuit, st: BatchState, enabled, expiry) -> None:
    # the op is still valid in this batch (batch number <= expiry)
    assert_bits(c, enabled, expiry, BATCH_BITS)
    assert_bits(c, enabled, LC.of(expiry) - st.batch_number, BATCH_BITS)


def _is_fund(c: Circuit, index) -> LC:
    return is_zero(c, index)


def _option_view(c: Circuit, st: BatchState, preset: Preset, enabled, leaf: Leaf):
    """Options presets: the leaf's slots with their series' figures from the round's table."""
    return slots_from_table(c, enabled, preset, st.options.table, leaf.option_series, leaf.option_sizes)


def _initial_ok(c: Circuit, enabled, preset: Preset, st: BatchState, leaf: Leaf, pos: Positions,
                exact: bool = False) -> LC:
    """TV >= IR at the batch figures (a bit; `leaf` settled): `cross_margin.initial_surplus`, the
    initial grid at the marks on options presets. `exact` where a 0 must be true (a forced
    withdrawal the circuit bounces)."""
    if preset.option_slots:
        slots, figs = _option_view(c, st, preset, enabled, leaf)
        s = option_marks_surplus(c, enabled, preset, "initial", leaf.collateral, pos, st.funding, st.funding,
                                 st.prices, slots, [f.array for f in figs], exact=exact)
        return option_is_nonnegative(c, enabled, s)
    return is_nonnegative(c, enabled, surplus(c, preset, leaf.collateral, pos, st.prices, "initial"))


def _maintenance_ok(c: Circuit, enabled, preset: Preset, st: BatchState, leaf: Leaf, pos: Positions) -> LC:
    """TV >= MR at the batch figures (a bit; `leaf` settled): `cross_margin.maintenance_surplus`,
    the minimal box for an option account on options presets, its mins exact (a 0 liquidates)."""
    if preset.option_slots:
        slots, figs = _option_view(c, st, preset, enabled, leaf)
        return maintenance_ok(c, enabled, preset, st.prices, st.funding, leaf.collateral, pos, slots, figs,
                              exact=True)
    return is_nonnegative(c, enabled, surplus(c, preset, leaf.collateral, pos, st.prices, "maintenance"))


def _margin_allows(c: Circuit, enabled, preset: Preset, st: BatchState, new: Leaf, pos: Positions,
                   reduces, maintenance_by_box: bool = False) -> None:
    """`spec.transition.margin_allows`: TV >= IR at the batch prices, or risk reduced in
    every market (`reduces`, a bit) and TV >= MR. `new` is settled (no funding to pay).
    Options presets: at the batch figures (`option_ops.option_margin_allows`); the ops that
    call this move no option position, so "reduces" is the perpetuals'.

    `maintenance_by_box` (a trade's sides): TV >= MR needs no check of its own. The side's
    write keeps its box and checks S_m >= 0 at the box's worst corner, so everywhere in the
    box; no later write of the batch changes the box (trades come after the touches and
    liquidations, and only the closing write, of the fund, re-boxes), so the box is in the
    root's box at the end, and the batch's root-box check puts the batch prices and funding
    indices in it: S_m >= 0 there, which is TV >= MR of the settled account. Then "TV >= IR,
    or reduced and TV >= MR" is "TV >= IR, or reduced": one range check, when not reduced.
    (Not for a liquidator: a later liquidation in the batch may re-box it.)"""
    if preset.option_slots:
        slots, figs = _option_view(c, st, preset, enabled, new)
        assert_true(c, enabled, option_margin_allows(c, enabled, preset, st.prices, st.funding, new.collateral, pos,
                                                     slots, figs, reduces))
        return
    if maintenance_by_box:
        assert_nonnegative(c, c.mul(enabled, 1 - LC.of(reduces)),
                           surplus(c, preset, new.collateral, pos, st.prices, "initial"))
        return
    ok_initial = is_nonnegative(c, enabled, surplus(c, preset, new.collateral, pos, st.prices, "initial"))
    ok_maint = is_nonnegative(c, enabled, surplus(c, preset, new.collateral, pos, st.prices, "maintenance"))
    fallback = c.mul(reduces, ok_maint)
    allowed = c.mul(1 - LC.of(ok_initial), fallback, plus=ok_initial)
    assert_true(c, enabled, allowed)


def _reduces_risk(c: Circuit, enabled, old_q, new_q) -> LC:
    """`spec.transition.reduces_risk`: |new| <= |old| and new * old >= 0 (a bit)."""
    _, abs_old = sign_abs(c, enabled, old_q, POSITION_BITS)
    _, abs_new = sign_abs(c, enabled, new_q, POSITION_BITS + 1)
    not_larger = less_eq(c, gate(c, enabled, abs_new), gate(c, enabled, abs_old), POSITION_BITS)
    same_side = 1 - is_negative_gated(c, enabled, c.mul(old_q, new_q), 2 * POSITION_BITS + 1)
    return c.mul(not_larger, same_side)


def _enabled(c: Circuit, prefix: str) -> LC:
    e = c.private_input(f"{prefix}.enabled")
    assert_bool(c, e)
    return e


def _in_order(c: Circuit, st: BatchState, prefix: str, en) -> int:
    """The slots of a kind are used in order: enabled => the previous slot is enabled. Returns
    the slot's number s (its message entry, and for a queue the entry from + s)."""
    kind, s = prefix[:prefix.index("[")], int(prefix[prefix.index("[") + 1:-1])
    if s > 0:
        c.assert_product(en, 1 - LC.of(st.last_enabled[kind]), 0)
    st.last_enabled[kind] = en
    return s


# --- the ops ---------------------------------------------------------------------------------
def register_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    """`spec.transition.process_register`: the next entry of the L1 registration queue (the
    contract checked the key is a pair of field elements and the id is below the capacity)."""
    en = _enabled(c, prefix)
    s = _in_order(c, st, prefix, en)
    pk_x, pk_y, l1 = (c.private_input(f"{prefix}.{k}") for k in ("pk_x", "pk_y", "l1_address"))
    # the fields fit their widths (the contract enforces it: else the message cannot match)
    l1_bits = assert_bits(c, en, l1, ADDRESS_BITS)
    # the id the contract assigned: FIRST_L1_ACCOUNT + the entry's queue index (registrationFrom
    # + s, the slots being used in order), below the capacity
    account = LC.of(st.registration_index) + FIRST_L1_ACCOUNT
    bits = index_bits_of(c, en, account, preset)
    # the leaf's salt: Poseidon(P.x, id), P = ECDH(the sequencer's DA scalar, the registered
    # key) (`spec.da.account_salt`): the owner derives it, and its cipher key, from its own key
    salt = hash_fields(c, [ecdh.shared_point(c, st.da_bits, (pk_x, pk_y))[0], account])
    # the old leaf is empty (hash 0, full box); the new one holds the key and the L1 owner
    path_prefix = f"{prefix}.account"
    m = preset.num_markets
    new = Leaf(pk_x, pk_y, l1, LC.of(0), LC.of(0), LC.of(0), [LC.of(0)] * m, list(st.funding), salt,
               **_new_leaf_options(preset))
    # a new account (no position, no collateral) is safe in the empty leaf's full box; the
    # salt changes the blinds up the path
    _, path = _write(c, st, preset, path_prefix, en, bits, 0, new, check_box=0, register=True)
    old_leaf_box_is_full(c, en, path, preset)
    st.registration_index = LC.of(st.registration_index) + en
    # the message's entry: the key and the owner (zero when the slot is unused)
    st.message.put(c, f"registration[{s}].pubkeyX", c.mul(en, pk_x))
    st.message.put(c, f"registration[{s}].pubkeyY", c.mul(en, pk_y))
    st.message.put_bits(f"registration[{s}].owner", l1_bits)


@dataclass
class QueueEntry:
    """One entry of an L1 queue (deposits, forced withdrawals) and the leaf it names."""

    enabled: LC
    slot: int  # s: the entry is the queue's from + s
    account: LC
    amount: LC
    account_bits: list  # the 32 bits of enabled * account (LSB first)
    amount_bits: list  # the AMOUNT_BITS bits of enabled * amount
    registered: LC  # the leaf is a registered account (bound by the path: its hash is not 0)
    index_bits: list  # the account's position in the tree
    pre: Leaf
    settled: Leaf

    def emit(self, c: Circuit, st: BatchState, section: str, flag_name: str, flag) -> None:
        """The entry's message fields: account, amount, and its flag byte (0 when unused)."""
        st.message.put_bits(f"{section}[{self.slot}].accountId", self.account_bits)
        st.message.put_bits(f"{section}[{self.slot}].amount", self.amount_bits)
        st.message.put_bits(f"{section}[{self.slot}].{flag_name}", [flag])


def _queue_entry(c: Circuit, st: BatchState, preset: Preset, prefix: str, leaf_required: bool) -> QueueEntry:
    """The inputs of a queue slot: the entry, checked as the L1 contract enforces it, and the
    leaf of its account (registered; or, unless `leaf_required`, possibly empty)."""
    en = _enabled(c, prefix)
    s = _in_order(c, st, prefix, en)
    account, amount = (c.private_input(f"{prefix}.{k}") for k in ("account", "amount"))
    if leaf_required:
        registered = en
    else:
        registered = c.private_input(f"{prefix}.registered")
        assert_bool(c, registered)
        c.assert_product(registered, 1 - LC.of(en), 0)  # a disabled slot reads no leaf
    # the fields fit their widths (the contract enforces them: the message's entry is its
    # queued one); the id is in the tree (the contract queues entries for registered ids only)
    id_bits = assert_bits(c, en, account, ACCOUNT_BITS)
    amount_bits = assert_bits(c, en, amount, AMOUNT_BITS)
    c.assert_zero(from_bits(c, id_bits[preset.account_bits:]))
    pre = _leaf_input(c, f"{prefix}.account", preset)
    return QueueEntry(en, s, account, amount, id_bits, amount_bits, registered, id_bits[:preset.account_bits], pre,
                      _settled(c, st, pre))


def _applied_or_read(c: Circuit, st: BatchState, q: QueueEntry, applied, collateral) -> Leaf:
    """The entry's leaf after it: settled with `collateral` when `applied`, else unchanged."""
    pre, done = q.pre, q.settled
    out = pre.replace(collateral=select(c, applied, collateral, pre.collateral),
                      snapshots=[select(c, applied, big_f, f) for big_f, f in zip(st.funding, pre.snapshots)])
    if pre.obox_digest is not None:  # options presets: settled series closed when applied
        out = out.replace(option_series=[select(c, applied, a, b) for a, b in zip(done.option_series, pre.option_series)],
                          option_sizes=[select(c, applied, a, b) for a, b in zip(done.option_sizes, pre.option_sizes)],
                          obox_digest=select(c, applied, done.obox_digest, pre.obox_digest))
    return out


def deposit_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    """`spec.transition.process_deposit`: the next deposit of the L1 queue, never refused;
    credited exactly when the leaf exists and the collateral stays in its range, else
    bounced (paid back to the owner by the contract). The circuit computes the flag, the
    prover does not choose it: `registered` is pinned by the tree (an empty leaf's hash is 0,
    a leaf's never)."""
    q = _queue_entry(c, st, preset, prefix, leaf_required=False)
    new_c = LC.of(q.settled.collateral) + q.amount
    # credited unless the leaf is empty or the collateral would overflow
    credited = c.mul(q.registered, _fits_collateral(c, q.enabled, new_c))
    bounced = q.enabled - credited
    # a bounce reads the leaf and writes it back unchanged
    new = _applied_or_read(c, st, q, credited, new_c)
    path = declare_path(c, f"{prefix}.account", preset, keep_box=True)
    # the box is kept; a credit is checked like every write (the fund's is exempt)
    assert_signed(c, q.enabled, new.collateral, COLLATERAL_BITS)
    pos = signed_positions(c, q.enabled, new.positions)
    not_fund = 1 - _is_fund(c, q.account)
    parts = [unpack_market_box(c, x) for x in path.leaf_box[:preset.num_markets]]
    if preset.option_slots:  # options presets: the grid over the kept box, the option box digest kept
        new, _, _ = option_write(c, st.options, preset, f"{prefix}.account", q.registered, c.mul(credited, not_fund),
                                 new, pos, parts, "", path.leaf_box[preset.num_markets], None, st.funding)
    else:
        assert_box_safe(c, c.mul(credited, not_fund), preset, new.collateral, pos, parts, st.funding)
    # registered: the old hash is a leaf hash (never 0) under the root; else the leaf is empty
    # (hash 0) and stays so
    new_hash = leaf_hash(c, new)
    st.top, _ = leaf_write(c, preset, q.enabled, st.top, q.index_bits, c.mul(q.registered, leaf_hash(c, q.pre)),
                            c.mul(q.registered, new_hash), None, path)
    # a registered leaf is written back (credited or not): its DA record
    _publish(c, st, q.registered, q.account, new, path.leaf_box, new_hash)
    # the queue advances; the message carries the entry and its bounced flag
    st.deposit_index = LC.of(st.deposit_index) + q.enabled
    q.emit(c, st, "deposit", "bounced", bounced)


def _fits_collateral(c: Circuit, enabled, x) -> LC:
    """1 if x is a signed COLLATERAL_BITS value, for |x| < 2^TV_BITS (0 when disabled).

    y = x + 2^63 + 2^(TV_BITS + 1) is positive and below 2^(TV_BITS + 2); x + 2^63 lies in
    [0, 2^64) exactly when y's bits above the 64th spell 2^(TV_BITS + 1 - 64)."""
    from circuits.gadgets.bits import from_bits, to_bits

    lift = 1 << (TV_BITS + 1)
    bits = to_bits(c, gate(c, enabled, LC.of(x) + (1 << (COLLATERAL_BITS - 1)) + lift), TV_BITS + 2)
    high = from_bits(c, bits[COLLATERAL_BITS:])
    return c.mul(enabled, is_zero(c, high - (lift >> COLLATERAL_BITS)))


def forced_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    """`spec.transition.process_forced_withdrawal`: never refused; executed exactly when the
    spec executes it (the circuit computes the flag, the prover does not choose it). The
    contract checked the sender owns the account; the leaf may still be empty (its
    registration not consumed yet): then nothing is executed."""
    q = _queue_entry(c, st, preset, prefix, leaf_required=False)
    after = q.settled.replace(collateral=LC.of(q.settled.collateral) - q.amount)
    # executed iff the leaf exists, the amount is positive and the account keeps TV >= IR
    # (its collateral in range)
    positive = 1 - is_zero(c, q.amount)
    live = c.mul(q.registered, positive)  # registered implies enabled
    pos = signed_positions(c, live, after.positions)
    fits = _fits_collateral(c, live, after.collateral)
    affords = _initial_ok(c, live, preset, st, after, pos, exact=True)
    executed = c.mul(fits, affords)  # fits is 0 unless live
    new = _applied_or_read(c, st, q, executed, after.collateral)
    path = declare_path(c, f"{prefix}.account", preset)
    packed, parts = declare_box(c, f"{prefix}.account", preset)
    # executed: the sequencer's new box, checked; otherwise a read keeps the box
    for j in range(len(packed)):
        assert_equal_when(c, q.enabled - executed, packed[j], path.leaf_box[j])
    m = preset.num_markets
    if preset.option_slots:  # and the new option box, its rows opened, the grid over it (a read keeps the digest)
        boxed, _, _ = option_write(c, st.options, preset, f"{prefix}.account", executed, executed, new, pos, parts[:m],
                                   "chosen", packed[m], parts[m], st.funding)
        new = new.replace(obox_digest=select(c, executed, boxed.obox_digest, new.obox_digest))
    else:
        assert_box_safe(c, executed, preset, new.collateral, pos, parts[:m], st.funding)
    assert_signed(c, q.enabled, new.collateral, COLLATERAL_BITS)
    new_hash = leaf_hash(c, new)
    st.top, _ = leaf_write(c, preset, q.enabled, st.top, q.index_bits, c.mul(q.registered, leaf_hash(c, q.pre)),
                            c.mul(q.registered, new_hash), parts, path)
    _publish(c, st, q.registered, q.account, new, packed, new_hash)
    # the queue advances; the message carries the entry and its executed flag (the contract pays)
    st.forced_index = LC.of(st.forced_index) + q.enabled
    q.emit(c, st, "forced", "executed", executed)


def funding_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    market, delta = c.private_input(f"{prefix}.market"), c.private_input(f"{prefix}.delta")
    # a real market; the step is bounded; the index stays in range
    e = one_hot(c, en, market, preset.num_markets)
    max_delta = sum((LC.of(b) * mk.max_funding_delta for b, mk in zip(e, preset.markets)), LC())
    assert_bits(c, en, LC.of(max_delta) - delta, FUNDING_BITS)
    assert_bits(c, en, LC.of(max_delta) + delta, FUNDING_BITS)
    new_funding = [LC.of(f) + c.mul(b, delta) for f, b in zip(st.funding, e)]
    for f in new_funding:
        assert_signed(c, en, f, FUNDING_BITS)
    st.funding = new_funding


def touch_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    account = c.private_input(f"{prefix}.account")
    bits = index_bits_of(c, en, account, preset)
    pre = _leaf_input(c, f"{prefix}.account", preset)
    new = _settled(c, st, pre)
    if preset.option_slots:
        # options presets: above maintenance (the minimal box where it holds options, else the
        # linear requirement; else it must be liquidated); then the touch may reserve slots
        # holding no position for live series (`Touch.assign`, the slots' new series ids
        # `<prefix>.sid`), and re-boxes with the rows of its slots opened (_write)
        pos = signed_positions(c, en, new.positions)
        slots, figs = slots_from_table(c, en, preset, st.options.table, new.option_series, new.option_sizes)
        assert_true(c, en, maintenance_ok(c, en, preset, st.prices, st.funding, new.collateral, pos, slots, figs))
        sids = c.private_input(f"{prefix}.sid", preset.option_slots)
        assign_series(c, en, st.options, new.option_series, new.option_sizes, sids)
        _write(c, st, preset, f"{prefix}.account", en, bits, leaf_hash(c, pre), new.replace(option_series=list(sids)),
               check_box=1, rebox="chosen")
        return
    pos, _ = _write(c, st, preset, f"{prefix}.account", en, bits, leaf_hash(c, pre), new, check_box=1,
                    rebox="chosen")
    # solvent at the batch prices (else it must be liquidated)
    assert_nonnegative(c, en, surplus(c, preset, new.collateral, pos, st.prices, "maintenance"))


def withdrawal_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    s = _in_order(c, st, prefix, en)
    account, amount, nonce, expiry = (c.private_input(f"{prefix}.{k}") for k in ("account", "amount", "nonce", "expiry"))
    # the fields fit their widths, the amount is positive
    amount_bits = assert_bits(c, en, amount, AMOUNT_BITS)
    assert_nonzero(c, en, amount)
    bits = index_bits_of(c, en, account, preset)
    pre = _leaf_input(c, f"{prefix}.account", preset)
    # signed by the owner, not expired, fresh nonce
    msg = _message(c, preset, spec_ops.OP_WITHDRAW, [account, amount, nonce, expiry])
    _signature(c, prefix, en, (pre.pk_x, pre.pk_y), msg)
    _not_expired(c, st, en, expiry)
    nonce_hi, bitmap = use_nonce(c, en, pre.nonce_hi, pre.nonce_bitmap, nonce)
    settled = _settled(c, st, pre)
    new = settled.replace(collateral=LC.of(settled.collateral) - amount, nonce_hi=nonce_hi, nonce_bitmap=bitmap)
    pos, _ = _write(c, st, preset, f"{prefix}.account", en, bits, leaf_hash(c, pre), new,
                    check_box=1 - _is_fund(c, account))
    # the account keeps TV >= IR at the batch prices (options presets: at the batch figures)
    if preset.option_slots:
        assert_true(c, en, _initial_ok(c, en, preset, st, new, pos))
    else:
        assert_nonnegative(c, en, surplus(c, preset, new.collateral, pos, st.prices, "initial"))
    # the message's entry (account, amount), which the contract pays to the account's L1
    # owner (the leaf's l1_address: both are set at registration and never change)
    st.message.put_bits(f"withdrawal[{s}].accountId", bits)
    st.message.put_bits(f"withdrawal[{s}].amount", amount_bits)


def _cosigned_side(c: Circuit, st: BatchState, preset: Preset, prefix: str, side: str, en, v: dict, msg):
    """One side of a co-signed trade (perpetual or option): its leaf and index bits, its
    signature over the trade's one message, its fresh nonce, its settled leaf (expiry closing);
    returns (pre, bits, nonce_hi, bitmap, settled)."""
    pre = _leaf_input(c, f"{prefix}.{side}", preset)
    bits = index_bits_of(c, en, v[side], preset)
    # both counterparties sign the same message; both nonces fresh
    _signature(c, f"{prefix}.{side}", en, (pre.pk_x, pre.pk_y), msg)
    nonce_hi, bitmap = use_nonce(c, en, pre.nonce_hi, pre.nonce_bitmap, v[f"{side}_nonce"])
    return pre, bits, nonce_hi, bitmap, _settled(c, st, pre)


def trade_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    names = [f for f, _, _ in spec_ops.Trade.FIELDS]
    v = {k: c.private_input(f"{prefix}.{k}") for k in names}
    # the fields fit their widths; a real market, a positive size, two different accounts
    for name, width, _ in spec_ops.Trade.FIELDS:
        # one-hot and index bits check market, buyer and seller; the nonce window each nonce
        # (`use_nonce`), the expiry check the expiry (`_not_expired`)
        if name not in ("market", "buyer", "seller", "buyer_nonce", "seller_nonce", "expiry"):
            assert_bits(c, en, v[name], width)
    e = one_hot(c, en, v["market"], preset.num_markets)
    assert_nonzero(c, en, v["size"])
    assert_nonzero(c, en, LC.of(v["buyer"]) - v["seller"])
    # the insurance fund does not trade
    assert_nonzero(c, en, v["buyer"])
    assert_nonzero(c, en, v["seller"])
    msg = _message(c, preset, spec_ops.OP_TRADE, [v[k] for k in names])
    _not_expired(c, st, en, v["expiry"])
    cost = c.mul(v["size"], v["price"])
    moved = [c.mul(b, v["size"]) for b in e]  # size in the traded market, 0 elsewhere
    for side, sign in (("buyer", 1), ("seller", -1)):
        pre, bits, nonce_hi, bitmap, settled = _cosigned_side(c, st, preset, prefix, side, en, v, msg)
        new = settled.replace(
            collateral=LC.of(settled.collateral) - cost * sign - v["fee"],
            positions=[LC.of(q) + mv * sign for q, mv in zip(settled.positions, moved)],
            nonce_hi=nonce_hi, nonce_bitmap=bitmap)
        pos, _ = _write(c, st, preset, f"{prefix}.{side}", en, bits, leaf_hash(c, pre), new, check_box=1)
        # each side ends with TV >= IR, or reduced risk and TV >= MR: only the traded market
        # moves, and it moves toward zero without crossing iff its new position is <= 0 for
        # the buyer (>= 0 for the seller): its sign bit from the write's range check (0 in a
        # disabled slot), and for the buyer whether it is 0
        neg = pick(c, e, pos.neg)
        if sign > 0:
            reduces = neg + is_zero(c, pick(c, e, new.positions))
        else:
            reduces = LC.of(en) - neg
        _margin_allows(c, en, preset, st, new, pos, reduces, maintenance_by_box=True)
    # each pays the fee to the insurance fund, credited when the batch closes
    st.fees = st.fees + c.mul(en, 2 * LC.of(v["fee"]))


def liquidation_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    account, receiver, r_nonce, expiry = (c.private_input(f"{prefix}.{k}")
                                         for k in ("account", "receiver", "receiver_nonce", "expiry"))
    m = preset.num_markets
    # fields fit; the target is not the fund; a distinct receiver
    assert_bits(c, en, r_nonce, spec_ops.NONCE_BITS)
    assert_bits(c, en, expiry, BATCH_BITS)
    assert_nonzero(c, en, account)
    assert_nonzero(c, en, LC.of(receiver) - account)
    to_fund = c.mul(en, _is_fund(c, receiver))
    by_liquidator = en - to_fund
    # the fund takes over unsigned: no nonce, no expiry
    assert_equal_when(c, to_fund, r_nonce, 0)
    assert_equal_when(c, to_fund, expiry, 0)
    target = _leaf_input(c, f"{prefix}.target", preset)
    t = _settled(c, st, target)
    t_pos = signed_positions(c, en, t.positions)
    # only an account below maintenance margin at the batch prices can be liquidated
    assert_true(c, en, LC.of(en) - _maintenance_ok(c, en, preset, st, t, t_pos))
    # penalty = min(max(TV, 0), sum_j |q_j| p_j penalty_j // BPS)
    notional = LC()  # sum_j q_j p_j
    scaled = LC()  # sum_j |q_j| p_j penalty_j
    for j, mk in enumerate(preset.markets):
        qg = c.mul(t_pos.q[j], st.prices[j])
        abs_qg = qg - 2 * c.mul(t_pos.neg[j], qg)
        notional = notional + qg * mk.price_step
        scaled = scaled + abs_qg * (mk.price_step * mk.penalty_bps)
    option_value = LC()  # options presets: the target's options at their marks, with their penalty
    if preset.option_slots:
        option_value, option_scaled = target_option_values(c, preset, *_option_view(c, st, preset, en, t))
        scaled = scaled + option_scaled
    quot, rem = c.hint(lambda x: divmod(x, BPS), scaled, n=2)
    c.assert_equal(LC.of(quot) * BPS + rem, scaled)
    assert_bits(c, en, rem, BPS_BITS)
    assert_bits(c, en, LC.of(BPS - 1) - rem, BPS_BITS)
    assert_bits(c, en, quot, TV_BITS + 2)
    tv = LC.of(t.collateral) + notional + option_value
    tv_pos = c.mul(1 - is_negative_gated(c, en, tv, TV_BITS + 2), tv)
    smaller = less_than(c, gate(c, en, quot), gate(c, en, tv_pos), TV_BITS + 2)
    penalty = select(c, smaller, quot, tv_pos)
    # the positions move to the receiver at the mark price, with the penalty
    t_c = tv - penalty
    bad_debt = c.mul(is_negative_gated(c, en, t_c, TV_BITS + 3), t_c)  # min(t_c, 0)
    t_bits = index_bits_of(c, en, account, preset)
    new_target = t.replace(collateral=t_c - bad_debt, positions=[LC.of(0)] * m, **_new_leaf_options(preset))
    # options presets: the target's option slots are emptied, its options move to the receiver at
    # their marks (`spec.options.move_options`)
    moves = list(zip(t.option_series, t.option_sizes))
    # the target ends flat with C >= 0: safe at every price, it gets the full box
    _write(c, st, preset, f"{prefix}.target", en, t_bits, leaf_hash(c, target), new_target, check_box=1,
           rebox="full")
    # a liquidator signs its take-over, with its own nonce and expiry
    rec = _leaf_input(c, f"{prefix}.receiver", preset)
    msg = _message(c, preset, spec_ops.OP_LIQUIDATE, [account, receiver, r_nonce, expiry])
    _signature(c, f"{prefix}.receiver", by_liquidator, (rec.pk_x, rec.pk_y), msg)
    _not_expired(c, st, by_liquidator, expiry)
    nonce_hi, bitmap = use_nonce(c, by_liquidator, rec.nonce_hi, rec.nonce_bitmap, r_nonce)
    r = _settled(c, st, rec)
    new_rec = r.replace(collateral=LC.of(r.collateral) - notional - option_value + penalty,
                        positions=[LC.of(q) + tq for q, tq in zip(r.positions, t_pos.q)],
                        nonce_hi=nonce_hi, nonce_bitmap=bitmap)
    options_reduced = LC.of(1)
    if preset.option_slots:
        r_sids, r_sizes, options_reduced = receive_options(c, by_liquidator, r.option_series, r.option_sizes, moves)
        new_rec = new_rec.replace(option_series=r_sids, option_sizes=r_sizes)
    r_bits = index_bits_of(c, by_liquidator, receiver, preset)
    r_pos, _ = _write(c, st, preset, f"{prefix}.receiver", by_liquidator, r_bits, leaf_hash(c, rec), new_rec,
                      check_box=1)
    # the liquidator ends with TV >= IR, or reduced risk and TV >= MR
    reduces = options_reduced
    for old_q, new_q in zip(r.positions, new_rec.positions):
        reduces = c.mul(reduces, _reduces_risk(c, by_liquidator, old_q, new_q))
    _margin_allows(c, by_liquidator, preset, st, new_rec, r_pos, reduces)
    # bad debt: the insurance fund covers it (and takes the positions when it is the receiver)
    fund = _leaf_input(c, f"{prefix}.fund", preset)
    f = _settled(c, st, fund)
    take = [c.mul(to_fund, tq) for tq in t_pos.q]
    new_fund = f.replace(collateral=LC.of(f.collateral) + bad_debt + c.mul(to_fund, penalty - notional - option_value),
                         positions=[LC.of(q) + tq for q, tq in zip(f.positions, take)])
    if preset.option_slots:  # the fund takes the options when it is the receiver
        f_sids, f_sizes, _ = receive_options(c, to_fund, f.option_series, f.option_sizes, moves)
        new_fund = new_fund.replace(option_series=f_sids, option_sizes=f_sizes)
    _write(c, st, preset, f"{prefix}.fund", en, [0] * preset.account_bits, leaf_hash(c, fund), new_fund,
           check_box=0, option_digest=True)


def deleverage_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    en = _enabled(c, prefix)
    account, market, size, haircut = (c.private_input(f"{prefix}.{k}") for k in ("account", "market", "size", "haircut"))
    # fields fit; a real market; a counterparty other than the fund; something to do
    assert_bits(c, en, size, POSITION_BITS - 1)
    assert_bits(c, en, haircut, AMOUNT_BITS)
    e = one_hot(c, en, market, preset.num_markets)
    assert_nonzero(c, en, account)
    assert_nonzero(c, en, LC.of(size) + haircut)
    fund = _leaf_input(c, f"{prefix}.fund", preset)
    cp = _leaf_input(c, f"{prefix}.account", preset)
    f, a = _settled(c, st, fund), _settled(c, st, cp)
    f_pos = signed_positions(c, en, f.positions)
    # the insurance fund is in shortfall: TV < MR at the batch prices
    assert_true(c, en, LC.of(en) - _maintenance_ok(c, en, preset, st, f, f_pos))
    q_fund, q_cp = pick(c, e, f.positions), pick(c, e, a.positions)
    neg_fund, abs_fund = sign_abs(c, en, q_fund, POSITION_BITS)
    _, abs_cp = sign_abs(c, en, q_cp, POSITION_BITS)
    # with a size: the counterparty holds the opposite side, and both hold at least `size`
    has_size = c.mul(en, 1 - is_zero(c, size))
    opposite = is_negative_gated(c, has_size, c.mul(q_fund, q_cp), 2 * POSITION_BITS)
    assert_true(c, has_size, opposite)
    assert_bits(c, has_size, abs_fund - size, POSITION_BITS)
    assert_bits(c, has_size, abs_cp - size, POSITION_BITS)
    # the haircut covers at most the fund's negative total value
    fund_tv = LC.of(f.collateral)
    for j, mk in enumerate(preset.markets):
        fund_tv = fund_tv + c.mul(f.positions[j], st.prices[j]) * mk.price_step
    deficit = c.mul(is_negative_gated(c, en, fund_tv, TV_BITS + 2), -fund_tv)  # max(0, -TV)
    assert_bits(c, en, deficit - haircut, TV_BITS + 2)
    # the fund's lots (signed like q_fund) move to the counterparty at the mark price
    moved = c.mul(1 - 2 * LC.of(neg_fund), size)
    price = pick(c, e, [LC.of(g) * mk.price_step for g, mk in zip(st.prices, preset.markets)])
    value = c.mul(moved, price)
    moved_by_market = [c.mul(b, moved) for b in e]
    new_fund = f.replace(collateral=LC.of(f.collateral) + value + haircut,
                         positions=[LC.of(q) - mv for q, mv in zip(f.positions, moved_by_market)])
    _write(c, st, preset, f"{prefix}.fund", en, [0] * preset.account_bits, leaf_hash(c, fund), new_fund,
           check_box=0)
    # the counterparty must stay solvent (the box check of its write)
    new_cp = a.replace(collateral=LC.of(a.collateral) - value - haircut,
                       positions=[LC.of(q) + mv for q, mv in zip(a.positions, moved_by_market)])
    bits = index_bits_of(c, en, account, preset)
    _write(c, st, preset, f"{prefix}.account", en, bits, leaf_hash(c, cp), new_cp, check_box=1)


def option_trade_slot(c: Circuit, st: BatchState, preset: Preset, prefix: str) -> None:
    """`spec.transition.process_option_trade` (options presets): co-signed like `trade_slot`;
    the series is live and not expired (in the round's figures table, its expiry after the
    round's time), each side's slot holding the series moves by the size, the premium moves
    from buyer to seller, each pays the fee; each side ends with TV >= IR at the batch figures,
    or reduced risk and above maintenance (`option_ops.option_trade_side`), and safe in its box
    (the write's grid check)."""
    en = _enabled(c, prefix)
    names = [f for f, _, _ in spec_ops.OptionTrade.FIELDS]
    v = {k: c.private_input(f"{prefix}.{k}") for k in names}
    # the fields fit their widths; a positive size, two different accounts, not the fund
    for name, width, _ in spec_ops.OptionTrade.FIELDS:
        if name not in ("buyer", "seller"):  # index bits check those
            assert_bits(c, en, v[name], width)
    assert_nonzero(c, en, v["size"])
    assert_nonzero(c, en, LC.of(v["buyer"]) - v["seller"])
    assert_nonzero(c, en, v["buyer"])
    assert_nonzero(c, en, v["seller"])
    # a listed series, not expired (its figures are this round's: a grid other than the
    # published one cannot open them, options.figures_commitment)
    tradable_series(c, en, st.options.table, v["series"], st.options.timestamp)
    msg = _message(c, preset, spec_ops.OP_OPTION_TRADE, [v[k] for k in names])
    _not_expired(c, st, en, v["expiry"])
    for side, sign in (("buyer", 1), ("seller", -1)):
        pre, bits, nonce_hi, bitmap, settled = _cosigned_side(c, st, preset, prefix, side, en, v, msg)
        pos = signed_positions(c, en, settled.positions)
        t = option_trade_side(c, en, preset, st.options.table, st.prices, st.funding, settled.collateral, pos,
                              settled.option_series, settled.option_sizes, v["series"], v["size"], v["premium"],
                              v["fee"], sign)
        # each side ends with TV >= IR, or reduced risk and TV >= MR, at the batch figures
        assert_true(c, en, t.allowed)
        new = settled.replace(collateral=t.collateral, option_sizes=t.sizes, nonce_hi=nonce_hi, nonce_bitmap=bitmap)
        _write(c, st, preset, f"{prefix}.{side}", en, bits, leaf_hash(c, pre), new, check_box=1)
    # each pays the fee to the insurance fund, credited when the batch closes
    st.fees = st.fees + c.mul(en, 2 * LC.of(v["fee"]))


def closing_write(c: Circuit, st: BatchState, preset: Preset, prefix: str = "close") -> None:
    """`spec.transition.process_insurance_settle`: credit the batch's fees to the fund and
    re-box it, checked; its path yields the root's box for the end-of-batch check."""
    fund = _leaf_input(c, f"{prefix}.fund", preset)
    settled = _settled(c, st, fund)
    new = settled.replace(collateral=LC.of(settled.collateral) + st.fees)
    _write(c, st, preset, f"{prefix}.fund", 1, [0] * preset.account_bits, leaf_hash(c, fund), new,
           check_box=1, rebox="chosen", want_root_box=True)


SLOTS = (  # (slot name, preset attribute, gadget) in `spec.ops.KIND_ORDER`
    ("register", "register_slots", register_slot),
    ("deposit", "deposit_slots", deposit_slot),
    ("forced", "forced_slots", forced_slot),
    ("funding", "funding_slots", funding_slot),
    ("touch", "touch_slots", touch_slot),
    ("liquidation", "liquidation_slots", liquidation_slot),
    ("withdrawal", "withdrawal_slots", withdrawal_slot),
    ("trade", "trade_slots", trade_slot),
    ("deleverage", "deleverage_slots", deleverage_slot),
    ("option_trade", "option_trade_slots", option_trade_slot),
)
assert [spec_ops.KIND_ORDER.index(k) for k in (spec_ops.Register, spec_ops.Deposit, spec_ops.ForcedWithdraw,
                                               spec_ops.Funding, spec_ops.Touch, spec_ops.Liquidate,
                                               spec_ops.Withdraw, spec_ops.Trade, spec_ops.Deleverage,
                                               spec_ops.OptionTrade)] == list(range(10))
