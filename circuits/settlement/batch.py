"""The batch circuit: `spec.transition.process_batch` in a fixed shape.

Shape (per preset): the op slots of `ops.SLOTS` in `spec.ops.KIND_ORDER`, `<kind>_slots` of
each (a batch lists its ops grouped by kind in that order; unused slots are disabled), then
the closing write of the insurance fund.

One public input: `digest` = sha256(message) >> 3 (`spec.public`). The message holds the old
and new state roots, the batch number, the oracle round (and, on option presets, the round's
options commitment `figuresRoot`), the prices, the funding indices
after the batch, the three L1 queue ranges consumed with their entries (and the bounced /
executed flags the circuit computes), and the signed withdrawals. The circuit computes every
one of those values from its private inputs and its slots, packs them into the message's
bytes (`message.Message`) and hashes them; `Rollup.sol` builds the same bytes from its
storage (old root, batch number, the queues' `from` indices and their queued entries) and the
calldata, so the proof binds everything the contract acts on:

- oldRoot = Poseidon(old tree root, old globals) is computed from private inputs, with the
  old globals [batch_number - 1, old oracle round, registrationFrom, depositFrom, forcedFrom,
  old prices, old funding] (`spec.state.State.globals_fields`): the contract's stored root,
  batch number and queue positions therefore open to the state the slots start from;
- newRoot is computed the same way from the final tree root and the new globals (the `to`
  indices are the `from` ones plus the enabled slots of each queue), and decomposed
  canonically (x < r), so the contract stores the root the next batch and the exits open;
- queue entries: slot s of a queue consumes entry from + s, so its slots are used in order
  (an enabled slot follows an enabled one) and to = from + the enabled count; each slot puts
  its entry's fields, gated by its enable bit, in the message, so the entries are exactly the
  contract's queued ones, in order, and unused slots are zero;
- the contract pays from the flags and the withdrawal entries, which the slots compute;
- daCommitment is the DA commitment the slots compute (`ops._publish`, `spec.da`): every
  leaf written, encrypted to its owner; the DA committee signs the same value on chain;
- daKeyX, daKeyY = s * Base8 for the private DA scalar s from which the registration slots
  derive the new leaves' salts: the contract puts its published DA key there, so the prover
  must know its secret.

The state root is Poseidon(tree_root, globals_hash) (`spec.state.State.root`).

Every account above maintenance margin, at a cost independent of the number of accounts
--------------------------------------------------------------------------------------
Every leaf write checks the account against its box (S_m >= 0 at the box's worst corner, so
everywhere in the box; `spec.margin` has the argument), except the insurance fund's writes
inside ops, whose box the closing write re-checks. Most writes keep the leaf's box; a touch
(and the closing write, and a liquidated account) writes a new one. `tree.leaf_write` keeps every node's box the
intersection of its children's (each node commits to its children's boxes, through a
hiding commitment that the path's writes open: `spec.tree`), so the root's box
is the intersection of all leaf boxes; the closing write computes it and the circuit checks
that the batch's prices and final funding indices lie in it. Leaves not written keep their
last checked box, so every account is above maintenance margin at the batch prices.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit
from circuits.gadgets import ecdh
from circuits.gadgets.bits import to_bits
from sequencer.spec.constants import BATCH_BITS, FUNDING_BITS, GRID_BITS, ROUND_BITS, Preset

from .common import hash_fields
from .message import Message
from .ops import SLOTS, BatchState, closing_write
from .option_ops import declare_option_batch
from .option_state import check_batch_end, process_figures
from .tree import declare_top, top_root

_F_SHIFT = 1 << (FUNDING_BITS - 1)
QUEUE_BITS = 32  # the message's queue indices are 4 bytes


def build_batch_circuit(c: Circuit, preset: Preset) -> Message:
    """Build the batch circuit of `preset` into `c`; returns its message (for `stats`)."""
    m = preset.num_markets
    digest = c.public_input("digest")
    msg = Message(preset)
    hdr = {"batch_number": c.private_input("batch_number"), "oracle_round": c.private_input("oracle_round"),
           "prices": c.private_input("prices", m)}
    queues = {q: c.private_input(f"{q}_from") for q in ("registration", "deposit", "forced")}
    old = {"oracle_round": c.private_input("old.oracle_round"),
           "prices": c.private_input("old.prices", m), "funding": c.private_input("old.funding", m)}
    # the old tree as the writes thread it: its top levels (`tree.TreeTop`), whose hash is the old tree root
    top = declare_top(c, preset)
    with c.scope("tree_top"):
        old["tree_root"] = top_root(c, preset, top)

    # the old state root opens to the old tree root and globals: the previous batch number,
    # the queue positions the contract stores
    old_globals = [LC.of(hdr["batch_number"]) - 1, old["oracle_round"], queues["registration"], queues["deposit"],
                   queues["forced"], *old["prices"], *old["funding"]]
    book = None
    if preset.option_slots:  # options presets: the round's figures; the globals end with the book's digest
        with c.scope("options"):
            book = process_figures(c, preset, hdr["oracle_round"], hdr["prices"])
        old_globals.append(book.old_digest)
    old_root = hash_fields(c, [old["tree_root"], hash_fields(c, old_globals)])
    msg.put(c, "oldRoot", old_root)

    # header: batches settle in order (the number is old + 1 by construction above), the
    # oracle round does not go back, one ladder price per market
    msg.put_bits("batchNumber", to_bits(c, hdr["batch_number"], BATCH_BITS))
    msg.put_bits("oracleRound", to_bits(c, hdr["oracle_round"], ROUND_BITS))
    to_bits(c, LC.of(hdr["oracle_round"]) - old["oracle_round"], ROUND_BITS)
    for j, g in enumerate(hdr["prices"]):
        msg.put_bits(f"price[{j}]", to_bits(c, g, GRID_BITS))
    for q in ("registration", "deposit", "forced"):
        msg.put(c, f"{q}From", queues[q])

    # the sequencer's DA key: s * Base8 for the scalar the registrations use (spec.da)
    with c.scope("da_key"):
        da_bits = ecdh.scalar_bits(c, c.private_input("da_scalar"))
        da_x, da_y = ecdh.public_key(c, da_bits)
    msg.put(c, "daKeyX", da_x)
    msg.put(c, "daKeyY", da_y)

    # the oracle round's options commitment (spec.public figuresRoot, which Rollup.sol requires
    # to be the one Oracle.sol recorded with the round): option presets compute it from the
    # round's figures (option_state.process_figures) and put it at the end; presets without
    # options put 0 (constant bytes: the SHA-256 gadget folds them)
    if not preset.option_slots:
        msg.put_bits("figuresRoot", [])

    st = BatchState(top=top, funding=[LC.of(f) for f in old["funding"]],
                    registration_index=LC.of(queues["registration"]), deposit_index=LC.of(queues["deposit"]),
                    forced_index=LC.of(queues["forced"]), fees=LC.of(0),
                    batch_number=LC.of(hdr["batch_number"]), prices=[LC.of(g) for g in hdr["prices"]], message=msg,
                    da_bits=da_bits, preset=preset, book=book)
    if book is not None:  # options presets: the round's figures table, opened once against its rows root
        with c.scope("figures"):
            st.options = declare_option_batch(c, preset, st.prices, book.rows_root, book.timestamp, book.vols,
                                              book.series_root)
    for kind, attr, slot in SLOTS:
        for i in range(getattr(preset, attr)):
            with c.scope(f"{kind}[{i}]"):
                slot(c, st, preset, f"{kind}[{i}]")
    with c.scope("close"):
        closing_write(c, st, preset)

    # the batch prices and funding indices lie in the root's box: every account is safe
    for j, (lo, hi, flo, fhi) in enumerate(st.root_box[:m]):
        g, f = hdr["prices"][j], LC.of(st.funding[j]) + _F_SHIFT
        to_bits(c, LC.of(g) - lo, GRID_BITS)
        to_bits(c, LC.of(hi) - g, GRID_BITS)
        to_bits(c, f - (LC.of(flo) + _F_SHIFT), FUNDING_BITS)
        to_bits(c, (LC.of(fhi) + _F_SHIFT) - f, FUNDING_BITS)
    if book is not None:  # the round's vols and time in the root's option box, settlement prices in its spot range
        check_batch_end(c, preset, book, st.root_box)
        # the committee's figures root (spec.options.OptionFigures.commitment), decomposed canonically
        msg.put(c, "figuresRoot", book.figures_root)

    # the batch's outputs: funding indices (offset by 2^47, as the message carries them), the
    # queues' new positions, the new state root
    for j, f in enumerate(st.funding):
        msg.put_bits(f"funding[{j}]", to_bits(c, LC.of(f) + _F_SHIFT, FUNDING_BITS))
    ends = {"registration": st.registration_index, "deposit": st.deposit_index, "forced": st.forced_index}
    for q, end in ends.items():
        msg.put(c, f"{q}To", end)
    new_globals = [hdr["batch_number"], hdr["oracle_round"], ends["registration"], ends["deposit"],
                   ends["forced"], *hdr["prices"], *st.funding]
    if book is not None:
        new_globals.append(book.digest(c))
    with c.scope("tree_top"):
        new_tree_root = top_root(c, preset, st.top)
    msg.put(c, "newRoot", hash_fields(c, [new_tree_root, hash_fields(c, new_globals)]))
    msg.put(c, "daCommitment", st.da_hash)

    # the one public input: sha256 of the message, >> 3
    c.assert_equal(msg.digest(c), digest)
    return msg
