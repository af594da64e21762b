"""Python client of the committee oracle (``src/Oracle.sol``).

A committee of reporters signs price reports off-chain (EIP-712 typed data); anyone submits
a round's reports. Rounds are accepted at the per-market median of at least ``quorum``
fresh reports (``bigQuorum`` when a market moves beyond ``bandBps``), prices rounded to
each market's ladder.

    chain = Chain.embedded()
    dev = DevCommittee.from_seed("demo")                      # 5 reporters, quorum 3, bigQuorum 4
    oracle = dev.deploy(chain, markets=2, price_steps=[100, 100])
    rid = dev.post_round([1200, 3400], [0, -7])                # exact ladder indices, signed funding
    prices, funding_words, ts = oracle.get_round(rid)

    # a real committee: each reporter signs its own report ...
    rep = oracle.make_report(round_id, prices_in_units, funding, timestamp)
    signed = oracle.sign(private_key, rep)                    # or sign_report(private_key, rep, chain_id=..., oracle=...)
    # ... and anyone submits them
    oracle.submit_round([signed, ...])

An oracle deployed with ``options=True`` takes each round with the committee's options
figures (``Figures``: the options clock, vols, listings, settlements and the Poseidon
commitment ``figures_root``; ``sequencer.figures`` computes them), signed by ``bigQuorum``
reporters, and binds the root in the round hash (``round_hash_of``):

    oracle = dev.deploy(chain, markets=2, price_steps=[100, 100], options=True)
    fig = Figures(round_id, timestamp, ladder_prices, vols, listings, settlements, figures_root)
    oracle.submit_round_with_figures(reports, [oracle.sign_figures(k, fig) for k in keys])
    oracle.get_figures(round_id)                              # back from the FiguresPosted event

Revert reasons surface as ``OracleError`` (a ``RollupError``) carrying the contract's
reason, e.g. "Oracle: stale report".

    python -m verifier_contracts.oracle build             # artifacts/Oracle.json
    python -m verifier_contracts.oracle gas --markets 4   # submitRound gas, quorum 3 of 5
    python -m verifier_contracts.oracle gas --markets 4 --options   # and with options figures
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.exceptions import ContractLogicError

from verifier_contracts.build import ARTIFACTS_DIR, R, SRC_DIR, compile_sources, write_artifacts
from verifier_contracts.evm import Chain, load_artifact
from verifier_contracts.rollup import RollupError, _reason, send_transaction

EIP712_NAME = "zkclear Oracle"
EIP712_VERSION = "1"
MAX_LADDER = 2**16 - 1
FUNDING_LIMIT = 2**47
MAX_FUTURE_SKEW = 15
BPS = 10_000
MAX_VOL = 2**16 - 1

#: The EIP-712 domain's fields (name, version, chain id, contract), shared by every typed message here.
EIP712_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

REPORT_TYPES = {
    "EIP712Domain": EIP712_DOMAIN_FIELDS,
    "Report": [
        {"name": "roundId", "type": "uint256"},
        {"name": "timestamp", "type": "uint256"},
        {"name": "prices", "type": "uint256[]"},
        {"name": "fundingIndices", "type": "int256[]"},
    ],
}

FIGURES_TYPES = {
    "EIP712Domain": EIP712_DOMAIN_FIELDS,
    "Figures": [
        {"name": "roundId", "type": "uint256"},
        {"name": "timestamp", "type": "uint256"},
        {"name": "prices", "type": "uint256[]"},
        {"name": "vols", "type": "uint256[]"},
        {"name": "listings", "type": "uint256[]"},
        {"name": "settlements", "type": "uint256[]"},
        {"name": "figuresRoot", "type": "uint256"},
    ],
}


class OracleError(RollupError):
    """An oracle call reverted; the message is the contract's reason ("Oracle: ...")."""


# ---------------------------------------------------------------- values


