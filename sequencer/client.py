"""An institution's client of the sequencer service (what the tests and the demo use).

    alice = Institution.connect("http://127.0.0.1:8000", seed=b"alice", l1_address=accounts[1])
    alice.register()                      # announce (POST /v1/accounts), then Rollup.register on L1
    alice.mint_and_deposit(10**10)        # test stablecoin: mint, approve, Rollup.deposit
    alice.wait_registered()               # a batch consumed the registration: the id is known
    trade = alice.propose_trade(bob.account_id, market=0, size=1, price=1_000_000)
    trade, bob_sig = bob.co_sign(trade)   # bob fills in his nonce and signs the one message
    op_id = alice.submit_trade(trade, bob_sig)
    call = alice.propose_option_trade(bob.account_id, series=1, size=10, premium=2_500_000)
    call, bob_sig = bob.co_sign(call)     # the same co-signing (options presets only)
    op_id = alice.submit_option_trade(call, bob_sig)
    alice.wait_settled(op_id)
    alice.account()                       # leaf, margin, Merkle path (owner token)
    alice.create_viewing_key("auditor")   # read-only, revocable

Keys: a Baby Jubjub key (`PrivateKey.from_seed`) signs the spec's messages; the L1 address
(an unlocked account of the node, e.g. anvil's prefunded ones) sends the L1 transactions."""
from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import Optional

import httpx

from circuits.crypto.eddsa import PrivateKey

from .spec.constants import KNOWN_PRESETS  # a client signs for the service's preset
from .spec.ops import AccountRequest, AuthChallenge, OptionTrade, Trade, Withdraw, message_hash

FINAL = ("settled", "refused", "cancelled")


class ClientError(RuntimeError):
    def __init__(self, status: int, detail: str):
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail = status, detail


def sig_json(sig) -> dict:
    return {"R8x": str(sig.R8[0]), "R8y": str(sig.R8[1]), "S": str(sig.S)}


