"""The batch circuit's input dict from a `spec.witness.BatchRecord`.

Names follow the circuit (`batch.py`, `ops.py`, `tree.py`):

    digest                                        the one public input (`BatchRecord.digest`)
    batch_number, oracle_round, prices[M]         the batch header
    registration_from, deposit_from, forced_from  the L1 queue positions before the batch
    old.oracle_round, old.prices[M], old.funding[M]   the old globals
    top.hash[a^T], top.commit[(a^T-1)/(a-1)]      the old tree's top (`tree.TreeTop`): the hashes
                                                  of the nodes at height D - T, the commitments
                                                  of the nodes above
    <kind>[i].enabled and the op's fields        kind in register (pk_x, pk_y, l1_address),
                                                  deposit (account, amount), forced (account,
                                                  amount, registered), funding, liquidation,
                                                  touch, withdrawal, trade, deleverage
    <kind>[i].<role>.leaf[7 + 2M]                the leaf before the write (Account.fields())
    old.book.*, figures.*, listing[i].*,         option presets: the old book's parts, the round's
    settlement[i].*                               figures (the circuit computes the message's
                                                  figuresRoot from them: option_state.py)
    <kind>[i].<role>.close.*                     option presets: expiry closing of each leaf read
    da_scalar                                    the sequencer's secret DA scalar (the registrations
                                                  derive the new salts from it: spec.da)
    <kind>[i].<role>.box[M]                      the packed box chosen (touch and the closing
                                                  write only: other writes keep the box)
    <kind>[i].<role>.sib_hash[D-T][a-1], .sib_box[D][a-1][M], .node_box[D][M], .blind[D]
                                                  the path of a write that changes the box
                                                  (sibling hashes below the top T levels); one
                                                  that keeps it has level 0's boxes, level 1's
                                                  blind and .box_commit[D-1-T]; a
                                                  registration every level's boxes and
                                                  .sib_blind[D][a-1] instead of .blind
    <kind>[i](.<role>).sig[3]                    R8x, R8y, S of a signature
    close.fund.*                                  the closing write

Roles per kind: register/deposit/touch/withdrawal `account`; trade `buyer`, `seller`;
liquidation `target`, `receiver`, `fund`; deleverage `fund`, `account`.
Disabled slots and unused roles are all zeros.
"""
from __future__ import annotations

import math

from sequencer.spec import box as spec_box
from sequencer.spec import ops as spec_ops
from sequencer.spec import tree as spec_tree
from sequencer.spec.constants import Preset
from sequencer.spec.hashing import hash_fields, to_field
from sequencer.spec.public import batch_digest
from sequencer.spec.state import LeafUpdate, account_hash
from sequencer.spec.witness import BatchRecord

from .common import leaf_width
from .ops import SLOTS
from .tree import top_levels

KIND_OF_SLOT = {"register": spec_ops.Register, "deposit": spec_ops.Deposit, "forced": spec_ops.ForcedWithdraw,
                "funding": spec_ops.Funding,
                "liquidation": spec_ops.Liquidate, "touch": spec_ops.Touch, "withdrawal": spec_ops.Withdraw,
                "trade": spec_ops.Trade, "deleverage": spec_ops.Deleverage, "option_trade": spec_ops.OptionTrade}

# options presets: the writes whose option box the circuit checks (`ops._write`'s option part):
# the cached rows (and, keeping the box, its bounds) of the leaf; a chosen box's rows' openings
OPTION_CHECKED = {("deposit", "account"), ("forced", "account"), ("touch", "account"), ("withdrawal", "account"), ("trade", "buyer"), ("trade", "seller"),
                  ("liquidation", "receiver"), ("liquidation", "fund"), ("deleverage", "account"), ("option_trade", "buyer"),
                  ("option_trade", "seller")}


# the writes that take a box chosen by the sequencer, and all that change the box (a
# liquidated account gets the full one); every other write keeps the leaf's box
CHOSEN_BOX = {("touch", "account"), ("forced", "account")}
NEW_BOX = CHOSEN_BOX | {("liquidation", "target")}


class InputError(ValueError):
    """The record does not fit the circuit's shape (too many ops of a kind, wrong preset)."""


def _zeros(shape: tuple):
    if not shape:
        return 0
    return [_zeros(shape[1:]) for _ in range(shape[0])]


