"""Fixtures of the API tests: a settled tiny-preset state with funded accounts, the op log on
SQLite (a file in tmp_path) or on a throwaway PostgreSQL cluster, the app, a client."""
from __future__ import annotations

import warnings
from dataclasses import replace
from functools import lru_cache

import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.api import Services, Settings, create_app
from sequencer.oplog import Store
from sequencer.signing import Signer
from sequencer.spec import TINY, State
from sequencer.spec.ops import Cancel, Trade, Withdraw, message_hash
from sequencer.spec.state import Account

from .pgcluster import Cluster, bindir

N_ACCOUNTS = 6  # ids 1..6 funded; 0 is the insurance fund
COLLATERAL = 10**10
PRICES = (1000, 1000)  # BTC-T: one lot = 1_000_000 units


@lru_cache(maxsize=None)
def key(i: int) -> PrivateKey:
    return PrivateKey.from_seed(b"zkclear-api-test-%d" % i)


def address(i: int) -> str:
    return "0x%040x" % (0xA11CE00000000000000000000000000000000000 + i)


@lru_cache(maxsize=None)
def signer(i: int) -> Signer:
    return Signer.of(key(i))


def sign(i: int, msg: int):
    return signer(i).sign(msg)


def sig_json(sig) -> dict:
    return {"R8x": str(sig.R8[0]), "R8y": str(sig.R8[1]), "S": str(sig.S)}


def settled_state() -> State:
    st = State.genesis(TINY, key(0).public_key, int(address(0), 16), PRICES)
    for i in range(1, N_ACCOUNTS + 1):
        st.write_account(i, replace(Account.new(key(i).public_key, int(address(i), 16), st.funding, st.leaf_salt(i, key(i).public_key)),
                                    collateral=COLLATERAL))
    st.registration_index = N_ACCOUNTS  # ids 1..N_ACCOUNTS came through the L1 registration queue
    return st


def trade_body(buyer=1, seller=2, buyer_nonce=1, seller_nonce=1, size=1, price=1_000_000, market=0,
               expiry=100, fee=0, signers=None) -> dict:
    t = Trade(market=market, size=size, price=price, buyer=buyer, seller=seller, buyer_nonce=buyer_nonce,
              seller_nonce=seller_nonce, expiry=expiry, fee=fee)
    msg = message_hash(t, TINY.domain)
    bs, ss = signers or (buyer, seller)
    return dict(market=market, size=size, price=price, buyer=buyer, seller=seller, buyer_nonce=buyer_nonce,
                seller_nonce=seller_nonce, expiry=expiry, fee=fee,
                buyer_signature=sig_json(sign(bs, msg)), seller_signature=sig_json(sign(ss, msg)))


def withdrawal_body(account=1, amount=1000, nonce=1, expiry=100, signer=None) -> dict:
    w = Withdraw(account=account, amount=amount, nonce=nonce, expiry=expiry)
    sig = sign(signer if signer is not None else account, message_hash(w, TINY.domain))
    return dict(account=account, amount=amount, nonce=nonce, expiry=expiry, signature=sig_json(sig))


def cancel_body(op_id: str, account: int, signer=None) -> dict:
    msg = message_hash(Cancel(int(op_id, 16), account), TINY.domain)
    return dict(account=account, signature=sig_json(sign(signer if signer is not None else account, msg)))


@pytest.fixture(scope="session")
def pg_cluster():
    if bindir() is None:
        pytest.skip("PostgreSQL server not installed (.ci/run installs it)")
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/zkclear.db"
    return request.getfixturevalue("pg_cluster").new_database()


class World:
    def __init__(self, db_url: str, settled: State = None, **settings):
        self.settings = Settings(db_url=db_url, **settings)
        self.store = Store(db_url)
        for i in range(N_ACCOUNTS + 1):
            self.store.upsert_account(i, key(i).public_key, address(i))
        self.services = Services.build(self.store, settled or settled_state(), max_pending=self.settings.max_pending,
                                       rate_per_s=self.settings.rate_per_s, burst=self.settings.rate_burst)
        self.app = create_app(self.settings, self.services)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        self.client = TestClient(self.app)

    def counts(self) -> dict:
        return self.store.row_counts()

    def login(self, account: int, signer=None) -> str:
        from sequencer.spec.ops import AuthChallenge
        ch = self.client.post("/v1/auth/challenge", json={"account": account}).json()["challenge"]
        msg = message_hash(AuthChallenge(account, int(ch, 16)), TINY.domain)
        r = self.client.post("/v1/auth/token", json={"account": account, "challenge": ch,
                                                     "signature": sig_json(sign(signer or account, msg))})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def close(self):
        self.client.close()
        self.services.admission.close()
        self.store.close()


@pytest.fixture
def world(db_url):
    w = World(db_url)
    yield w
    w.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_world(request, tmp_path_factory):
    """One world for a module's tests that change nothing (the bad-input table)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/zkclear.db"
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    w = World(url)
    yield w
    w.close()


@pytest.fixture
def make_world(db_url):
    made = []

    def make(**settings):
        made.append(World(db_url, **settings))
        return made[-1]
    yield make
    for w in made:
        w.close()