@dataclass
class Institution:
    url: str
    key: PrivateKey
    l1_address: str
    http: httpx.Client
    preset: object = None
    account_id: Optional[int] = None
    _rollup: object = None
    _token: Optional[str] = None
    _token_at: float = 0.0
    _nonce: int = 0

    @classmethod
    def connect(cls, url: str, *, seed: bytes, l1_address: str, preset: str = "tiny",
                timeout: float = 30.0) -> "Institution":
        return cls(url.rstrip("/"), PrivateKey.from_seed(seed), l1_address, httpx.Client(base_url=url, timeout=timeout),
                   KNOWN_PRESETS[preset])

    def close(self) -> None:
        self.http.close()

    # --- plumbing ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, ok=(200, 202), **kw):
        r = self.http.request(method, path, **kw)
        if r.status_code not in ok:
            try:
                detail = r.json().get("detail", r.text)
            except Exception:
                detail = r.text
            raise ClientError(r.status_code, str(detail))
        return r.json() if r.content else None

    def sign(self, op) -> object:
        return self.key.sign(message_hash(op, self.preset.domain))

    @property
    def pubkey(self) -> tuple[int, int]:
        return tuple(self.key.public_key)

    def chain_info(self) -> dict:
        return self._call("GET", "/v1/chain")

    @property
    def rollup(self):
        """A RollupClient on the service's chain and contracts (GET /v1/chain)."""
        if self._rollup is None:
            from verifier_contracts.evm import Chain
            from verifier_contracts.rollup import RollupClient

            info = self.chain_info()
            self._rollup = RollupClient.at(Chain.connect(info["rpc_url"]), info["rollup"])
        return self._rollup

    # --- registration and deposits ---------------------------------------------------------------
    def register(self) -> int:
        """Announce the key (POST /v1/accounts, signed AccountRequest), then register on L1;
        returns the account id the contract assigned."""
        req = AccountRequest(pubkey=self.pubkey, l1_address=int(self.l1_address, 16))
        self._call("POST", "/v1/accounts", json={"pubkey": {"x": str(self.pubkey[0]), "y": str(self.pubkey[1])},
                                                 "l1_address": self.l1_address.lower(),
                                                 "signature": sig_json(self.sign(req))})
        self.account_id = self.rollup.register(self.pubkey, sender=self.l1_address)
        return self.account_id

    def mint_and_deposit(self, units: int) -> int:
        """Test stablecoin only: mint `units` collateral units' worth of tokens and deposit
        them; returns the deposit's queue index."""
        amount = units * self.rollup.unit_scale
        self.rollup.mint(self.l1_address, amount)
        return self.rollup.deposit(self.account_id, amount, sender=self.l1_address)

    # --- reading --------------------------------------------------------------------------------
    def token(self) -> str:
        """An owner token (signed, timestamped challenge), renewed before it expires."""
        if self._token is None or time.time() - self._token_at > 120:
            ch = self._call("POST", "/v1/auth/challenge", json={"account": self.account_id})["challenge"]
            sig = self.sign(AuthChallenge(self.account_id, int(ch, 16)))
            self._token = self._call("POST", "/v1/auth/token", json={"account": self.account_id, "challenge": ch,
                                                                      "signature": sig_json(sig)})["token"]
            self._token_at = time.time()
        return self._token

    def account(self, bearer: Optional[str] = None) -> dict:
        return self._call("GET", f"/v1/accounts/{self.account_id}",
                          headers={"Authorization": f"Bearer {bearer or self.token()}"})

    def wait_registered(self, min_collateral: int = 0, timeout: float = 120.0) -> dict:
        """Until a settled batch holds the account (and at least `min_collateral`)."""
        deadline = time.time() + timeout
        while True:
            try:
                acc = self.account()
                if acc["leaf"] is not None and acc["leaf"]["collateral"] >= min_collateral:
                    return acc
            except ClientError as exc:
                if exc.status not in (401, 403, 404):
                    raise
                self._token = None
            if time.time() > deadline:
                raise TimeoutError(f"account {self.account_id} not settled in {timeout} s")
            time.sleep(0.5)

    def op(self, op_id: str) -> dict:
        return self._call("GET", f"/v1/ops/{op_id}")

    def wait_settled(self, op_id: str, timeout: float = 180.0, seen: Optional[list] = None) -> dict:
        """Poll the op until it is final; `seen` collects the statuses it went through."""
        deadline = time.time() + timeout
        while True:
            got = self.op(op_id)
            if seen is not None and (not seen or seen[-1] != got["status"]):
                seen.append(got["status"])
            if got["status"] in FINAL:
                return got
            if time.time() > deadline:
                raise TimeoutError(f"op {op_id} is {got['status']} after {timeout} s")
            time.sleep(0.1)

    # --- ops ---------------------------------------------------------------------------------------
    def next_nonce(self) -> int:
        self._nonce += 1
        return self._nonce

    def propose_trade(self, seller: int, *, market: int, size: int, price: int, expiry: int = 1 << 20,
                      fee: int = 0, seller_nonce: Optional[int] = None) -> Trade:
        """A trade this institution buys (the counterparty, `seller`, co-signs it)."""
        return Trade(market=market, size=size, price=price, buyer=self.account_id, seller=seller,
                     buyer_nonce=self.next_nonce(), seller_nonce=seller_nonce or 0, expiry=expiry, fee=fee)

    def propose_option_trade(self, seller: int, *, series: int, size: int, premium: int, expiry: int = 1 << 20,
                             fee: int = 0, seller_nonce: Optional[int] = None) -> OptionTrade:
        """An option trade this institution buys: `size` lots of option series `series` (its id
        in the oracle's listings) at `premium` collateral units a lot; `seller` co-signs it."""
        return OptionTrade(series=series, size=size, premium=premium, buyer=self.account_id, seller=seller,
                           buyer_nonce=self.next_nonce(), seller_nonce=seller_nonce or 0, expiry=expiry, fee=fee)

    def co_sign(self, trade):
        """The counterparty's side of a Trade or an OptionTrade: fill in its nonce if left 0,
        sign the one message."""
        if trade.seller == self.account_id and trade.seller_nonce == 0:
            trade = replace(trade, seller_nonce=self.next_nonce())
        elif trade.buyer == self.account_id and trade.buyer_nonce == 0:
            trade = replace(trade, buyer_nonce=self.next_nonce())
        return trade, self.sign(trade)

    def submit_trade(self, trade: Trade, counter_signature, *, counterparty_is_seller: bool = True) -> str:
        return self._call("POST", "/v1/trades", json=self._cosigned_body(trade, counter_signature,
                                                                         counterparty_is_seller))["id"]

    def submit_option_trade(self, trade: OptionTrade, counter_signature, *, counterparty_is_seller: bool = True) -> str:
        """POST /v1/option-trades: the op id once the service logged it (ClientError 400 on a
        service whose preset has no option slots, an unknown or expired series)."""
        return self._call("POST", "/v1/option-trades", json=self._cosigned_body(trade, counter_signature,
                                                                                counterparty_is_seller))["id"]

    def _cosigned_body(self, trade, counter_signature, counterparty_is_seller: bool) -> dict:
        mine = self.sign(trade)
        bs, ss = (mine, counter_signature) if counterparty_is_seller else (counter_signature, mine)
        body = {f.name: getattr(trade, f.name) for f in fields(trade) if not f.name.endswith("signature")}
        body.update(buyer_signature=sig_json(bs), seller_signature=sig_json(ss))
        return body

    def withdraw(self, amount: int, expiry: int = 1 << 20) -> str:
        w = Withdraw(account=self.account_id, amount=amount, nonce=self.next_nonce(), expiry=expiry)
        return self._call("POST", "/v1/withdrawals", json={"account": w.account, "amount": amount, "nonce": w.nonce,
                                                           "expiry": expiry, "signature": sig_json(self.sign(w))})["id"]

    def create_viewing_key(self, label: Optional[str] = None) -> dict:
        """A read-only, revocable key for an auditor: {"id", "key", ...} (the key shown once)."""
        return self._call("POST", f"/v1/accounts/{self.account_id}/viewing-keys", ok=(200, 201),
                          json={"label": label}, headers={"Authorization": f"Bearer {self.token()}"})

    def revoke_viewing_key(self, key_id: Optional[str] = None) -> None:
        """Revoke one viewing key (`key_id`), or all of this account's when none is given."""
        params = {"key_id": key_id} if key_id else None
        self._call("DELETE", f"/v1/accounts/{self.account_id}/viewing-keys", ok=(204,), params=params,
                   headers={"Authorization": f"Bearer {self.token()}"})


