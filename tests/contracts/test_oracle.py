"""The committee oracle (Oracle.sol) through verifier_contracts.oracle.

Each refusal is its own test with the contract's revert reason. Reports are signed with
keys from ``DevCommittee`` (5 reporters, quorum 3, bigQuorum 4, band 10%); time is the
chain's (eth-tester follows the wall clock; reports are dated by the latest block).
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from verifier_contracts.build import NODE_MODULES, R
from verifier_contracts.evm import Chain
from verifier_contracts.oracle import (MAX_FUTURE_SKEW, DevCommittee, OracleClient, OracleError, compile_oracle,
                                       dev_keys, load_oracle_artifact, lower_median, make_report,
                                       report_typed_data, round_hash_of, sign_report, to_ladder)
from verifier_contracts.rollup import RollupError

M = 2
STEPS = [100, 1000]  # collateral units per ladder step
G0 = [1200, 3400]  # first round's ladder indices
AGE = 300

HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
N_SECP = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

have_node = shutil.which("node") is not None and (NODE_MODULES / "solc" / "soljson.js").exists()


@dataclasses.dataclass
class Env:
    chain: Chain
    dev: DevCommittee
    o: OracleClient
    owner: str
    stranger: str

    def reports(self, prices, funding=(0, 0), keys=None, **kw):
        """Signed reports at raw prices (collateral units) by ``keys`` (default: quorum keys)."""
        keys = self.dev.keys[: self.dev.quorum] if keys is None else keys
        rep = self.o.make_report(kw.get("round_id"), prices, funding, kw.get("timestamp"))
        return [self.o.sign(k, rep) for k in keys]

    def ladder_prices(self, g):
        return [x * s for x, s in zip(g, STEPS)]


@pytest.fixture
def env(embedded_chain) -> Env:
    w3 = embedded_chain.w3
    dev = DevCommittee.from_seed("test-oracle", n=5, band_bps=1000, max_report_age=AGE)
    o = dev.deploy(embedded_chain, M, STEPS)
    e = Env(embedded_chain, dev, o, w3.eth.default_account, w3.eth.accounts[1])
    dev.post_round(G0, [0, 0])  # round 1 (bigQuorum: nothing to compare with)
    return e


def test_dev_committee_defaults():
    dev = DevCommittee.from_seed("x", n=5)
    assert (dev.quorum, dev.big_quorum, len(set(dev.addresses))) == (3, 4, 5)
    assert dev_keys("x", 5) == dev.keys and dev_keys("y", 5) != dev.keys


@pytest.mark.skipif(not have_node, reason="node tools missing (run `npm ci`)")
def test_committed_artifact_is_current():
    assert load_oracle_artifact()["bytecode"] == compile_oracle()["bytecode"]


def test_eip712_digest_matches_eth_account(env):
    rep = make_report(7, 1_700_000_000, [123456, 7], [-5, 2**46])
    ours = encode_typed_data(full_message=report_typed_data(rep, chain_id=env.o.chain_id, oracle=env.o.address))
    digest = Web3.keccak(b"\x19\x01" + ours.header + ours.body)
    assert env.o.report_digest(rep) == digest
    sr = sign_report(dev_keys("k", 1)[0], rep, chain_id=env.o.chain_id, oracle=env.o.address)
    assert Account._recover_hash(digest, vrs=(sr.v, sr.r, sr.s)) == sr.signer
    assert sr.s <= HALF_N and sr.v in (27, 28)


# ------------------------------------------------------------------ accepted rounds


def test_round_at_the_median_ignores_a_lying_minority(env):
    honest = [[120_140, 3_401_400], [120_049, 3_400_200], [119_960, 3_399_600]]  # ~ g = 1201, 3400
    liars = [[10**30, 1], [1, 10**30]]
    funding = [[10, -3], [11, -4], [12, -5], [2**60, 2**60], [-(2**60), -(2**60)]]
    keys = env.dev.keys
    reps = []
    for i, p in enumerate(honest + liars):
        rep = env.o.make_report(2, p, funding[i])
        reps.append(env.o.sign(keys[i], rep))
    env.o.submit_round(reps)
    prices, fwords, _ = env.o.get_round(2)
    assert prices == [to_ladder(lower_median([p[0] for p in honest + liars]), STEPS[0]),
                      to_ladder(lower_median([p[1] for p in honest + liars]), STEPS[1])] == [1200, 3400]
    assert fwords == [11, R - 4]
    assert env.o.get_round_signed(2)[1] == [11, -4]


def test_even_count_takes_the_lower_median(env):
    keys = env.dev.keys[:4]
    ps = [[120_000, 3_400_000], [120_100, 3_401_000], [120_200, 3_402_000], [120_300, 3_403_000]]
    reps = [env.o.sign(k, env.o.make_report(2, p, [i, -i])) for i, (k, p) in enumerate(zip(keys, ps))]
    env.o.submit_round(reps)
    assert env.o.get_round_signed(2)[:2] == ([1201, 3401], [1, -2])


def test_ladder_rounding_half_up(env):
    env.o.submit_round(env.reports([120_049, 3_400_500]))
    assert env.o.get_round(2)[0] == [1200, 3401]
    assert to_ladder(120_049, 100) == 1200 and to_ladder(3_400_500, 1000) == 3401


def test_round_reads_as_rollup_sol_reads_them(env):
    rid = env.dev.post_round([1210, 3390], [17, -5])
    assert rid == 2 and env.o.latest_round() == 2 and env.o.markets() == M
    receipt_block = env.chain.w3.eth.get_block("latest")
    prices, funding, ts = env.o.get_round(2)
    assert (prices, funding) == ([1210, 3390], [17, R - 5])
    assert ts == env.o.round_timestamp(2) == receipt_block["timestamp"]
    assert env.o.round_hash(2) == round_hash_of(prices, funding)  # no options figures: root 0
    ev = env.o.contract.events.RoundPosted().get_logs(from_block=receipt_block["number"])
    assert [dict(x["args"]) for x in ev] == [{"roundId": 2, "timestamp": ts, "prices": prices,
                                               "fundingIndices": funding}]
    # extremes pack and unpack exactly
    env.dev.post_round([1, 65535], [-(2**47) + 1, 2**47 - 1])
    assert env.o.get_round_signed(3)[:2] == ([1, 65535], [-(2**47) + 1, 2**47 - 1])
    assert env.o.round_hash(3) == Web3.keccak(encode(["uint256[]", "uint256[]", "uint256"],
                                                     [[1, 65535], [R - 2**47 + 1, 2**47 - 1], 0]))


def test_unknown_round(env):
    assert env.o.round_hash(5) == b"\x00" * 32 and env.o.round_timestamp(5) == 0
    with pytest.raises(OracleError, match="Oracle: unknown round"):
        env.o.get_round(5)


def test_many_markets_pack_across_words(embedded_chain):
    dev = DevCommittee.from_seed("wide", n=3, quorum=2, big_quorum=3)
    o = dev.deploy(embedded_chain, 9, list(range(1, 10)))
    g = [100 + j for j in range(9)]
    f = [(-1) ** j * (j + 1) * 1000 for j in range(9)]
    dev.post_round(g, f)
    dev.post_round([x + 1 for x in g], f[::-1])
    assert o.get_round_signed(1)[:2] == (g, f)
    assert o.get_round_signed(2)[:2] == ([x + 1 for x in g], f[::-1])


# ------------------------------------------------------------------ refusals


def refused(env, reports, reason, **kw):
    with pytest.raises(OracleError, match=reason):
        env.o.submit_round(reports, **kw)


def test_refuses_too_few_reports(env):
    refused(env, env.reports(env.ladder_prices(G0), keys=env.dev.keys[:2]), "Oracle: too few reports")


def test_refuses_a_stale_report(env):
    old = env.o.now() - AGE - 60
    reps = env.reports(env.ladder_prices(G0))[:2] + env.reports(env.ladder_prices(G0), keys=env.dev.keys[2:3],
                                                                   timestamp=old)
    refused(env, reps, "Oracle: stale report")


def test_refuses_a_future_report(env):
    later = env.o.now() + MAX_FUTURE_SKEW + 60
    reps = env.reports(env.ladder_prices(G0))[:2] + env.reports(env.ladder_prices(G0), keys=env.dev.keys[2:3],
                                                                   timestamp=later)
    refused(env, reps, "Oracle: report from the future")


def test_refuses_a_replayed_round(env):
    reps = env.reports(env.ladder_prices(G0))
    env.o.submit_round(reps)
    refused(env, reps, "Oracle: round out of order")


def test_refuses_the_same_signature_twice(env):
    reps = env.reports(env.ladder_prices(G0))
    refused(env, [reps[0], reps[0], reps[1]], "Oracle: duplicate signer", sort=False)


def test_refuses_a_report_for_another_round(env):
    reps = env.reports(env.ladder_prices(G0))
    other = env.reports(env.ladder_prices(G0), keys=env.dev.keys[3:4], round_id=3)
    refused(env, reps[:2] + other, "Oracle: report for another round", round_id=2)


def test_refuses_a_skipped_round(env):
    refused(env, env.reports(env.ladder_prices(G0), round_id=3), "Oracle: round out of order")


def test_refuses_another_market_count(env):
    reps = env.reports(env.ladder_prices(G0))
    short = env.reports(env.ladder_prices(G0)[:1], funding=[0], keys=env.dev.keys[3:4])
    refused(env, reps[:2] + short, "Oracle: wrong number of markets")


def test_refuses_a_report_signed_for_another_oracle(env):
    other = env.dev.deploy(env.chain, M, STEPS)  # same committee, another contract
    env.dev.attach(env.o)
    rep = env.o.make_report(2, env.ladder_prices(G0), [0, 0])
    reps = [other.sign(k, rep) for k in env.dev.keys[:3]]
    refused(env, reps, "Oracle: signer not a reporter")


def test_refuses_a_report_signed_for_another_chain(env):
    rep = env.o.make_report(2, env.ladder_prices(G0), [0, 0])
    reps = [sign_report(k, rep, chain_id=env.o.chain_id + 1, oracle=env.o.address) for k in env.dev.keys[:3]]
    refused(env, reps, "Oracle: signer not a reporter")


def test_refuses_a_non_reporter(env):
    stranger_key = dev_keys("not a reporter", 1)
    reps = env.reports(env.ladder_prices(G0))[:2] + env.reports(env.ladder_prices(G0), keys=stranger_key)
    refused(env, reps, "Oracle: signer not a reporter")


def test_refuses_a_duplicate_signer_with_another_report(env):
    a = env.reports(env.ladder_prices(G0), keys=env.dev.keys[:1])
    b = env.reports([p + 1 for p in env.ladder_prices(G0)], keys=env.dev.keys[:2])
    refused(env, a + b, "Oracle: duplicate signer")


def test_refuses_unsorted_signers(env):
    reps = sorted(env.reports(env.ladder_prices(G0)), key=lambda r: int(r.signer, 16), reverse=True)
    refused(env, reps, "Oracle: signers not in ascending order", sort=False)


@pytest.mark.parametrize("g0", [0, 65536])
def test_refuses_a_price_off_the_ladder(env, g0):
    env.o.set_band(65535)  # no big-move rule in the way
    price = g0 * STEPS[0]
    refused(env, env.reports([price, G0[1] * STEPS[1]], keys=env.dev.keys), "Oracle: price off the ladder")


def test_refuses_funding_out_of_range(env):
    refused(env, env.reports(env.ladder_prices(G0), funding=[2**47, 0]), "Oracle: funding out of range")
    refused(env, env.reports(env.ladder_prices(G0), funding=[0, -(2**47)]), "Oracle: funding out of range")


def test_big_move_needs_big_quorum(env):
    up = [G0[0] * 111 // 100, G0[1]]  # +11% on market 0 (band 10%)
    refused(env, env.reports(env.ladder_prices(up)), "Oracle: big move needs bigQuorum")
    env.o.submit_round(env.reports(env.ladder_prices(up), keys=env.dev.keys[:4]))
    assert env.o.get_round(2)[0] == up
    # exactly at the band is not a big move
    edge = [up[0], G0[1] * 90 // 100]
    env.o.submit_round(env.reports(env.ladder_prices(edge)))
    assert env.o.get_round(3)[0] == edge


def test_first_round_needs_big_quorum(embedded_chain):
    dev = DevCommittee.from_seed("first", n=5)
    o = dev.deploy(embedded_chain, M, STEPS)
    assert o.needs_big_quorum(G0)
    rep = o.make_report(1, [g * s for g, s in zip(G0, STEPS)], [0, 0])
    with pytest.raises(OracleError, match="Oracle: big move needs bigQuorum"):
        o.submit_round([o.sign(k, rep) for k in dev.keys[:3]])
    o.submit_round([o.sign(k, rep) for k in dev.keys[:4]])


@pytest.mark.parametrize("how", ["high s", "bad v"])
def test_refuses_malleable_or_malformed_signatures(env, how):
    reps = env.reports(env.ladder_prices(G0))
    sr = reps[0]
    bad = (dataclasses.replace(sr, s=N_SECP - sr.s, v=55 - sr.v) if how == "high s"
           else dataclasses.replace(sr, v=sr.v - 27))
    reason = "Oracle: malleable signature" if how == "high s" else "Oracle: bad signature v"
    refused(env, [bad] + reps[1:], reason)


def test_refuses_mismatched_signature_count(env):
    reps = env.reports(env.ladder_prices(G0))
    fn = env.o.contract.functions.submitRound(2, [r.report.as_tuple() for r in reps],
                                              [r.sig_tuple() for r in reps[:2]])
    with pytest.raises(OracleError, match="Oracle: one signature per report"):
        env.o._send(fn)


# ------------------------------------------------------------------ owner


def _events(env, receipt, name):
    return [dict(x["args"]) for x in getattr(env.o.contract.events, name)().process_receipt(receipt)]


def test_owner_changes_the_committee(env):
    new = dev_keys("new committee", 3)
    addrs = [Account.from_key(k).address for k in new]
    with pytest.raises(RollupError, match="Oracle: not the owner"):
        env.o.set_committee(addrs, 2, 3, sender=env.stranger)
    with pytest.raises(OracleError, match="Oracle: need 1 <= quorum <= bigQuorum <= reporters"):
        env.o.set_committee(addrs, 3, 2)
    with pytest.raises(OracleError, match="Oracle: reporter listed twice"):
        env.o.set_committee(addrs + addrs[:1], 2, 3)
    receipt = env.o.set_committee(addrs, 2, 3)
    assert _events(env, receipt, "CommitteeChanged") == [{"reporters": addrs, "quorum": 2, "bigQuorum": 3}]
    assert env.o.reporters() == addrs and env.o.params()["quorum"] == 2
    # the old committee is out, the new one posts with its quorum
    refused(env, env.reports(env.ladder_prices(G0)), "Oracle: signer not a reporter")
    env.o.submit_round(env.reports(env.ladder_prices(G0), keys=new[:2]))
    assert env.o.latest_round() == 2


def test_owner_sets_band_age_and_steps(env):
    for call, args, event, expected in [
        (env.o.set_band, (250,), "BandChanged", {"bandBps": 250}),
        (env.o.set_max_report_age, (60,), "MaxReportAgeChanged", {"maxReportAge": 60}),
        (env.o.set_price_steps, ([50, 500],), "PriceStepsChanged", {"priceSteps": [50, 500]}),
    ]:
        with pytest.raises(OracleError, match="Oracle: not the owner"):
            call(*args, sender=env.stranger)
        assert _events(env, call(*args), event) == [expected]
    p = env.o.params()
    assert (p["bandBps"], p["maxReportAge"], p["priceSteps"], p["ladderReset"]) == (250, 60, [50, 500], True)
    # after a step change the next round cannot be compared with the last: bigQuorum
    same = [G0[0] * 100, G0[1] * 1000]  # the same prices, now g = 2400, 6800
    refused(env, env.reports(same), "Oracle: big move needs bigQuorum")
    env.o.submit_round(env.reports(same, keys=env.dev.keys[:4]))
    assert env.o.get_round(2)[0] == [2400, 6800] and not env.o.params()["ladderReset"]
    with pytest.raises(OracleError, match="Oracle: bad price step"):
        env.o.set_price_steps([0, 1])
    with pytest.raises(OracleError, match="Oracle: wrong number of markets"):
        env.o.set_price_steps([1])
    with pytest.raises(OracleError, match="Oracle: bad max report age"):
        env.o.set_max_report_age(0)


def test_ownership_moves_in_two_steps(env):
    o = env.o
    with pytest.raises(OracleError, match="Oracle: not the owner"):
        o.transfer_ownership(env.stranger, sender=env.stranger)
    r = o.transfer_ownership(env.stranger)
    assert _events(env, r, "OwnershipTransferStarted") == [{"previousOwner": env.owner, "newOwner": env.stranger}]
    assert o.params()["owner"] == env.owner  # not yet
    with pytest.raises(OracleError, match="Oracle: not the pending owner"):
        o.accept_ownership(sender=env.chain.w3.eth.accounts[2])
    r = o.accept_ownership(sender=env.stranger)
    assert _events(env, r, "OwnershipTransferred") == [{"previousOwner": env.owner, "newOwner": env.stranger}]
    assert (o.params()["owner"], o.params()["pendingOwner"]) == (env.stranger, "0x" + "0" * 40)
    with pytest.raises(OracleError, match="Oracle: not the owner"):
        o.set_band(5)
    o.set_band(5, sender=env.stranger)


def test_constructor_checks(embedded_chain):
    dev = DevCommittee.from_seed("ctor", n=3)
    kw = dict(markets=2, price_steps=[1, 1], reporters=dev.addresses, quorum=2, big_quorum=3, band_bps=100,
              max_report_age=60)
    OracleClient.deploy(embedded_chain, **kw)
    quorums = "Oracle: need 1 <= quorum <= bigQuorum <= reporters"
    for bad, reason in [
        (dict(markets=0, price_steps=[]), "Oracle: 1 to 16 markets"),
        (dict(markets=17, price_steps=[1] * 17), "Oracle: 1 to 16 markets"),
        (dict(quorum=0), quorums), (dict(big_quorum=4), quorums), (dict(quorum=3, big_quorum=2), quorums),
        (dict(price_steps=[1, 0]), "Oracle: bad price step"), (dict(price_steps=[1]), "Oracle: wrong number of markets"),
        (dict(reporters=[]), "Oracle: 1 to 64 reporters"), (dict(max_report_age=0), "Oracle: bad max report age"),
        (dict(band_bps=70000), "Oracle: band too wide"),
    ]:
        with pytest.raises(OracleError, match=reason):
            OracleClient.deploy(embedded_chain, **{**kw, **bad})


# ------------------------------------------------------------------ gas, anvil


def test_gas_at_four_markets_quorum_3_of_5(embedded_chain):
    from verifier_contracts.oracle import measure_gas

    g = measure_gas(embedded_chain, markets=4, n=5, quorum=3, big_quorum=4)
    assert max(g["submitRound_quorum"]) < 200_000, g


def test_dev_committee_on_anvil(anvil_chain):
    dev = DevCommittee.from_seed("anvil", n=5)
    o = dev.deploy(anvil_chain, M, STEPS)
    assert dev.post_round(G0, [3, -3]) == 1
    assert dev.post_round([G0[0] + 5, G0[1] - 5], [4, -4]) == 2
    p, f, ts = o.get_round(2)
    assert (p, f) == ([G0[0] + 5, G0[1] - 5], [4, R - 4]) and ts == o.round_timestamp(2) > 0
    assert o.round_hash(2) == round_hash_of(p, f)
    stale = o.make_report(3, [g * s for g, s in zip(G0, STEPS)], [0, 0], timestamp=o.now() - 400)
    with pytest.raises(OracleError, match="Oracle: stale report"):
        o.submit_round([o.sign(k, stale) for k in dev.keys[:3]])
    # after the chain's clock jumps past maxReportAge, the committee dates reports by it
    anvil_chain.w3.provider.make_request("evm_increaseTime", [1000])
    assert dev.post_round(G0, [0, 0]) == 3
    assert o.round_timestamp(3) >= o.round_timestamp(2) + 1000
