"""Options figures on the committee oracle (Oracle.sol deployed with options): each attack is
refused with the contract's reason, and an accepted round binds the figures root in its hash.

The committee is ``DevCommittee`` (5 reporters, quorum 3, bigQuorum 4); the figures here are
synthetic (the contract does not recompute the commitment: the batch proof does), built by
``figures`` for the next round at the round's ladder prices.
"""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from verifier_contracts.build import R
from verifier_contracts.evm import Chain
from verifier_contracts.oracle import (DevCommittee, Figures, OracleClient, OracleError, dev_keys,
                                       figures_typed_data, pack_listing, pack_settlement, round_hash_of,
                                       sign_figures, unpack_listing, unpack_settlement)

M = 2
STEPS = [100, 1000]
G0 = [1200, 3400]
VOLS = (6000, 8000)
AGE = 300
ROOT = 0x1234_5678_9ABC_DEF0


@dataclasses.dataclass
class Env:
    chain: Chain
    dev: DevCommittee
    o: OracleClient

    def figures(self, rid=None, g=G0, ts=None, **kw) -> Figures:
        rid = self.o.latest_round() + 1 if rid is None else rid
        base = Figures(rid, self.o.now() if ts is None else ts, tuple(g), VOLS, (), (), ROOT + rid)
        return dataclasses.replace(base, **kw)

    def reports(self, g=G0, keys=None, rid=None):
        keys = self.dev.keys[:self.dev.quorum] if keys is None else keys
        rep = self.o.make_report(rid, [x * s for x, s in zip(g, STEPS)], [0, 0])
        return [self.o.sign(k, rep) for k in keys]

    def sign(self, fig: Figures, keys=None):
        keys = self.dev.keys[:self.dev.big_quorum] if keys is None else keys
        return [self.o.sign_figures(k, fig) for k in keys]

    def post(self, fig: Figures | None = None, reports=None, sigs=None, **kw) -> dict:
        fig = fig or self.figures()
        return self.o.submit_round_with_figures(reports or self.reports(rid=fig.round_id), sigs or self.sign(fig),
                                                **kw)


@pytest.fixture
def env(embedded_chain) -> Env:
    dev = DevCommittee.from_seed("test-figures", n=5, band_bps=1000, max_report_age=AGE)
    o = dev.deploy(embedded_chain, M, STEPS, options=True)
    e = Env(embedded_chain, dev, o)
    e.post(e.figures(), reports=e.reports(keys=dev.keys[:dev.big_quorum]))  # round 1: bigQuorum (no last round)
    return e


def refused(env: Env, reason: str, **kw) -> None:
    before = env.o.latest_round()
    with pytest.raises(OracleError, match=reason):
        env.post(**kw)
    assert env.o.latest_round() == before


# ------------------------------------------------------------------ accepted


def test_a_round_with_figures_binds_its_root(env):
    fig = env.figures(listings=(pack_listing(1, True, 3500, env.o.now() + 86400, 9500),),
                      settlements=(pack_settlement(1, 1199),))
    env.post(fig)
    prices, funding, _ = env.o.get_round(2)
    assert env.o.round_hash(2) == round_hash_of(prices, funding, fig.figures_root)
    assert env.o.round_hash(2) != round_hash_of(prices, funding, 0)
    assert env.o.get_figures(2) == fig and env.o.figures_time() == fig.timestamp
    assert env.o.get_figures(9) is None
    assert unpack_listing(fig.listings[0]) == (1, True, 3500, fig.timestamp + 86400, 9500)
    assert unpack_settlement(fig.settlements[0]) == (1, 1199)
    assert env.o.options() and env.o.params()["figuresTime"] == fig.timestamp


def test_figures_eip712_digest_matches_eth_account(env):
    fig = Figures(7, 1_700_000_000, (1, 65535), (0, 65535), (pack_listing(0, False, 9, 2**40 - 1, 1),),
                  (pack_settlement(65535, 0),), R - 1)
    ours = encode_typed_data(full_message=figures_typed_data(fig, chain_id=env.o.chain_id, oracle=env.o.address))
    digest = Web3.keccak(b"\x19\x01" + ours.header + ours.body)
    assert env.o.figures_digest(fig) == digest
    sf = sign_figures(dev_keys("k", 1)[0], fig, chain_id=env.o.chain_id, oracle=env.o.address)
    assert Account._recover_hash(digest, vrs=(sf.v, sf.r, sf.s)) == sf.signer


def test_options_time_may_stay(env):
    t = env.o.figures_time()
    env.post(env.figures(ts=t))
    assert env.o.figures_time() == t and env.o.latest_round() == 2


# ------------------------------------------------------------------ attacks


def test_figures_signed_by_a_non_member(env):
    fig = env.figures()
    outsider = dev_keys("outsider", 1)[0]
    sigs = env.sign(fig, env.dev.keys[:3]) + [env.o.sign_figures(outsider, fig)]
    refused(env, "Oracle: signer not a reporter", fig=fig, sigs=sigs)