def signed_funding(word: int) -> int:
    """A funding index as a signed int from a signed int or a field word (r - |F| when negative)."""
    word = int(word)
    if 0 <= word < R and word > R // 2:
        return word - R
    return word


def funding_word(f: int) -> int:
    """A signed funding index as the BN254 field word the circuit and Rollup.sol read."""
    return int(f) % R


def to_ladder(price: int, step: int) -> int:
    """The contract's rounding of a price (collateral units per lot) to a ladder index (half up)."""
    g, rem = divmod(int(price), int(step))
    return g + (2 * rem >= step)


def lower_median(values: Sequence[int]) -> int:
    """The contract's median: the ((n - 1) // 2)-th smallest value."""
    s = sorted(int(v) for v in values)
    return s[(len(s) - 1) // 2]


def is_big_move(g: int, g_prev: int, band_bps: int) -> bool:
    return abs(int(g) - int(g_prev)) * BPS > int(band_bps) * int(g_prev)


def round_hash_of(prices: Sequence[int], funding_words: Sequence[int], figures_root: int = 0) -> bytes:
    """The contract's ``roundHash``: keccak256(abi.encode(prices, fundingIndices, figuresRoot))
    over the round's field words (figuresRoot: its options commitment, 0 without options)."""
    from eth_abi import encode

    return Web3.keccak(encode(["uint256[]", "uint256[]", "uint256"],
                              [[int(g) for g in prices], [int(f) % R for f in funding_words], int(figures_root)]))


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class Report:
    round_id: int
    timestamp: int
    prices: tuple[int, ...]  # collateral units per lot
    funding: tuple[int, ...]  # signed

    def as_tuple(self) -> tuple:
        """The contract's ``Report`` calldata tuple."""
        return (self.round_id, self.timestamp, list(self.prices), list(self.funding))


@dataclass(frozen=True)
class SignedReport:
    report: Report
    signer: str  # checksum address
    v: int
    r: int
    s: int

    def sig_tuple(self) -> tuple:
        return (self.v, self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big"))


def make_report(round_id: int, timestamp: int, prices: Sequence[int], funding: Sequence[int]) -> Report:
    return Report(int(round_id), int(timestamp), tuple(int(p) for p in prices),
                  tuple(signed_funding(f) for f in funding))


def report_typed_data(report: Report, *, chain_id: int, oracle: str) -> dict:
    """The EIP-712 typed data (``eth_signTypedData_v4`` JSON) of a report."""
    return {
        "types": REPORT_TYPES,
        "primaryType": "Report",
        "domain": {"name": EIP712_NAME, "version": EIP712_VERSION, "chainId": int(chain_id),
                   "verifyingContract": Web3.to_checksum_address(oracle)},
        "message": {"roundId": report.round_id, "timestamp": report.timestamp,
                    "prices": list(report.prices), "fundingIndices": list(report.funding)},
    }


def sign_report(private_key: Any, report: Report, *, chain_id: int, oracle: str) -> SignedReport:
    """Sign a report for the oracle at ``oracle`` on chain ``chain_id`` (low-s, v 27/28)."""
    msg = encode_typed_data(full_message=report_typed_data(report, chain_id=chain_id, oracle=oracle))
    sm = Account.sign_message(msg, private_key)
    return SignedReport(report, Account.from_key(private_key).address, int(sm.v), int(sm.r), int(sm.s))


# ---------------------------------------------------------------- options figures


def pack_listing(market: int, is_call: bool, strike: int, expiry: int, smile_bps: int) -> int:
    """A listing word: market << 80 | isCall << 72 | strike << 56 | expiry << 16 | smileBps."""
    assert 0 <= market < 256 and 0 < strike < 2**16 and 0 <= expiry < 2**40 and 0 < smile_bps < 2**16
    return int(market) << 80 | int(bool(is_call)) << 72 | int(strike) << 56 | int(expiry) << 16 | int(smile_bps)


def unpack_listing(word: int) -> tuple[int, bool, int, int, int]:
    """``(market, is_call, strike, expiry, smile_bps)`` of a listing word."""
    w = int(word)
    return w >> 80, bool((w >> 72) & 0xFF), (w >> 56) & 0xFFFF, (w >> 16) & (2**40 - 1), w & 0xFFFF


def pack_settlement(series_id: int, ladder: int) -> int:
    """A settlement word: seriesId << 16 | ladder price."""
    assert 0 < series_id < 2**16 and 0 <= ladder <= MAX_LADDER
    return int(series_id) << 16 | int(ladder)


def unpack_settlement(word: int) -> tuple[int, int]:
    return int(word) >> 16, int(word) & 0xFFFF


@dataclass(frozen=True)
class Figures:
    """The committee's options figures for one round (Oracle.sol's ``Figures``): what its
    reporters sign with ``bigQuorum`` signatures. ``prices`` are the round's ladder indices
    (the medians the figures were computed on); listings and settlements are packed words
    (``pack_listing``, ``pack_settlement``)."""

    round_id: int
    timestamp: int
    prices: tuple[int, ...]
    vols: tuple[int, ...]
    listings: tuple[int, ...] = ()
    settlements: tuple[int, ...] = ()
    figures_root: int = 0

    def as_tuple(self) -> tuple:
        """The contract's ``Figures`` calldata tuple."""
        return (int(self.round_id), int(self.timestamp), [int(g) for g in self.prices], [int(v) for v in self.vols],
                [int(x) for x in self.listings], [int(x) for x in self.settlements], int(self.figures_root))


@dataclass(frozen=True)
class SignedFigures:
    figures: Figures
    signer: str
    v: int
    r: int
    s: int

    def sig_tuple(self) -> tuple:
        return (self.v, self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big"))


def figures_typed_data(fig: Figures, *, chain_id: int, oracle: str) -> dict:
    """The EIP-712 typed data of a figures statement."""
    return {
        "types": FIGURES_TYPES,
        "primaryType": "Figures",
        "domain": {"name": EIP712_NAME, "version": EIP712_VERSION, "chainId": int(chain_id),
                   "verifyingContract": Web3.to_checksum_address(oracle)},
        "message": {"roundId": int(fig.round_id), "timestamp": int(fig.timestamp),
                    "prices": [int(g) for g in fig.prices], "vols": [int(v) for v in fig.vols],
                    "listings": [int(x) for x in fig.listings], "settlements": [int(x) for x in fig.settlements],
                    "figuresRoot": int(fig.figures_root)},
    }


def sign_figures(private_key: Any, fig: Figures, *, chain_id: int, oracle: str) -> SignedFigures:
    """Sign the figures for the oracle at ``oracle`` on chain ``chain_id`` (low-s, v 27/28)."""
    msg = encode_typed_data(full_message=figures_typed_data(fig, chain_id=chain_id, oracle=oracle))
    sm = Account.sign_message(msg, private_key)
    return SignedFigures(fig, Account.from_key(private_key).address, int(sm.v), int(sm.r), int(sm.s))


# ---------------------------------------------------------------- artifacts


def compile_oracle() -> dict:
    """Oracle.sol's artifact (needs node)."""
    return compile_sources({"Oracle.sol": (SRC_DIR / "Oracle.sol").read_text()})["Oracle"]


def load_oracle_artifact() -> dict:
    try:
        return load_artifact("Oracle")
    except FileNotFoundError:
        return compile_oracle()


def build_artifact(out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    return write_artifacts({"Oracle": compile_oracle()}, out_dir)


# ---------------------------------------------------------------- transactions


def send(chain: Chain, fn, sender: str | None = None, value: int = 0, error: type = None) -> dict:
    """``rollup.send_transaction`` with reverts raised as ``error`` (OracleError by default)."""
    return send_transaction(chain, fn, sender, value, error=error or OracleError)


# ---------------------------------------------------------------- the client


@dataclass
class OracleClient:
    chain: Chain
    contract: Any  # web3 contract

    @classmethod
    def deploy(cls, chain: Chain, *, markets: int, price_steps: Sequence[int] | int, reporters: Sequence[str],
               quorum: int, big_quorum: int, band_bps: int, max_report_age: int, owner: str | None = None,
               artifact: Mapping[str, Any] | None = None, options: bool = False) -> "OracleClient":
        """Deploy Oracle.sol; ``price_steps`` one per market (an int: the same for all);
        ``options``: every round carries the committee's options figures."""
        steps = [int(price_steps)] * markets if isinstance(price_steps, int) else [int(s) for s in price_steps]
        art = artifact or load_oracle_artifact()
        owner = Web3.to_checksum_address(owner or chain.w3.eth.default_account)
        args = (owner, markets, steps, [Web3.to_checksum_address(a) for a in reporters], quorum, big_quorum,
                band_bps, max_report_age, bool(options))
        try:  # a refused constructor raises OracleError with its reason
            chain.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor(*args).estimate_gas()
        except Exception as exc:
            if isinstance(exc, ContractLogicError) or type(exc).__name__ == "TransactionFailed":
                raise OracleError(_reason(exc)) from None
            raise
        return cls(chain, chain.deploy(art, *args))

    @classmethod
    def at(cls, chain: Chain, address: str, artifact: Mapping[str, Any] | None = None) -> "OracleClient":
        art = artifact or load_oracle_artifact()
        return cls(chain, chain.w3.eth.contract(address=Web3.to_checksum_address(address), abi=art["abi"]))

    @property
    def address(self) -> str:
        return self.contract.address

    @property
    def chain_id(self) -> int:
        return int(self.chain.w3.eth.chain_id)

    def _send(self, fn, sender: str | None = None) -> dict:
        return send(self.chain, fn, sender)

    # ------------------------------------------------------------ reports

    def now(self) -> int:
        """The chain's clock, which reports are judged by: the pending block's timestamp (it
        follows anvil's evm_increaseTime and eth-tester's time travel), else the latest's."""
        w3 = self.chain.w3
        try:
            return int(w3.eth.get_block("pending")["timestamp"])
        except Exception:  # a node without a pending block
            return int(w3.eth.get_block("latest")["timestamp"])

    def make_report(self, round_id: int | None, prices: Sequence[int], funding: Sequence[int],
                    timestamp: int | None = None) -> Report:
        """A report for ``round_id`` (default: the next round), dated ``timestamp`` (default: now)."""
        rid = self.latest_round() + 1 if round_id is None else round_id
        return make_report(rid, self.now() if timestamp is None else timestamp, prices, funding)

    def sign(self, private_key: Any, report: Report) -> SignedReport:
        return sign_report(private_key, report, chain_id=self.chain_id, oracle=self.address)

    def submit_round(self, reports: Iterable[SignedReport], round_id: int | None = None, *,
                     sort: bool = True, sender: str | None = None) -> dict:
        """``submitRound(roundId, reports, sigs)``; reports sorted by signer unless ``sort``
        is false. ``round_id`` defaults to the reports' round. Returns the receipt."""
        reps = list(reports)
        if sort:
            reps.sort(key=lambda sr: int(sr.signer, 16))
        if round_id is None:
            round_id = reps[0].report.round_id if reps else self.latest_round() + 1
        fn = self.contract.functions.submitRound(int(round_id), [sr.report.as_tuple() for sr in reps],
                                                 [sr.sig_tuple() for sr in reps])
        return self._send(fn, sender)

    def sign_figures(self, private_key: Any, fig: Figures) -> SignedFigures:
        return sign_figures(private_key, fig, chain_id=self.chain_id, oracle=self.address)

    def submit_round_with_figures(self, reports: Iterable[SignedReport], figures: Iterable[SignedFigures],
                                  round_id: int | None = None, *, sort: bool = True,
                                  sender: str | None = None) -> dict:
        """``submitRoundWithFigures``: the round's reports and one figures statement with its
        signatures (all of the same ``Figures``), both sorted by signer unless ``sort`` is false."""
        reps, figs = list(reports), list(figures)
        if sort:
            reps.sort(key=lambda sr: int(sr.signer, 16))
            figs.sort(key=lambda sf: int(sf.signer, 16))
        if not figs:
            raise ValueError("no signed figures")
        fig = figs[0].figures
        if any(sf.figures != fig for sf in figs):
            raise ValueError("the signatures are over different figures")
        if round_id is None:
            round_id = reps[0].report.round_id if reps else fig.round_id
        fn = self.contract.functions.submitRoundWithFigures(
            int(round_id), [sr.report.as_tuple() for sr in reps], [sr.sig_tuple() for sr in reps], fig.as_tuple(),
            [sf.sig_tuple() for sf in figs])
        return self._send(fn, sender)

    def figures_digest(self, fig: Figures) -> bytes:
        return bytes(self.contract.functions.figuresDigest(fig.as_tuple()).call())

    def report_digest(self, report: Report) -> bytes:
        """The digest the contract recovers signers from (an eth_call)."""
        return bytes(self.contract.functions.reportDigest(report.as_tuple()).call())

    # ------------------------------------------------------------ reads

    def markets(self) -> int:
        return self.contract.functions.markets().call()

    def latest_round(self) -> int:
        return self.contract.functions.latestRound().call()

    def options(self) -> bool:
        """Whether every round carries options figures."""
        return bool(self.contract.functions.options().call())

    def figures_time(self) -> int:
        """The options clock of the last round with figures (0 before the first)."""
        return int(self.contract.functions.figuresTime().call())

    def get_figures(self, round_id: int, from_block: int = 0) -> Figures | None:
        """Round ``round_id``'s options figures from its ``FiguresPosted`` event (prices from the
        round), checked against the round hash; None for a round without figures."""
        logs = self.contract.events.FiguresPosted().get_logs(from_block=from_block,
                                                             argument_filters={"roundId": int(round_id)})
        logs = [x for x in logs if int(x["args"]["roundId"]) == int(round_id)]
        if not logs:
            return None
        a = logs[-1]["args"]
        prices, funding, _ = self.get_round(round_id)
        fig = Figures(int(round_id), int(a["timestamp"]), tuple(prices), tuple(a["vols"]), tuple(a["listings"]),
                      tuple(a["settlements"]), int(a["figuresRoot"]))
        if round_hash_of(prices, funding, fig.figures_root) != self.round_hash(round_id):
            raise OracleError(f"round {round_id}'s figures event does not match its round hash")
        return fig

    def round_hash(self, round_id: int) -> bytes:
        return bytes(self.contract.functions.roundHash(round_id).call())

    def round_timestamp(self, round_id: int) -> int:
        return self.contract.functions.roundTimestamp(round_id).call()

    def get_round(self, round_id: int) -> tuple[list[int], list[int], int]:
        """``(ladder indices, funding field words, timestamp)``, as Rollup.sol reads them."""
        try:
            p, f, ts = self.contract.functions.getRound(round_id).call()
        except Exception as exc:  # web3's ContractLogicError; eth-tester's TransactionFailed
            if isinstance(exc, ContractLogicError) or type(exc).__name__ == "TransactionFailed":
                raise OracleError(_reason(exc)) from None
            raise
        return list(p), list(f), ts

    def get_round_signed(self, round_id: int) -> tuple[list[int], list[int], int]:
        """``(ladder indices, signed funding indices, timestamp)``."""
        p, f, ts = self.get_round(round_id)
        return p, [signed_funding(x) for x in f], ts

    def reporters(self) -> list[str]:
        return list(self.contract.functions.reporters().call())

    def price_steps(self) -> list[int]:
        return list(self.contract.functions.priceSteps().call())

    def params(self) -> dict:
        f = self.contract.functions
        return {"markets": f.markets().call(), "reporters": self.reporters(), "quorum": f.quorum().call(),
                "bigQuorum": f.bigQuorum().call(), "bandBps": f.bandBps().call(),
                "maxReportAge": f.maxReportAge().call(), "priceSteps": self.price_steps(),
                "ladderReset": f.ladderReset().call(), "owner": f.owner().call(),
                "pendingOwner": f.pendingOwner().call(), "latestRound": f.latestRound().call(),
                "options": f.options().call(), "figuresTime": f.figuresTime().call()}

    def needs_big_quorum(self, ladder: Sequence[int]) -> bool:
        """Whether a round at these ladder indices needs bigQuorum (a move beyond the band
        from the last round, the first round, or the first after a price-step change)."""
        f = self.contract.functions
        if f.ladderReset().call():
            return True
        last, _, _ = self.get_round(self.latest_round())
        band = f.bandBps().call()
        return any(is_big_move(g, gp, band) for g, gp in zip(ladder, last))

    # ------------------------------------------------------------ owner

    def set_committee(self, reporters: Sequence[str], quorum: int, big_quorum: int, sender: str | None = None) -> dict:
        return self._send(self.contract.functions.setCommittee(
            [Web3.to_checksum_address(a) for a in reporters], quorum, big_quorum), sender)

    def set_band(self, band_bps: int, sender: str | None = None) -> dict:
        return self._send(self.contract.functions.setBand(band_bps), sender)

    def set_max_report_age(self, seconds: int, sender: str | None = None) -> dict:
        return self._send(self.contract.functions.setMaxReportAge(seconds), sender)

    def set_price_steps(self, steps: Sequence[int], sender: str | None = None) -> dict:
        return self._send(self.contract.functions.setPriceSteps([int(s) for s in steps]), sender)

    def transfer_ownership(self, new_owner: str, sender: str | None = None) -> dict:
        return self._send(self.contract.functions.transferOwnership(Web3.to_checksum_address(new_owner)), sender)

    def accept_ownership(self, sender: str | None = None) -> dict:
        return self._send(self.contract.functions.acceptOwnership(), sender)


# ---------------------------------------------------------------- a development committee


def dev_keys(seed: str | int = "zkclear-dev", n: int = 5) -> list[bytes]:
    """``n`` deterministic reporter private keys from a seed (development only: public!)."""
    out = []
    for i in range(n):
        k = 0
        ctr = 0
        while not 0 < k < 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141:
            k = int.from_bytes(hashlib.sha256(f"zkclear reporter|{seed}|{i}|{ctr}".encode()).digest(), "big")
            ctr += 1
        out.append(k.to_bytes(32, "big"))
    return out


@dataclass
class DevCommittee:
    """N reporter keys from a seed (UNSAFE: anyone can derive them), for tests, local chains
    and the demo: ``post_round`` signs exact ladder prices with a quorum of the keys."""

    keys: list[bytes]
    quorum: int = 3
    big_quorum: int = 4
    band_bps: int = 1000
    max_report_age: int = 300
    oracle: OracleClient | None = None

    @classmethod
    def from_seed(cls, seed: str | int = "zkclear-dev", n: int = 5, quorum: int | None = None,
                  big_quorum: int | None = None, **kwargs: Any) -> "DevCommittee":
        """Defaults: quorum = n // 2 + 1, bigQuorum = min(n, quorum + 1)."""
        q = n // 2 + 1 if quorum is None else quorum
        bq = min(n, q + 1) if big_quorum is None else big_quorum
        return cls(dev_keys(seed, n), q, bq, **kwargs)

    @property
    def addresses(self) -> list[str]:
        return [Account.from_key(k).address for k in self.keys]

    def deploy(self, chain: Chain, markets: int, price_steps: Sequence[int] | int, owner: str | None = None,
               **kwargs: Any) -> OracleClient:
        self.oracle = OracleClient.deploy(chain, markets=markets, price_steps=price_steps, reporters=self.addresses,
                                          quorum=self.quorum, big_quorum=self.big_quorum, band_bps=self.band_bps,
                                          max_report_age=self.max_report_age, owner=owner, **kwargs)
        return self.oracle

    def attach(self, oracle: OracleClient) -> "DevCommittee":
        self.oracle = oracle
        return self

    def signed_reports(self, prices_ladder: Sequence[int], funding: Sequence[int], *, count: int | None = None,
                       round_id: int | None = None, timestamp: int | None = None) -> list[SignedReport]:
        """``count`` reports (default: quorum, or bigQuorum when the move needs it) at exact
        ladder prices (g * step)."""
        o = self._oracle()
        steps = o.price_steps()
        ladder = [int(g) for g in prices_ladder]
        if count is None:
            count = self.big_quorum if o.needs_big_quorum(ladder) else self.quorum
        rep = o.make_report(round_id, [g * s for g, s in zip(ladder, steps)], funding, timestamp)
        return [o.sign(k, rep) for k in self.keys[:count]]

    def signed_figures(self, fig: Figures, *, count: int | None = None) -> list[SignedFigures]:
        """``count`` reporters' signatures of ``fig`` (default: bigQuorum, what the contract needs)."""
        o = self._oracle()
        return [o.sign_figures(k, fig) for k in self.keys[:self.big_quorum if count is None else count]]

    def post_round(self, prices_ladder: Sequence[int], funding: Sequence[int], *, count: int | None = None,
                   sender: str | None = None, figures: Any = None) -> int:
        """Sign and submit the next round at these ladder indices and funding indices
        (signed ints or field words); returns the round id. An oracle with options needs
        ``figures``: a ``Figures``, or a function of (round id, report timestamp) giving one
        (the commitment covers both, so it is computed once they are known)."""
        reps = self.signed_reports(prices_ladder, funding, count=count)
        o = self._oracle()
        rid = reps[0].report.round_id
        if figures is None:
            o.submit_round(reps, sender=sender)
        else:
            fig = figures(rid, reps[0].report.timestamp) if callable(figures) else figures
            o.submit_round_with_figures(reps, self.signed_figures(fig), sender=sender)
        return rid

    def _oracle(self) -> OracleClient:
        if self.oracle is None:
            raise RuntimeError("DevCommittee: deploy() or attach() first")
        return self.oracle


# ---------------------------------------------------------------- gas


def measure_gas(chain: Chain, markets: int = 4, n: int = 5, quorum: int = 3, big_quorum: int = 4,
                rounds: int = 3, seed: int = 7, options: bool = False) -> dict:
    """gasUsed of submitRound with ``quorum`` (and ``big_quorum``) reports at ``markets``
    markets: the first round (bigQuorum), then steady rounds inside the band. ``options``:
    an oracle with options, every round with figures signed by bigQuorum (synthetic values:
    the gas does not depend on them), plus rounds listing and settling series."""
    import random

    rng = random.Random(seed)
    dev = DevCommittee.from_seed(f"gas-{seed}", n=n, quorum=quorum, big_quorum=big_quorum)
    o = dev.deploy(chain, markets, [10**4] * markets, options=options)
    if options:
        return _measure_options_gas(o, dev, rng, markets, rounds)
    g = [rng.randrange(1000, 60000) for _ in range(markets)]
    fund = lambda: [rng.randrange(-2**46, 2**46) for _ in range(markets)]  # noqa: E731
    out: dict[str, Any] = {"markets": markets, "reporters": n, "quorum": quorum, "bigQuorum": big_quorum}
    first = o.submit_round(dev.signed_reports(g, fund(), count=big_quorum))
    out["firstRound_bigQuorum"] = int(first["gasUsed"])
    steady = []
    for _ in range(rounds):
        g = [x + rng.randrange(-5, 6) for x in g]
        steady.append(int(o.submit_round(dev.signed_reports(g, fund(), count=quorum))["gasUsed"]))
    out["submitRound_quorum"] = steady
    g = [x + 1 for x in g]
    out["submitRound_bigQuorum"] = int(o.submit_round(dev.signed_reports(g, fund(), count=big_quorum))["gasUsed"])
    out["submitRound_all"] = int(o.submit_round(dev.signed_reports(g, fund(), count=n))["gasUsed"])
    return out


def _measure_options_gas(o: OracleClient, dev: DevCommittee, rng, markets: int, rounds: int) -> dict:
    out: dict[str, Any] = {"markets": markets, "reporters": len(dev.keys), "quorum": dev.quorum,
                           "bigQuorum": dev.big_quorum, "options": True}
    g = [rng.randrange(1000, 60000) for _ in range(markets)]
    vols = [rng.randrange(3000, 9000) for _ in range(markets)]

    def post(count: int | None = None, listings: int = 0, settlements: int = 0) -> int:
        def figures(rid: int, ts: int) -> Figures:
            lst = tuple(pack_listing(j % markets, j % 2 == 0, 1000 + j, ts + 86400 * (1 + j), 10_000)
                        for j in range(listings))
            stl = tuple(pack_settlement(1 + j, g[j % markets]) for j in range(settlements))
            return Figures(rid, ts, tuple(g), tuple(vols), lst, stl, rng.randrange(1, R))

        fund = [rng.randrange(-2**46, 2**46) for _ in range(markets)]
        before = o.latest_round()
        reps = dev.signed_reports(g, fund, count=count)
        rid = reps[0].report.round_id
        fig = figures(rid, reps[0].report.timestamp)
        receipt = o.submit_round_with_figures(reps, dev.signed_figures(fig))
        assert o.latest_round() == before + 1
        return int(receipt["gasUsed"])

    out["firstRound_bigQuorum"] = post(dev.big_quorum)
    steady = []
    for _ in range(rounds):
        g = [x + rng.randrange(-5, 6) for x in g]
        steady.append(post(dev.quorum))
    out["submitRoundWithFigures_quorum"] = steady
    out["submitRoundWithFigures_quorum_8_listings"] = post(dev.quorum, listings=8)
    out["submitRoundWithFigures_quorum_8_settlements"] = post(dev.quorum, settlements=8)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifier_contracts.oracle", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="compile Oracle.sol into artifacts/Oracle.json")
    b.add_argument("--out", default=str(ARTIFACTS_DIR))
    g = sub.add_parser("gas", help="measure submitRound gas")
    g.add_argument("--url", help="node URL (anvil); default: embedded eth-tester chain")
    g.add_argument("--markets", type=int, default=4)
    g.add_argument("--reporters", type=int, default=5)
    g.add_argument("--quorum", type=int, default=3)
    g.add_argument("--big-quorum", type=int, default=4)
    g.add_argument("--options", action="store_true", help="an oracle with options: rounds with figures")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        for p in build_artifact(Path(args.out)):
            print(p)
    else:
        chain = Chain.connect(args.url) if args.url else Chain.embedded()
        print(json.dumps(measure_gas(chain, args.markets, args.reporters, args.quorum, args.big_quorum,
                                     options=args.options), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["OracleClient", "OracleError", "DevCommittee", "Report", "SignedReport", "make_report", "sign_report",
           "Figures", "SignedFigures", "sign_figures", "figures_typed_data", "pack_listing", "unpack_listing",
           "pack_settlement", "unpack_settlement",
           "report_typed_data", "dev_keys", "to_ladder", "lower_median", "signed_funding", "funding_word",
           "is_big_move", "round_hash_of", "measure_gas", "compile_oracle", "build_artifact", "send"]