@dataclass
class AuditResult:
    """An auditor's check of one account against the chain: the root its leaf and Merkle path
    hash up to (with the chain's globals) and the Rollup's `stateRoot` at the same batch."""

    account: int
    batch: int
    root_from_leaf: int
    chain_root: int
    leaf: dict

    @property
    def ok(self) -> bool:
        return self.root_from_leaf == self.chain_root


@dataclass
class Auditor:
    """Whoever an institution handed a viewing key: reads that one account (GET
    /v1/accounts/{id} with the key, nothing else), and checks what it read against L1 without
    trusting the service: the leaf hashes up its Merkle path to the tree root, which with the
    globals the chain holds (batch number, oracle round and its prices and funding indices, the
    L1 queues' consumed counts) must give the Rollup's `stateRoot` (`check_against_chain`)."""

    url: str
    account_id: int
    viewing_key: str
    http: httpx.Client
    preset: object = None

    @classmethod
    def connect(cls, url: str, account_id: int, viewing_key: str, *, preset: str = "tiny",
                timeout: float = 30.0) -> "Auditor":
        return cls(url.rstrip("/"), int(account_id), viewing_key, httpx.Client(base_url=url, timeout=timeout),
                   KNOWN_PRESETS[preset])

    def close(self) -> None:
        self.http.close()

    def account(self) -> dict:
        r = self.http.get(f"/v1/accounts/{self.account_id}", headers={"Authorization": f"Bearer {self.viewing_key}"})
        if r.status_code != 200:
            raise ClientError(r.status_code, r.text)
        return r.json()

    def check_against_chain(self, rollup, timeout: float = 60.0) -> AuditResult:
        """Read the account and the chain at one settled batch (retried while the service and
        the chain are a batch apart), recompute the state root from the leaf, its path and the
        chain's globals; `rollup` is a RollupClient on the service's chain (GET /v1/chain)."""
        deadline = time.time() + timeout
        while True:
            block = rollup.chain.w3.eth.block_number
            head = _chain_globals(rollup, block)
            acc = self.account()
            if acc["leaf"] is not None and acc["settled_batch"] == head["batch"]:
                break
            if time.time() > deadline:
                raise TimeoutError(f"the service (batch {acc['settled_batch']}) and the chain (batch "
                                   f"{head['batch']}) did not meet in {timeout} s")
            time.sleep(0.5)
        return AuditResult(self.account_id, head["batch"], root_from_leaf(acc, head, self.preset), head["root"],
                           acc["leaf"])