def test_figures_under_the_threshold(env):
    fig = env.figures()  # bigQuorum (4) needed; a quorum (3) of signatures is not enough
    refused(env, "Oracle: too few figures signatures", fig=fig, sigs=env.sign(fig, env.dev.keys[:3]))


def test_figures_signed_twice_by_one_member(env):
    fig = env.figures()
    sigs = env.sign(fig, env.dev.keys[:3] + env.dev.keys[:1])
    refused(env, "Oracle: (duplicate signer|signers not in ascending order)", fig=fig, sigs=sigs)


def test_options_time_going_back(env):
    t = env.o.figures_time()
    refused(env, "Oracle: options time goes back", fig=env.figures(ts=t - 1))


def test_a_replayed_round(env):
    fig = env.figures()
    reps, sigs = env.reports(rid=2), env.sign(fig)
    env.post(fig, reports=reps, sigs=sigs)
    with pytest.raises(OracleError, match="Oracle: round out of order"):  # the same transaction again
        env.post(fig, reports=reps, sigs=sigs)
    # round 2's signed figures with round 3's reports
    refused(env, "Oracle: figures for another round", fig=fig, reports=env.reports(rid=3), sigs=sigs)


def test_figures_from_another_oracle(env, embedded_chain):
    other = env.dev.deploy(embedded_chain, M, STEPS, options=True)  # same committee, another contract
    fig = env.figures()
    sigs = [sign_figures(k, fig, chain_id=env.o.chain_id, oracle=other.address)
            for k in env.dev.keys[:env.dev.big_quorum]]
    refused(env, "Oracle: signer not a reporter", fig=fig, sigs=sigs)


def test_figures_computed_on_other_prices(env):
    # a poster picking another subset of the reports moves the median: figures on G0 no longer fit
    fig = env.figures(g=(G0[0] + 1, G0[1]))
    refused(env, "Oracle: figures computed on other prices", fig=fig)


@pytest.mark.parametrize("case,change,reason", [
    ("stale", lambda e, f: dataclasses.replace(f, timestamp=e.o.now() - AGE - 5), "Oracle: stale figures"),
    ("future", lambda e, f: dataclasses.replace(f, timestamp=e.o.now() + 60), "Oracle: figures from the future"),
    ("zero root", lambda e, f: dataclasses.replace(f, figures_root=0), "Oracle: figures root not a nonzero field"),
    ("root above r", lambda e, f: dataclasses.replace(f, figures_root=R), "Oracle: figures root not a nonzero field"),
    ("vol", lambda e, f: dataclasses.replace(f, vols=(2**16, 1)), "Oracle: vol out of range"),
    ("vol count", lambda e, f: dataclasses.replace(f, vols=(1,)), "Oracle: wrong number of markets"),
    ("expired listing", lambda e, f: dataclasses.replace(f, listings=(pack_listing(0, True, 5, f.timestamp, 1),)),
     "Oracle: bad listing"),
    ("listing market", lambda e, f: dataclasses.replace(f, listings=(pack_listing(2, True, 5, 2**39, 1),)),
     "Oracle: bad listing"),
    ("listing word", lambda e, f: dataclasses.replace(f, listings=(1 << 88 | pack_listing(0, True, 5, 2**39, 1),)),
     "Oracle: bad listing"),
    ("settlement id 0", lambda e, f: dataclasses.replace(f, settlements=(7,)), "Oracle: bad settlement"),
    ("settlement word", lambda e, f: dataclasses.replace(f, settlements=(1 << 32 | 1 << 16,)), "Oracle: bad settlement"),
])
def test_bad_figures(env, case, change, reason):
    if case == "stale":  # later than round 1's clock, older than the report age
        et = env.chain.w3.provider.ethereum_tester
        et.time_travel(env.chain.w3.eth.get_block("latest")["timestamp"] + 2 * AGE)
    refused(env, reason, fig=change(env, env.figures()))


def test_no_round_without_figures_on_an_options_oracle(env):
    with pytest.raises(OracleError, match="Oracle: rounds need options figures"):
        env.o.submit_round(env.reports(rid=2))


def test_no_figures_on_an_oracle_without_options(embedded_chain):
    dev = DevCommittee.from_seed("test-figures-plain", n=5)
    o = dev.deploy(embedded_chain, M, STEPS)
    assert not o.options()
    with pytest.raises(OracleError, match="Oracle: an oracle without options"):
        dev.post_round(G0, [0, 0], figures=lambda rid, ts: Figures(rid, ts, tuple(G0), VOLS, (), (), ROOT))
    assert dev.post_round(G0, [0, 0]) == 1 and o.round_hash(1) == round_hash_of(G0, [0, 0], 0)
