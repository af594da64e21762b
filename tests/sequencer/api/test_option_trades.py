"""POST /v1/option-trades through the real app, on SQLite and PostgreSQL: attacks first (a bad
or missing signature, an unknown or expired series, a replay, malformed requests: clear 4xx,
nothing logged, nothing lost), a preset without option slots refusing every option trade,
then the accepted trade in the log, its replay after a restart, its cancel, and the client
helper's request."""
from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest

from sequencer.admission import NO_OPTIONS_REASON, op_from_payload
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY, TINY_OPTIONS as P
from sequencer.spec.ops import Deposit, OptionTrade, Register, message_hash
from sequencer.spec.state import State
from sequencer.spec.transition import build_batch, process_batch

from .conftest import N_ACCOUNTS, World, address, key, sig_json, sign, trade_body

T0 = 1_800_000_000
CALL = opt.Series(0, True, 65_000, T0 + 30 * 86400)  # series 1: live
NEAR = opt.Series(0, False, 55_000, T0 + 3600)  # series 2: expires after the first hour
COLLATERAL = 10**11
HELD = 100  # lots of CALL account 5 holds long (and 6 short) in the settled state


def figures(rnd, t, settlements=(), listings=()):
    return opt.OptionFigures(round=rnd, timestamp=t, prices=(60_000, 1000), vols=(6000, 0),
                             listings=tuple(listings), settlements=tuple(settlements))


def options_settled_state() -> State:
    """TINY_OPTIONS: accounts 1..N registered and funded through batches; round 1 lists CALL and
    NEAR; account 5 buys HELD lots of CALL from account 6; an hour later a round settles NEAR:
    the service's settled state."""
    state = State.genesis(P, key(0).public_key, int(address(0), 16), (60_000, 1000))
    ops = [Register(i, key(i + 1).public_key, int(address(i + 1), 16)) for i in range(N_ACCOUNTS)]
    ops += [Deposit(i, i + 1, COLLATERAL) for i in range(N_ACCOUNTS)]
    rnd = 0
    while ops:  # a few registrations and deposits a batch
        rnd += 1
        listings = (CALL, NEAR) if rnd == 1 else ()
        built = build_batch(state, ops, (60_000, 1000), oracle_round=rnd, options=figures(rnd, T0, listings=listings))
        process_batch(state, built.batch)
        done = {id(op) for op in built.batch.ops}
        ops = [op for op in ops if id(op) not in done]
    rnd += 1
    fig = figures(rnd, T0 + 60)
    held = OptionTrade(1, HELD, fig.current_row(CALL, P.markets[0].price_step)[0], 5, 6, 1, 1, 100, 0)
    msg = message_hash(held, P.domain)
    held = replace(held, buyer_signature=sign(5, msg), seller_signature=sign(6, msg))
    built = build_batch(state, [held], (60_000, 1000), oracle_round=rnd, options=fig)
    assert built.batch.ops[-1] == held
    process_batch(state, built.batch)
    built = build_batch(state, [], (60_000, 1000), oracle_round=rnd + 1,
                        options=figures(rnd + 1, T0 + 3600, settlements=((2, 60_000),)))
    process_batch(state, built.batch)
    assert state.options.settled == {2: 60_000} and set(state.accounts) == set(range(N_ACCOUNTS + 1))
    return state


_STATE: list = []


def settled() -> State:
    """A fresh copy of the options settled state (built once per test session)."""
    import copy

    if not _STATE:
        _STATE.append(options_settled_state())
    return copy.deepcopy(_STATE[0])


def mark() -> int:
    return settled().options.figures.current_row(CALL, P.markets[0].price_step)[0]


def option_body(series=1, size=10, premium=None, buyer=1, seller=2, buyer_nonce=1, seller_nonce=1, expiry=100,
                fee=0, signers=None, domain=P.domain) -> dict:
    premium = 2_500_000 if premium is None else premium
    op = OptionTrade(series=series, size=size, premium=premium, buyer=buyer, seller=seller, buyer_nonce=buyer_nonce,
                     seller_nonce=seller_nonce, expiry=expiry, fee=fee)
    msg = message_hash(op, domain)
    bs, ss = signers or (buyer, seller)
    body = {f.name: getattr(op, f.name) for f in fields(op) if not f.name.endswith("signature")}
    body.update(buyer_signature=sig_json(sign(bs, msg)), seller_signature=sig_json(sign(ss, msg)))
    return body


@pytest.fixture
def oworld(db_url):
    w = World(db_url, settled=settled())
    yield w
    w.close()


def refused(w, body, status, reason):
    before = w.counts()["ops"]
    r = w.client.post("/v1/option-trades", json=body)
    assert r.status_code == status, r.text
    assert r.json()["reason"] == reason, r.json()
    assert w.counts()["ops"] == before  # nothing logged
    return r


