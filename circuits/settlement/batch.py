"""The batch circuit: `spec.transition.process_batch` in a fixed shape.

Shape (per preset): the op slots of `ops.SLOTS` in `spec.ops.KIND_ORDER`, `<kind>_slots` of
each (a batch lists its ops grouped by kind in that order; unused slots are disabled), then
the closing write of the insurance fund.

Public inputs (`spec.witness.PublicInputs.words()` order, 2M + 13 words, the order in which
`Rollup.sol` hands them to its verifier):

    old_root, new_root, batch_number, oracle_round, prices[M], funding[M],
    deposit_index_old, deposit_index_new, deposit_chain_old, deposit_chain_new,
    withdrawals_hash, forced_index_old, forced_index_new, forced_chain_old, forced_chain_new


The state root is Poseidon(tree_root, globals_hash) (`spec.state.State.root`); the old
globals are private inputs opened against old_root, the new ones are computed.

Every account above maintenance margin, at a cost independent of the number of accounts
--------------------------------------------------------------------------------------
Every leaf write checks the account against its box (S_m >= 0 at the box's worst corner, so
everywhere in the box; `spec.margin` has the argument), except the insurance fund's writes
inside ops, whose box the closing write re-checks. Most writes keep the leaf's box; a touch
(and the closing write, and a liquidated account) writes a new one. `tree.leaf_write` keeps every node's box the
intersection of its children's (each node hashes its children's boxes), so the root's box
is the intersection of all leaf boxes; the closing write computes it and the circuit checks
that the batch's prices and final funding indices lie in it. Leaves not written keep their
last checked box, so every account is above maintenance margin at the batch prices.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit
from circuits.gadgets.bits import to_bits
from sequencer.spec.constants import BATCH_BITS, FUNDING_BITS, GRID_BITS, ROUND_BITS, Preset

from .common import hash_fields
from .ops import SLOTS, BatchState, closing_write

_F_SHIFT = 1 << (FUNDING_BITS - 1)


def declare_public(c: Circuit, preset: Preset) -> dict:
    m = preset.num_markets
    pub = {"old_root": c.public_input("old_root"), "new_root": c.public_input("new_root"),
           "batch_number": c.public_input("batch_number"), "oracle_round": c.public_input("oracle_round"),
           "prices": c.public_input("prices", m), "funding": c.public_input("funding", m)}
    for k in ("deposit_index_old", "deposit_index_new", "deposit_chain_old", "deposit_chain_new",
              "withdrawals_hash", "forced_index_old", "forced_index_new", "forced_chain_old", "forced_chain_new"):
        pub[k] = c.public_input(k)
    return pub


def build_batch_circuit(c: Circuit, preset: Preset) -> None:
    m = preset.num_markets
    pub = declare_public(c, preset)
    old = {"tree_root": c.private_input("old.tree_root"), "num_accounts": c.private_input("old.num_accounts"),
           "oracle_round": c.private_input("old.oracle_round"),
           "prices": c.private_input("old.prices", m), "funding": c.private_input("old.funding", m)}

    # the old state root opens to the old tree root and globals
    old_globals = [old["num_accounts"], LC.of(pub["batch_number"]) - 1, old["oracle_round"],
                   pub["deposit_index_old"], pub["deposit_chain_old"], pub["forced_index_old"],
                   pub["forced_chain_old"], *old["prices"], *old["funding"]]
    c.assert_equal(hash_fields(c, [old["tree_root"], hash_fields(c, old_globals)]), pub["old_root"])

    # header: batches settle in order (the number is old + 1 by construction above), the
    # oracle round does not go back, one ladder price per market
    to_bits(c, pub["batch_number"], BATCH_BITS)
    to_bits(c, pub["oracle_round"], ROUND_BITS)
    to_bits(c, LC.of(pub["oracle_round"]) - old["oracle_round"], ROUND_BITS)
    for g in pub["prices"]:
        to_bits(c, g, GRID_BITS)

    st = BatchState(root=LC.of(old["tree_root"]), num_accounts=LC.of(old["num_accounts"]),
                    funding=[LC.of(f) for f in old["funding"]], deposit_index=LC.of(pub["deposit_index_old"]),
                    deposit_chain=LC.of(pub["deposit_chain_old"]), withdrawals=LC.of(0), fees=LC.of(0),
                    forced_index=LC.of(pub["forced_index_old"]), forced_chain=LC.of(pub["forced_chain_old"]),
                    batch_number=LC.of(pub["batch_number"]), prices=[LC.of(g) for g in pub["prices"]])
    for kind, attr, slot in SLOTS:
        for i in range(getattr(preset, attr)):
            with c.scope(f"{kind}[{i}]"):
                slot(c, st, preset, f"{kind}[{i}]")
    with c.scope("close"):
        closing_write(c, st, preset)

    # the batch prices and funding indices lie in the root's box: every account is safe
    for j, (lo, hi, flo, fhi) in enumerate(st.root_box):
        g, f = pub["prices"][j], LC.of(pub["funding"][j]) + _F_SHIFT
        to_bits(c, LC.of(g) - lo, GRID_BITS)
        to_bits(c, LC.of(hi) - g, GRID_BITS)
        to_bits(c, f - (LC.of(flo) + _F_SHIFT), FUNDING_BITS)
        to_bits(c, (LC.of(fhi) + _F_SHIFT) - f, FUNDING_BITS)

    # the public outputs of the batch
    for f, pf in zip(st.funding, pub["funding"]):
        c.assert_equal(f, pf)
    c.assert_equal(st.deposit_index, pub["deposit_index_new"])
    c.assert_equal(st.deposit_chain, pub["deposit_chain_new"])
    c.assert_equal(st.withdrawals, pub["withdrawals_hash"])
    c.assert_equal(st.forced_index, pub["forced_index_new"])
    c.assert_equal(st.forced_chain, pub["forced_chain_new"])
    new_globals = [st.num_accounts, pub["batch_number"], pub["oracle_round"], pub["deposit_index_new"],
                   pub["deposit_chain_new"], pub["forced_index_new"], pub["forced_chain_new"],
                   *pub["prices"], *pub["funding"]]
    c.assert_equal(hash_fields(c, [st.root, hash_fields(c, new_globals)]), pub["new_root"])