def _sig(sig) -> list[int]:
    return [sig.R8[0], sig.R8[1], sig.S]


def _write_inputs(u: LeafUpdate, preset: Preset, keep_box: bool, register: bool = False) -> dict:
    """leaf, box and path inputs of one leaf write (`tree.declare_path` for the shapes)."""
    m = preset.num_markets
    options = bool(preset.option_slots)
    full = spec_box.full(m)
    pre_box = u.pre.box if u.pre is not None else full
    post_box = u.post.box if u.post is not None else full

    def obounds(account):  # the leaf's option box bounds in the tree (options presets)
        return spec_box.option_bounds(account.obox if account is not None else None, m)

    def packed(box, ob) -> list[int]:  # a node's packed box entries (option box last)
        return spec_box.pack_box(box) + ([spec_box.pack_option(ob)] if options else [])

    blind = u.pre.salt if u.pre is not None else spec_tree.EMPTY_LEAF_SALT
    node_boxes, blinds, commitments, b, ob = [], [], [], pre_box, obounds(u.pre)
    for level in u.path:  # the old box of the path's node at each level, its parent's blind and box commitment
        node_boxes.append(packed(b, ob))
        children = list(level.sibling_boxes)
        children.insert(level.position, b)
        child_obs = None
        if options:
            child_obs = list(level.sibling_option_boxes)
            child_obs.insert(level.position, ob)
            ob = spec_box.intersect_options(child_obs)
        child_blinds = list(level.sibling_blinds)
        child_blinds.insert(level.position, blind)
        blind = spec_tree.blind_hash(child_blinds)
        blinds.append(blind)
        commitments.append(spec_tree.box_commitment(children, blind, child_obs))
        b = spec_box.intersect(children)
    leaf = [to_field(x) for x in u.pre.fields()] if u.pre is not None else [0] * leaf_width(m, preset.option_slots)
    hashed = preset.depth - top_levels(preset)  # the levels below the batch's threaded top
    out = {
        "leaf": leaf,
        "box": packed(post_box, obounds(u.post)),
        "sib_hash": [list(level.sibling_hashes) for level in u.path[:hashed]],
        "sib_box": [[packed(sb, so) for sb, so in zip(level.sibling_boxes, level.sibling_option_boxes
                                                        if options else level.sibling_boxes)]
                    for level in u.path],
        "node_box": node_boxes,
        "blind": blinds,
    }
    if options:  # a re-box's new option box: its rows' hashes (option_box_digest)
        post_rows = u.post.obox.rows if u.post is not None and u.post.obox is not None else ()
        out["row_hash"] = [0 if r is None else hash_fields([r[0], *r[1], *r[2]]) for r in post_rows] \
            or [0] * preset.option_slots
    if register:
        del out["blind"]
        out["sib_blind"] = [list(level.sibling_blinds) for level in u.path]
    elif keep_box:
        out["sib_box"], out["node_box"], out["blind"] = out["sib_box"][:1], node_boxes[:1], blinds[:1]
        if hashed > 1:  # (the levels between level 1 and the top: none on a shallow tree)
            out["box_commit"] = commitments[1:hashed]
    return out


def top_inputs(tree, preset: Preset) -> dict:
    """The inputs `top.hash`, `top.commit` of a tree's top (`tree.TreeTop`) from the spec's
    tree (`spec.tree.BoxTree`)."""
    t, a, d = top_levels(preset), preset.arity, preset.depth
    return {"top.hash": [tree.hash_at(d - t, i) for i in range(a ** t)],
            "top.commit": [tree.box_commitment_at(d - depth, i) for depth in range(t) for i in range(a ** depth)]}