# --- attacks first ---------------------------------------------------------------------------------
def test_bad_signatures_are_refused_and_nothing_is_logged(oworld):
    refused(oworld, option_body(signers=(1, 1)), 400, "bad signature")  # the seller's signature is the buyer's
    refused(oworld, option_body(signers=(3, 2)), 400, "bad signature")  # a third party signs for the buyer
    refused(oworld, option_body(domain=TINY.domain), 400, "bad signature")  # signed for another deployment
    tampered = option_body()
    tampered["premium"] += 1  # the signed message said another premium
    refused(oworld, tampered, 400, "bad signature")
    # the honest request still goes through: the refusals consumed nothing
    assert oworld.client.post("/v1/option-trades", json=option_body()).status_code == 202


def test_unknown_and_expired_series_and_unaffordable_trades_are_refused(oworld):
    refused(oworld, option_body(series=3), 400, "unknown series")
    refused(oworld, option_body(series=0), 400, "unknown series")
    refused(oworld, option_body(series=2), 400, "series expired")  # NEAR settled at the last batch
    refused(oworld, option_body(size=10**8, premium=1), 400, "insufficient margin (seller)")  # a naked sale beyond margin
    refused(oworld, option_body(size=10**8), 400, "insufficient margin (buyer)")  # premiums beyond the collateral
    refused(oworld, option_body(buyer=0, seller=2), 400, "the insurance fund does not trade")
    assert oworld.services.admission.pending.accounts[1].option_slots == ((0, 0), (0, 0))


def test_a_replay_is_a_conflict_and_nothing_is_lost(oworld):
    body = option_body(size=7, buyer_nonce=4, seller_nonce=9)
    r = oworld.client.post("/v1/option-trades", json=body)
    assert r.status_code == 202, r.text
    refused(oworld, body, 409, "nonce already used or too old")
    # the same nonces under another trade (another series size) are a replay too
    refused(oworld, option_body(size=8, buyer_nonce=4, seller_nonce=9), 409, "nonce already used or too old")
    pending = oworld.services.admission.pending.accounts
    assert pending[1].option_slots[0] == (1, 7) and pending[2].option_slots[0] == (1, -7)


