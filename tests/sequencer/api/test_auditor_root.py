"""The auditor's check (`sequencer.client.root_from_leaf`): an account as GET
/v1/accounts/{id} shows it (leaf, box, Merkle path), with the globals the chain holds (batch
number, oracle round with its prices and funding indices, the L1 queues' consumed counts),
hashes up to the settled state root; a change to any part of it gives another root."""
from __future__ import annotations

import copy

import pytest

from sequencer.client import root_from_leaf
from sequencer.spec import TINY


def chain_globals(state) -> dict:
    """What the Rollup and its oracle hold once `state`'s batch is settled."""
    return {"batch": state.batch_number, "round": state.oracle_round,
            "queues": (state.registration_index, state.deposit_index, state.forced_index),
            "prices": list(state.prices), "funding": list(state.funding)}


@pytest.mark.parametrize("account", [1, 6])
def test_an_account_read_hashes_up_to_the_settled_root(world, account):
    got = world.client.get(f"/v1/accounts/{account}",
                           headers={"Authorization": f"Bearer {world.login(account)}"}).json()
    settled = world.services.settled
    head = chain_globals(settled)
    assert root_from_leaf(got, head, TINY) == settled.root() == int(got["root"], 16)

    def tampered(change):
        acc, h = copy.deepcopy(got), copy.deepcopy(head)
        change(acc, h)
        return root_from_leaf(acc, h, TINY)

    changes = [
        lambda a, h: a["leaf"].update(collateral=a["leaf"]["collateral"] + 1),
        lambda a, h: a["leaf"]["positions"].__setitem__(0, 1),
        lambda a, h: a["leaf"].update(salt=hex(int(a["leaf"]["salt"], 16) + 1)),
        lambda a, h: a["merkle_path"][0].update(box_commitment=hex(int(a["merkle_path"][0]["box_commitment"], 16) + 1)),
        lambda a, h: a.update(l1_address="0x%040x" % (int(a["l1_address"], 16) + 1)),
        lambda a, h: a["merkle_path"][-1]["sibling_hashes"].__setitem__(0, hex(1)),
        lambda a, h: h.update(round=h["round"] + 1),
        lambda a, h: h.update(funding=[7] + h["funding"][1:]),
    ]
    assert all(tampered(change) != settled.root() for change in changes)
    # the box is not part of the leaf hash: it is committed (hidden) in the parent's box
    # commitment, which the circuit opens; a reader of the account cannot check it
    widened = copy.deepcopy(got)
    widened["box"][0][1] -= 1
    assert root_from_leaf(widened, head, TINY) == settled.root()