def _tree_top(record: BatchRecord, preset: Preset) -> dict:
    """The old tree's top (`tree.TreeTop`): from the record's `old_tree_top` (its top levels,
    hashed up to the circuit's T), or for T = 1 from the path of the batch's first write (the
    closing write at least), which opens the old tree."""
    t, a, d = top_levels(preset), preset.arity, preset.depth
    if record.old_tree_top:
        hashes, commits = (list(x) for x in record.old_tree_top)
        recorded = round(math.log(len(hashes), a))
        if recorded < t:
            raise InputError(f"the record carries {recorded} top levels, the circuit threads {t}")
        offsets = [(a ** depth - 1) // (a - 1) for depth in range(recorded + 1)]
        for depth in reversed(range(t, recorded)):  # hash the recorded levels up to height D - T
            level = commits[offsets[depth]:offsets[depth + 1]]
            hashes = [hash_fields([*hashes[i * a:(i + 1) * a], level[i]]) for i in range(a ** depth)]
        out = {"top.hash": hashes, "top.commit": commits[:offsets[t]]}
    elif t == 1:
        out = _top_from_path(record, preset)
    else:
        raise InputError("the record carries no tree top (made by an older spec?)")
    level = out["top.hash"]
    for depth in reversed(range(t)):
        level = [hash_fields([*level[i * a:(i + 1) * a], out["top.commit"][(a ** depth - 1) // (a - 1) + i]])
                 for i in range(a ** depth)]
    assert d > t and level == [record.old_tree_root], "the tree top does not open the old tree root"
    return out


def _top_from_path(record: BatchRecord, preset: Preset) -> dict:
    """T = 1: the root's children's hashes and box commitment, from the first write's path."""
    first = next(u for w in [*record.ops, record.settle] for u in w.updates)
    m, options = preset.num_markets, bool(preset.option_slots)
    pre = first.pre
    h = account_hash(pre)
    b = pre.box if pre is not None else spec_box.full(m)
    s = pre.salt if pre is not None else spec_tree.EMPTY_LEAF_SALT
    o = spec_box.option_bounds(pre.obox if pre is not None else None, m) if options else None
    for level in first.path:
        hs, bs, ss = list(level.sibling_hashes), list(level.sibling_boxes), list(level.sibling_blinds)
        hs.insert(level.position, h)
        bs.insert(level.position, b)
        ss.insert(level.position, s)
        os_ = None
        if options:
            os_ = list(level.sibling_option_boxes)
            os_.insert(level.position, o)
            o = spec_box.intersect_options(os_)
        s = spec_tree.blind_hash(ss)
        commitment = spec_tree.box_commitment(bs, s, os_)
        h, b = hash_fields([*hs, commitment]), spec_box.intersect(bs)
    return {"top.hash": hs, "top.commit": [commitment]}


def _figure_inputs(record: BatchRecord, preset: Preset) -> dict:
    """The options part of the header (`option_state.process_figures`): the old book's parts, the
    round's figures, the listing and settlement slots (each path taken in the series tree as it
    stands before the slot), the figures root."""
    from dataclasses import replace

    from sequencer.spec.options import series_path, series_root

    old, fig = record.old_book, record.batch.options
    out = {"old.book.timestamp": old.timestamp, "old.book.vols": list(old.vols),
           "old.book.series_root": series_root(old), "old.book.figures_root": old.figures_root,
           "figures.timestamp": fig.timestamp, "figures.vols": list(fig.vols),
           "figures.root": fig.rows_root(record.book, preset)}
    if len(fig.listings) > preset.listing_slots or len(fig.settlements) > preset.settlement_slots:
        raise InputError("more listings or settlements than the circuit has slots")
    book = old
    for i, s in enumerate(fig.listings):
        sid = len(book.series) + 1
        out.update({f"listing[{i}].enabled": 1, f"listing[{i}].series_id": sid, f"listing[{i}].series": s.fields(),
                    f"listing[{i}].path": series_path(book, sid)})
        book = replace(book, series={**book.series, sid: s})
    for i, (sid, g) in enumerate(fig.settlements):
        out.update({f"settlement[{i}].enabled": 1, f"settlement[{i}].series_id": sid,
                    f"settlement[{i}].series": book.series[sid].fields(), f"settlement[{i}].price": g,
                    f"settlement[{i}].path": series_path(book, sid)})
        book = replace(book, settled={**book.settled, sid: g})
    assert series_root(book) == series_root(record.book)
    return out


def _close_inputs(account, book, preset: Preset) -> dict:
    """`option_state.close_settled`'s inputs for a leaf read: per slot its series' leaf and path
    in the book's series tree, and the option box digest's preimage."""
    from sequencer.spec import options as spec_opt

    k, m = preset.option_slots, preset.num_markets
    series = [[0] * 6 for _ in range(k)]
    paths = [[0] * spec_opt.SERIES_DEPTH for _ in range(k)]
    for i, (sid, _) in enumerate(account.option_slots):
        if sid:
            code = book.settled.get(sid, 0) + spec_opt.SETTLED_FLAG * (sid in book.settled)
            series[i] = [*book.series[sid].fields(), code]
            paths[i] = spec_opt.series_path(book, sid)
    obox = [spec_box.pack_option(spec_box.option_bounds(account.obox, m)), *account.obox.row_hashes()]
    return {"close.series": series, "close.path": paths, "close.obox": obox}


def _op_inputs(slot: str, op, updates: tuple) -> dict:
    """The op's own fields and its writes, keyed relative to the slot."""
    out: dict = {"enabled": 1}
    roles: list[str]
    if slot == "register":
        out.update(pk_x=op.pubkey[0], pk_y=op.pubkey[1], l1_address=op.l1_address)
        roles = ["account"]
    elif slot in ("deposit", "forced"):
        out.update(account=op.account, amount=op.amount, registered=int(updates[0].pre is not None))
        roles = ["account"]
    elif slot == "funding":
        out.update(market=op.market, delta=to_field(op.delta))
        roles = []
    elif slot == "touch":
        out.update(account=op.account)
        if updates[0].post.option_slots:  # options presets: the slots' series after `assign`
            out["sid"] = [sid for sid, _ in updates[0].post.option_slots]
        roles = ["account"]
    elif slot == "withdrawal":
        out.update(account=op.account, amount=op.amount, nonce=op.nonce, expiry=op.expiry, sig=_sig(op.signature))
        roles = ["account"]
    elif slot == "trade":
        out.update({f: getattr(op, f) for f, _, _ in spec_ops.Trade.FIELDS})
        out["buyer.sig"] = _sig(op.buyer_signature)
        out["seller.sig"] = _sig(op.seller_signature)
        roles = ["buyer", "seller"]
    elif slot == "liquidation":
        out.update(account=op.account, receiver=op.receiver, receiver_nonce=op.receiver_nonce, expiry=op.expiry)
        if len(updates) == 3:
            out["receiver.sig"] = _sig(op.signature)
            roles = ["target", "receiver", "fund"]
        else:
            roles = ["target", "fund"]
    elif slot == "deleverage":
        out.update(account=op.account, market=op.market, size=op.size, haircut=op.haircut)
        roles = ["fund", "account"]
    elif slot == "option_trade":
        out.update({f: getattr(op, f) for f, _, _ in spec_ops.OptionTrade.FIELDS})
        out["buyer.sig"] = _sig(op.buyer_signature)
        out["seller.sig"] = _sig(op.seller_signature)
        roles = ["buyer", "seller"]
    else:
        raise InputError(f"unknown slot kind {slot!r}")
    if len(roles) != len(updates):
        raise InputError(f"{slot}: {len(updates)} leaf writes recorded, the circuit has {len(roles)}")
    return out, list(zip(roles, updates))


def batch_inputs(record: BatchRecord, preset: Preset, compiled=None) -> dict:
    """The full input dict of the `settlement` circuit of `preset` for `record`."""
    from circuits import registry

    cc = compiled if compiled is not None else registry.build("settlement", preset=preset.name)
    inputs = {name: _zeros(shape) for name, shape, _ in cc.inputs}
    pub = record.public
    m = preset.num_markets
    inputs["digest"] = batch_digest(pub, preset)
    inputs["da_scalar"] = record.da_scalar
    if pub.figures_root and not preset.option_slots:
        raise InputError("a figures root on a preset without options")
    inputs.update(batch_number=pub.batch_number, oracle_round=pub.oracle_round, prices=list(pub.prices),
                  registration_from=pub.registration_from, deposit_from=pub.deposit_from,
                  forced_from=pub.forced_from)
    g = record.old_globals
    if len(g) != 5 + 2 * m + (1 if preset.option_slots else 0):
        raise InputError("the record carries no old globals (made by an older spec?)")
    inputs.update(_tree_top(record, preset))
    inputs["old.oracle_round"] = g[1]
    inputs["old.prices"] = list(g[5:5 + m])
    inputs["old.funding"] = [to_field(f) for f in g[5 + m:5 + 2 * m]]
    if preset.option_slots:
        inputs.update(_figure_inputs(record, preset))

    def put(prefix: str, values: dict) -> None:
        for k, v in values.items():
            name = f"{prefix}.{k}"
            if name not in inputs:
                raise InputError(f"the circuit has no input {name!r}")
            inputs[name] = v

    for slot, attr, _ in SLOTS:
        kind = KIND_OF_SLOT[slot]
        ops = [w for w in record.ops if type(w.op) is kind]
        if len(ops) > getattr(preset, attr):
            raise InputError(f"{len(ops)} {kind.__name__} ops, the {preset.name} circuit has {getattr(preset, attr)} slots")
        for i, w in enumerate(ops):
            own, writes = _op_inputs(slot, w.op, w.updates)
            put(f"{slot}[{i}]", own)
            for role, u in writes:
                values = _write_inputs(u, preset, keep_box=(slot, role) not in NEW_BOX, register=slot == "register")
                if slot == "register":  # the old leaf is empty: the circuit takes no leaf data
                    del values["leaf"]
                elif preset.option_slots and u.pre is not None:  # expiry closing of the leaf read
                    values.update(_close_inputs(u.pre, record.book, preset))
                if (slot, role) not in CHOSEN_BOX:  # the write keeps the box (or sets the full one)
                    del values["box"]
                    values.pop("row_hash", None)
                if preset.option_slots and (slot, role) in OPTION_CHECKED:
                    values.update(option_write_inputs(u, record, preset, chosen=(slot, role) in CHOSEN_BOX))
                    values.pop("row_hash", None)
                put(f"{slot}[{i}].{role}", values)
    (settle,) = record.settle.updates
    fund = _write_inputs(settle, preset, keep_box=False)
    if preset.option_slots:
        fund.update(_close_inputs(settle.pre, record.book, preset))
        fund.update(option_write_inputs(settle, record, preset, chosen=True))
        fund.pop("row_hash", None)
        inputs.update(option_batch_inputs(record, preset))
    put("close.fund", fund)
    return inputs


def option_batch_inputs(record: BatchRecord, preset: Preset) -> dict:
    """`option_ops.declare_option_batch`'s inputs: the round's figures and the table of live series."""
    from .option_ops import table_size
    from .options import table_entry_inputs

    book = record.book
    fig = book.figures
    live = [sid for sid in sorted(book.series) if book.live(sid)]
    if len(live) > table_size(preset):
        raise InputError(f"{len(live)} live series, the {preset.name} circuit's figures table has {table_size(preset)}")
    out = {}
    for e in range(table_size(preset)):
        out.update(table_entry_inputs(f"figures.table[{e}]", fig, book, preset, live[e] if e < len(live) else 0))
    return out


def option_write_inputs(u: LeafUpdate, record: BatchRecord, preset: Preset, chosen: bool) -> dict:
    """`option_ops.option_write`'s inputs of one write: kept box, the leaf's cached rows (after
    expiry closing); chosen box, the new rows and their openings in the figures tree."""
    from sequencer.spec import options as opt

    k, d = preset.option_slots, opt.FIGURES_DEPTH
    # kept: the leaf's rows after its settled series closed (ops._settled); chosen: the new ones
    account = u.post if chosen else (opt.close_settled(u.pre, preset, record.book) if u.pre is not None else None)
    rows = account.obox.rows if account is not None and account.obox is not None else (None,) * k
    zero = [0] * len(opt.MAINTENANCE)
    out = {"orows.has": [int(r is not None) for r in rows], "orows.sid": [r[0] if r else 0 for r in rows],
           "orows.long": [[to_field(x) for x in r[1]] if r else zero for r in rows],
           "orows.short": [[to_field(x) for x in r[2]] if r else zero for r in rows]}
    if not chosen:
        return out
    book = record.book
    for i, r in enumerate(rows):
        for side, (b, sib) in ((1, ("lb", "ls")), (-1, ("sb", "ss"))):
            index, path = 0, (0,) * d
            if r is not None and book.live(r[0]):
                ser = book.series[r[0]]
                c = opt.row_corner(ser, side, account.box[ser.market][:2], account.obox.vols[ser.market],
                                   account.obox.times)
                try:
                    index, path = book.figures.opening(book, preset, (r[0], side + 1, c.g, c.v, c.t_lo, c.t_hi))
                except KeyError:  # not this round's corner: a forced read keeps its box and opens nothing
                    pass
            out[f"opaths[{i}].{b}"] = [(index >> j) & 1 for j in range(d)]
            out[f"opaths[{i}].{sib}"] = list(path)
    return out