MALFORMED = [
    ("missing field", lambda b: b.pop("series")),
    ("unknown field", lambda b: b.update(market=0)),
    ("string number", lambda b: b.update(size="10")),
    ("float", lambda b: b.update(premium=2.5)),
    ("bool", lambda b: b.update(series=True)),
    ("negative", lambda b: b.update(size=-1)),
    ("series beyond 16 bits", lambda b: b.update(series=1 << 16)),
    ("premium beyond its width", lambda b: b.update(premium=1 << 48)),
    ("signature not a field element", lambda b: b["buyer_signature"].update(S="1" * 80)),
    ("signature missing", lambda b: b.pop("seller_signature")),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_requests_are_422(oworld, case):
    body = option_body()
    case[1](body)
    refused(oworld, body, 422, "malformed request")


def test_not_json_and_size_zero(oworld):
    before = oworld.counts()["ops"]
    r = oworld.client.post("/v1/option-trades", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["reason"] == "malformed request"
    refused(oworld, option_body(size=0), 400, "size must be positive")
    refused(oworld, option_body(buyer=1, seller=1), 400, "buyer and seller are the same account")
    assert oworld.counts()["ops"] == before


def test_a_preset_without_option_slots_refuses_option_trades(world):
    """The tiny service (no option slots): a clear 400, whatever the request says, nothing logged."""
    r = refused(world, option_body(domain=TINY.domain), 400, NO_OPTIONS_REASON)
    assert "no option slots" in r.json()["detail"]
    # even one whose signatures are bad: refused for the preset first (no verification work)
    refused(world, option_body(signers=(3, 3), domain=TINY.domain), 400, NO_OPTIONS_REASON)
    assert world.client.post("/v1/trades", json=trade_body()).status_code == 202  # perpetuals trade as before


# --- accepted -------------------------------------------------------------------------------------
def test_an_option_trade_is_accepted_logged_and_replayed_after_a_restart(oworld, db_url):
    body = option_body(size=12, premium=mark(), fee=5)
    r = oworld.client.post("/v1/option-trades", json=body)
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    row = oworld.store.get_op(op_id)
    assert (row.status, row.kind, row.account_a, row.account_b) == ("accepted", "option_trade", 1, 2)
    op = op_from_payload(row.kind, row.payload)
    assert isinstance(op, OptionTrade) and (op.series, op.size, op.premium, op.fee) == (1, 12, mark(), 5)
    assert json.loads(row.payload)["buyer_signature"] == body["buyer_signature"]
    got = oworld.client.get(f"/v1/ops/{op_id}").json()
    assert got["kind"] == "option_trade" and got["status"] == "accepted"
    pending = oworld.services.admission.pending.accounts
    assert pending[1].option_slots[0] == (1, 12) and pending[2].option_slots[0] == (1, -12)
    assert pending[1].collateral == COLLATERAL - 12 * mark() - 5
    # a restart on the same log: the pending state is rebuilt with the option trade, and the
    # replay is still refused
    restarted = World(db_url, settled=settled())
    try:
        again = restarted.services.admission.pending.accounts
        assert again[1].option_slots[0] == (1, 12) and again[2].collateral == pending[2].collateral
        refused(restarted, body, 409, "nonce already used or too old")
    finally:
        restarted.close()


def test_either_party_cancels_an_option_trade(oworld):
    op_id = oworld.client.post("/v1/option-trades", json=option_body(buyer_nonce=3, seller_nonce=3)).json()["id"]
    r = oworld.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body_options(op_id, 2))
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert oworld.services.admission.pending.accounts[1].option_slots == ((0, 0), (0, 0))
    # the cancelled request, sent again, stays refused
    refused(oworld, option_body(buyer_nonce=3, seller_nonce=3), 409, "op was cancelled")


def cancel_body_options(op_id: str, account: int) -> dict:
    from sequencer.spec.ops import Cancel

    msg = message_hash(Cancel(int(op_id, 16), account), P.domain)
    return dict(account=account, signature=sig_json(sign(account, msg)))


def test_the_client_helper_posts_a_co_signed_option_trade(oworld):
    """`Institution.propose_option_trade`, `co_sign`, `submit_option_trade` against the app."""
    from sequencer.client import Institution

    def institution(i):
        return Institution(url="http://testserver", key=key(i), l1_address=address(i), http=oworld.client,
                           preset=P, account_id=i)

    alice, bob = institution(1), institution(2)
    trade = alice.propose_option_trade(bob.account_id, series=1, size=3, premium=mark())
    trade, bob_sig = bob.co_sign(trade)
    assert trade.seller_nonce == 1 and trade.buyer_nonce == 1
    op_id = alice.submit_option_trade(trade, bob_sig)
    assert alice.op(op_id)["kind"] == "option_trade"
    assert oworld.services.admission.pending.accounts[2].option_slots[0] == (1, -3)


def test_the_batcher_counts_option_trades_against_their_own_slots():
    """Two option trades fill TINY_OPTIONS' option-trade slots (the batch is due at once); they
    are not counted as withdrawals."""
    from types import SimpleNamespace

    from sequencer.pipeline.batcher import Batcher

    now = 1000.0
    rows = [SimpleNamespace(kind="option_trade", created_at=now) for _ in range(P.option_trade_slots)]
    assert Batcher(None, P, batch_age=60).due(rows, [], now=now)
    assert not Batcher(None, P, batch_age=60).due(rows[:1], [], now=now)
    assert P.withdrawal_slots == 1  # one option trade alone would have filled the withdrawal slots


def test_the_account_view_shows_option_slots_and_the_cross_margin(oworld):
    """GET /v1/accounts/{id} on an options preset: the option slots of the settled and pending
    leaves, TV with the options at their marks, MR and IR from the grid (the spec's figures)."""
    from sequencer.spec import cross_margin as xm
    from sequencer.spec.constants import BPS

    from sequencer.spec.ops import AuthChallenge

    body = option_body(buyer=6, seller=5, size=40, buyer_nonce=2, seller_nonce=2)
    assert oworld.client.post("/v1/option-trades", json=body).status_code == 202
    ch = oworld.client.post("/v1/auth/challenge", json={"account": 5}).json()["challenge"]
    sig = sign(5, message_hash(AuthChallenge(5, int(ch, 16)), P.domain))
    token = oworld.client.post("/v1/auth/token", json={"account": 5, "challenge": ch,
                                                       "signature": sig_json(sig)}).json()["token"]
    r = oworld.client.get("/v1/accounts/5", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["leaf"]["options"] == [{"series": 1, "size": HELD}, {"series": 0, "size": 0}]
    assert got["pending"]["options"] == [{"series": 1, "size": HELD - 40}, {"series": 0, "size": 0}]
    state = oworld.services.settled
    a5 = state.accounts[5]
    tv = xm.total_value(state, a5)
    assert got["margin"]["tv"] == tv and tv > a5.collateral  # the long calls count at their marks
    assert got["margin"]["maintenance_surplus_bps"] == xm.marks_surplus(state, a5)
    assert 0 < got["margin"]["mr"] <= got["margin"]["ir"]
    assert got["margin"]["mr"] == -(-(BPS * tv - xm.marks_surplus(state, a5)) // BPS)