def _chain_globals(rollup, block: int) -> dict:
    """The Rollup's settled batch, root and the spec's globals, read at one block."""
    from verifier_contracts.oracle import signed_funding

    f = rollup.rollup.functions
    at = {"block_identifier": block}
    rnd = int(f.lastOracleRound().call(**at))
    prices, funding, _ = rollup.oracle.functions.getRound(rnd).call(**at)
    reg_count, reg_done, dep_count, dep_done, forced_count, forced_done = f.queues().call(**at)
    return {"batch": int(f.batchNumber().call(**at)), "root": int(f.stateRoot().call(**at)), "round": rnd,
            "queues": (int(reg_done), int(dep_done), int(forced_done)), "prices": [int(g) for g in prices],
            "funding": [signed_funding(int(x)) for x in funding]}


def root_from_leaf(acc: dict, head: dict, preset) -> int:
    """The state root from an account as GET /v1/accounts/{id} shows it (leaf with its salt,
    Merkle path of hashes only) and the chain's globals, with the spec's hashing:
    Poseidon(tree root, globals hash). The account's box is not checked: the leaf hash does
    not include it, and the parent's box commitment that does is hidden (blinded by the
    neighbours' salts); the batch circuit opens it."""
    from .spec.hashing import hash_fields
    from .spec.state import Account, account_hash
    from .spec.tree import PathLevel, path_root

    leaf = acc["leaf"]
    box = tuple(tuple(int(v) for v in mb) for mb in acc["box"])
    account = Account(pubkey=(int(acc["pubkey"][0]), int(acc["pubkey"][1])), l1_address=int(acc["l1_address"], 16),
                      nonce_hi=leaf["nonce_hi"], nonce_bitmap=leaf["nonce_bitmap"], collateral=leaf["collateral"],
                      positions=tuple(leaf["positions"]), snapshots=tuple(leaf["snapshots"]), box=box,
                      salt=int(leaf["salt"], 16))
    path = [PathLevel(lv["position"], tuple(int(h, 16) for h in lv["sibling_hashes"]), int(lv["box_commitment"], 16))
            for lv in acc["merkle_path"]]
    tree_root = path_root(preset.arity, account_hash(account), int(acc["id"]), path)
    globals_ = [head["batch"], head["round"], *head["queues"], *head["prices"], *head["funding"]]
    return hash_fields([tree_root, hash_fields(globals_)])
