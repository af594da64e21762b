"""The builder's box policy (spec/box_policy.py): every box it chooses is safe (the account is
above maintenance at every price and funding index in it), it keeps slack for trades, and
free touch slots go to the accounts nearest an edge of their box."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from sequencer.spec import MAINNET, TINY, Account, box_policy, margin
from sequencer.spec import box as boxes

M = TINY.num_markets


def account(c, qs, fs):
    return Account(pubkey=(0, 1), l1_address=0, nonce_hi=0, nonce_bitmap=0, collateral=c,
                   positions=tuple(qs), snapshots=tuple(fs), box=boxes.full(len(qs)), salt=1)


@settings(max_examples=300)
@given(st.sampled_from([TINY, MAINNET]), st.data())
def test_slack_box_is_safe(preset, data):
    m = preset.num_markets
    acct = account(data.draw(st.integers(-10**9, 10**13)),
                   data.draw(st.lists(st.integers(-5000, 5000), min_size=m, max_size=m)),
                   data.draw(st.lists(st.integers(-1000, 1000), min_size=m, max_size=m)))
    g = data.draw(st.lists(st.integers(1, 60000), min_size=m, max_size=m))
    f = data.draw(st.lists(st.integers(-1000, 1000), min_size=m, max_size=m))
    chosen = box_policy.slack_box(acct, preset, g, f)
    if margin.maintenance_surplus(acct, preset, g, f) < 0:
        assert chosen is None
        return
    assert margin.is_safe_box(acct, preset, chosen, g, f)


def test_slack_box_leaves_room_for_a_trade():
    # long 100 lots of BTC-T at ladder 1000 (1e6 a lot) on 3e7 of collateral: 3.3x leverage
    acct = account(3 * 10**7, [100, 0], [0, 0])
    g, f = (1000, 1000), (0, 0)
    tight, slack = margin.choose_box(acct, TINY, g, f), box_policy.slack_box(acct, TINY, g, f)
    assert slack[0][0] > tight[0][0]  # a narrower band below the price ...
    assert slack[1] != boxes.FULL_MARKET and slack[1][0] < 1000 < slack[1][1]  # ... two-sided, flat market too
    more = replace(acct, positions=(150, -200))  # adds risk in both markets (cash ignored: priced at mark)
    assert margin.box_surplus(more, TINY, slack) >= 0  # still fits the slack box: no touch
    assert margin.box_surplus(more, TINY, tight) < 0  # the old box needed a touch
    flat = account(10**6, [0, 0], [0, 0])
    assert box_policy.slack_box(flat, TINY, g, f) == boxes.full(M)  # idle accounts never drift out


def test_refresh_order_nearest_edge_first():
    from sequencer.flow import Flow

    flow = Flow(TINY, seed=3)
    for _ in flow.run(3):
        pass
    state = flow.state
    order = box_policy.refresh_order(state, set())
    dist = [box_policy.edge_distance_bps(state.accounts[i], TINY, state.prices, state.funding) for i in order]
    assert dist == sorted(dist) and all(d < box_policy.BAND_BPS for d in dist)
    assert TINY.insurance_account not in box_policy.refresh_order(state, {TINY.insurance_account})
