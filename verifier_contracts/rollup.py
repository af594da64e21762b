"""Python client of the settlement contract (``src/Rollup.sol``), the oracle (``src/Oracle.sol``)
and the test collateral tokens (``src/TestTokens.sol``).

    chain = Chain.embedded()                        # or Chain.connect("http://127.0.0.1:8545")
    r = RollupClient.deploy(chain, batch_vk, exit_vk, markets=2, slots=slots_of(TINY))  # oracle, token, verifiers
    r.post_round([g0, g1], [f0, f1])                # oracle round: ladder indices, signed funding
    alice_id = r.register((pkx, pky), sender=alice) # the contract assigns the id, alice owns it
    r.mint(alice, 5_000_000); r.deposit(alice_id, 5_000_000, sender=alice)   # token units (approve + deposit)
    pub = r.next_batch(new_root, withdrawals=[(alice_id, 1_000)])  # a spec BatchPublic from the chain
    r.submit_batch(pub, proof=proof_json)           # proof over sequencer.spec.public.batch_digest(pub)
    r.submit_batch(pub, proof, da_signatures=atts)  # with a DA committee (sequencer/da/): pub.da_commitment signed
    r.claim(alice_id)                               # alice receives credit * unitScale tokens

The batch proof has ONE public input, ``sequencer.spec.public.batch_digest(pub, slots)``;
``Rollup.submitBatch`` rebuilds the message from its storage (old root, batch number, queue
pointers and entries) and the calldata ``batch_calldata(pub)`` (new root, oracle round, prices,
funding, queue ends, bounced/executed bit masks, withdrawals). ``RollupClient.batch_digest``
asks the contract for its digest (``batchDigest``), to compare with the spec's.

Exit proofs keep their inputs (``EXIT_PUBLIC_INPUT_NAMES``): root, prices[M], fundingIndices[M],
accountId, l1Address, equity (2M + 4 words), at the last settled root and its oracle round.

Bounded queues (why no sender can make the contract overdue; also Rollup.sol's NatSpec).
Each L1 queue q (registrations, deposits, forced requests) has slots_q slots per batch; the
contract is deployed with ``batch_interval_blocks`` N (the operator's promise: a batch at
least every N blocks) and ``deadline_blocks`` D, and holds at most cap_q = slots_q * floor(D / N)
unconsumed entries of q ("<queue> queue full, retry later" beyond). An entry admitted while q
holds at most cap_q - 1 others is at position p <= cap_q; batches every N blocks consume
min(slots_q, pending) entries in FIFO order, so it is consumed within ceil(p / slots_q) * N
<= floor(D / N) * N <= D blocks. A flood only makes new entries wait (fees, owned accounts,
deposited money), and the queue drains every N blocks.

Payments (withdrawals, executed forced requests, bounced deposits, exits, refunds) are
credited in units to the account (``accounts(id) = (owner, credit)``, one slot) and paid in
tokens by ``claim(account_id)`` to the owner recorded at registration; fees stay in ETH
(``claim_fees``).

Data availability: every batch message carries the batch's DA commitment (``pub.da_commitment``,
which the proof binds: sequencer/spec/da.py) and the sequencer's DA public key
(``RollupClient.deploy(da_public_key=S)``, default the development key ``DEV_DA_PUBLIC_KEY``).
``RollupClient.deploy(da_members=[...], da_threshold=k)`` gives the contract a
fixed committee; each batch then needs k members' EIP-712 signatures of (batch number, new root,
DA commitment) (``sequencer.da.attest.sign_batch_data``), passed to ``submit_batch`` as
``da_signatures`` (attestations are sorted by signer; raw ``(v, r, s)`` tuples are passed as they
are), which then calls ``submitBatchWithData``. Without members (k = 0, the default) a batch
needs none and ``submitBatch`` is what it was.

The oracle is deployed and posted to in ONE place (``deploy_oracle``, ``post_oracle_round``);
``RollupClient.deploy(oracle=address)`` uses an oracle deployed elsewhere.

Artifacts: ``python -m verifier_contracts.rollup build`` compiles Rollup.sol, Oracle.sol and
TestTokens.sol (solc-js) into ``artifacts/{Rollup,Oracle,TestStablecoin,TestToken18,
FeeOnTransferToken,ReentrantToken}.json``. ``python -m verifier_contracts.rollup gas
--markets 4 [--preset mainnet]`` measures gas with synthetic (UNSAFE) keys and full slots.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from web3 import Web3
from web3.exceptions import ContractLogicError, MethodUnavailable
from web3.logs import DISCARD

from sequencer.spec.da import DEV_DA_PUBLIC_KEY
from sequencer.spec.constants import FIELD_MODULUS as R
from sequencer.spec.constants import PRESETS, Preset
from sequencer.spec.public import FIRST_L1_ACCOUNT, FUNDING_OFFSET, BatchPublic, batch_digest, batch_message
from verifier_contracts.build import ARTIFACTS_DIR, SRC_DIR, compile_sources, write_artifacts
from verifier_contracts.evm import Chain, load_artifact, proof_calldata

# ---------------------------------------------------------------- public inputs

#: The batch proof's inputs: the one digest (sequencer.spec.public).
N_PUBLIC = 1
#: Exit public inputs in verifier order; "prices" and "fundingIndices" are M words each.
EXIT_PUBLIC_INPUT_NAMES: tuple[str, ...] = ("root", "prices", "fundingIndices", "accountId", "l1Address", "equity")
VECTOR_INPUTS = frozenset({"prices", "fundingIndices"})

ROLLUP_SOURCES = ("Rollup.sol", "Oracle.sol", "TestTokens.sol")
TOKEN_ARTIFACTS = ("TestStablecoin", "TestToken18", "FeeOnTransferToken", "ReentrantToken")
ROLLUP_ARTIFACTS = ("Rollup", "Oracle", *TOKEN_ARTIFACTS)

ACCOUNT_ID_LIMIT = 1 << 32
AMOUNT_LIMIT = 1 << 63
ZERO_ADDRESS = "0x" + "00" * 20


def exit_public_input_names(markets: int) -> list[str]:
    """The 2M + 4 exit public-input names, one per verifier input."""
    out = []
    for n in EXIT_PUBLIC_INPUT_NAMES:
        out += [f"{n}[{j}]" for j in range(markets)] if n in VECTOR_INPUTS else [n]
    return out


def n_exit_public(markets: int) -> int:
    return 4 + 2 * markets


def exit_public_inputs(values: Mapping[str, Any]) -> list[int]:
    """The verifier's input array of an exit from a dict keyed by ``EXIT_PUBLIC_INPUT_NAMES``."""
    out: list[int] = []
    for n in EXIT_PUBLIC_INPUT_NAMES:
        v = values[n]
        if n in VECTOR_INPUTS:
            out += [int(x) % R for x in v]
        else:
            out.append(int(v, 16) if isinstance(v, str) else int(v))
    return out


def proof_words(proof: Any) -> list[int]:
    """The contract's ``uint256[8]`` proof from a snarkjs proof.json (dict, text or path),
    an ``(a, b, c)`` triple in EVM order, or 8 words already."""
    if isinstance(proof, (list, tuple)) and len(proof) == 8:
        return [int(x) for x in proof]
    if isinstance(proof, (list, tuple)) and len(proof) in (3, 4):
        a, b, c = proof[:3]
    else:
        a, b, c, _ = proof_calldata(proof, [])
    return [int(a[0]), int(a[1]), int(b[0][0]), int(b[0][1]), int(b[1][0]), int(b[1][1]), int(c[0]), int(c[1])]


# ---------------------------------------------------------------- slot counts


@dataclass(frozen=True)
class Slots:
    """The shape of a batch message: what ``sequencer.spec.public`` reads from a Preset
    (``num_markets`` and the four L1 slot counts), plus the account-tree size."""

    num_markets: int
    register_slots: int
    deposit_slots: int
    forced_slots: int
    withdrawal_slots: int
    account_bits: int = 20
    name: str = "custom"


def slots_of(preset: Preset | str, markets: int | None = None) -> Slots:
    """The slot counts of a preset (by name or object), with ``markets`` markets if given."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    return Slots(p.num_markets if markets is None else markets, p.register_slots, p.deposit_slots, p.forced_slots,
                 p.withdrawal_slots, p.account_bits, p.name)


# ---------------------------------------------------------------- the calldata of a batch


def _field(x: int) -> int:
    return int(x) % R


def _signed(x: int) -> int:
    x = int(x)
    return x - R if x > R // 2 else x


def da_calldata(signatures: Sequence[Any] = ()) -> list:
    """``daSignatures`` for ``submitBatchWithData``: the signatures are objects with
    ``signer`` and ``sig_tuple()`` (``sequencer.da.attest.Attestation``) sorted by ascending
    signer as the contract wants, raw ``(v, r, s)`` tuples as given."""
    sigs = list(signatures)
    if all(hasattr(a, "signer") for a in sigs):
        sigs = [a.sig_tuple() for a in sorted(sigs, key=lambda a: int(a.signer, 16))]
    else:
        sigs = [a.sig_tuple() if hasattr(a, "sig_tuple") else tuple(a) for a in sigs]
    return sigs


def batch_calldata(pub: BatchPublic) -> tuple[tuple, list[tuple[int, int]]]:
    """``(BatchPublic struct, withdrawals)`` for ``submitBatch``/``batchDigest`` from a spec
    ``BatchPublic``: the contract takes newRoot, oracleRound, prices, funding (offset: F + 2^47,
    as the message carries it; fewer non-zero calldata bytes than a negative field word),
    the queue ends, the flag bit masks, the DA commitment and the round's options commitment
    (``figures_root``, 0 without options); the rest (the DA key included) it
    reads from its own storage."""
    bounced = sum(1 << s for s, d in enumerate(pub.deposits) if d[2])
    executed = sum(1 << s for s, f in enumerate(pub.forced) if f[2])
    struct = (int(pub.new_root), int(pub.oracle_round), [int(g) for g in pub.prices],
              [_signed(f) + FUNDING_OFFSET for f in pub.funding], int(pub.registration_to), int(pub.deposit_to), bounced,
              int(pub.forced_to), executed, int(pub.da_commitment), int(pub.figures_root))
    return struct, [(int(a), int(x)) for a, x in pub.withdrawals]


# ---------------------------------------------------------------- artifacts


def compile_rollup(extra_sources: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Compile Rollup.sol, Oracle.sol, TestTokens.sol (and ``extra_sources``). Needs node."""
    sources = {n: (SRC_DIR / n).read_text() for n in ROLLUP_SOURCES}
    sources.update(extra_sources or {})
    return {k: v for k, v in compile_sources(sources).items() if v["bytecode"] != "0x"}


def build_artifacts(out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Write ``artifacts/{Rollup,Oracle,TestStablecoin,...}.json``."""
    arts = compile_rollup()
    return write_artifacts({k: arts[k] for k in ROLLUP_ARTIFACTS}, out_dir)


def load_rollup_artifacts() -> dict[str, dict]:
    """The committed artifacts, or a fresh compile when they are missing (needs node)."""
    try:
        return {k: load_artifact(k) for k in ROLLUP_ARTIFACTS}
    except FileNotFoundError:
        return compile_rollup()


# ---------------------------------------------------------------- the oracle (one place)


def deploy_oracle(chain: Chain, markets: int, price_steps: Sequence[int] | int = 1,
                  committee: Any = None, artifacts: Mapping[str, dict] | None = None):
    """Deploy the committee oracle the Rollup reads (``markets``, ``latestRound``, ``roundHash``,
    ``roundTimestamp``, ``getRound``; src/Oracle.sol) with a development committee (UNSAFE:
    its reporter keys derive from a public seed) unless ``committee`` gives one; returns
    ``(web3 contract, committee)``."""
    from verifier_contracts.oracle import DevCommittee, OracleClient

    committee = committee or DevCommittee.from_seed()
    arts = artifacts or load_rollup_artifacts()
    client = committee.deploy(chain, markets, price_steps, artifact=arts["Oracle"])
    assert isinstance(client, OracleClient)
    return client.contract, committee


def post_oracle_round(client: "RollupClient", prices: Sequence[int], funding: Sequence[int],
                      sender: str | None = None) -> int:
    """Publish the next round (ladder indices, signed funding or field words) through the
    client's committee (a quorum of signed reports, or bigQuorum for a move beyond the band);
    its id."""
    if client.committee is None:
        raise RuntimeError("this RollupClient has no oracle committee: post rounds through the oracle's reporters")
    return client.committee.post_round(list(prices), [_signed(f) for f in funding], sender=sender)


# ---------------------------------------------------------------- the client


class RollupError(RuntimeError):
    """A call reverted; the message is the contract's revert reason (e.g. "Rollup: frozen")."""


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    msg = str(msg)
    for prefix in ("execution reverted: ", "execution reverted:"):
        if prefix in msg:
            msg = msg.split(prefix, 1)[1]
    return msg.strip()


def _addr(a: Any) -> str:
    if isinstance(a, int):
        a = "0x" + a.to_bytes(20, "big").hex()
    return Web3.to_checksum_address(a)


def send_transaction(chain: Chain, fn, sender: str | None = None, value: int = 0, gas: int | None = None,
                     check: bool = True, error: type = None) -> dict:
    """Run ``fn`` as a call first (a revert raises ``error``, RollupError by default, with the
    contract's reason), then transact (gas: estimated on a node; a fixed cap on eth-tester,
    whose estimate re-runs the call many times) and wait for the receipt. ``check=False``
    skips the call (one execution fewer: a batch verification is ~1.4 s on eth-tester); a
    revert then raises without a reason."""
    error = error or RollupError
    tx = {"from": _addr(sender or chain.w3.eth.default_account), "value": value}
    try:
        if check:
            fn.call(tx, block_identifier="pending")
        elif gas is None:
            gas = 10_000_000
        if gas is None:
            try:
                gas = fn.estimate_gas(tx, block_identifier="pending")
                gas += gas // 4 + 20_000
            except MethodUnavailable:  # eth-tester: no block parameter
                gas = 10_000_000
        tx_hash = fn.transact({**tx, "gas": gas})
    except Exception as exc:  # web3's ContractLogicError; eth-tester's TransactionFailed
        if isinstance(exc, ContractLogicError) or type(exc).__name__ == "TransactionFailed":
            raise error(_reason(exc)) from None
        raise
    receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise error("transaction reverted")
    return receipt


@dataclass
class RollupClient:
    chain: Chain
    rollup: Any  # web3 contracts
    oracle: Any
    token: Any  # the collateral (ERC-20)
    artifacts: Mapping[str, dict] | None = None
    committee: Any = None  # verifier_contracts.oracle.DevCommittee that posts rounds on local chains

    # ------------------------------------------------------------ deployment

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        batch_verifier: Any,
        exit_verifier: Any,
        *,
        markets: int,
        slots: Slots | Preset | str | None = None,
        genesis_root: int = 0,
        collateral: Any = None,
        unit_scale: int = 1,
        oracle: Any = None,
        committee: Any = None,
        price_steps: Sequence[int] | int | None = None,
        sequencer: str | None = None,
        insurance_owner: str | None = None,
        batch_interval_blocks: int = 300,
        deadline_blocks: int = 7200,
        max_round_age: int = 3600,
        round_grace: int = 600,
        min_deposit_units: int = 1,
        registration_fee: int = 0,
        forced_request_fee: int = 0,
        da_members: Sequence[str] = (),
        da_threshold: int = 0,
        da_public_key: Sequence[int] = DEV_DA_PUBLIC_KEY,
        artifacts: Mapping[str, dict] | None = None,
    ) -> "RollupClient":
        """Deploy the oracle (unless ``oracle`` gives an address), the collateral (a
        ``TestStablecoin`` unless ``collateral`` gives an address), both verifiers and the
        Rollup. ``slots``: a Slots, a preset or its name (default: mainnet's counts with
        ``markets`` markets). A verifier is a deployed web3 contract, an address, an artifact
        dict or name/path, or a snarkjs vk dict (compiled, needs node). ``insurance_owner``
        (default: the sequencer) is account 0's L1 address in the genesis state. The oracle is
        the committee oracle with ``committee`` (default: ``DevCommittee.from_seed()``, UNSAFE
        development reporters) and ``price_steps`` (default: the preset's ladder steps).
        ``da_members``/``da_threshold``: the DA committee and the signatures a batch needs
        (none by default). ``da_public_key``: the sequencer's DA key (its state's
        ``State.da_public``), which every batch message carries."""
        arts = dict(artifacts) if artifacts is not None else load_rollup_artifacts()
        w3 = chain.w3
        me = w3.eth.default_account
        s = slots if isinstance(slots, Slots) else slots_of(slots or "mainnet", markets)
        assert s.num_markets == markets, "slots and markets disagree"
        if price_steps is None:  # the preset's ladder steps when the slots name a preset
            preset = slots if isinstance(slots, Preset) else PRESETS.get(slots) if isinstance(slots, str) else None
            price_steps = [mk.price_step for mk in preset.markets] if preset is not None else 1
        if oracle is not None:
            orc = w3.eth.contract(address=_addr(oracle), abi=arts["Oracle"]["abi"])
            if committee is not None:
                from verifier_contracts.oracle import OracleClient

                committee.attach(OracleClient(chain, orc))
        else:
            orc, committee = deploy_oracle(chain, markets, price_steps, committee, arts)
        tok = (w3.eth.contract(address=_addr(collateral), abi=arts["TestStablecoin"]["abi"]) if collateral is not None
               else chain.deploy(arts["TestStablecoin"]))
        seq = _addr(sequencer or me)
        cfg = (seq, orc.address, _verifier_address(chain, batch_verifier), _verifier_address(chain, exit_verifier),
               tok.address, unit_scale, _addr(insurance_owner or seq), int(genesis_root), s.account_bits,
               s.register_slots, s.deposit_slots, s.forced_slots, s.withdrawal_slots, batch_interval_blocks,
               deadline_blocks, max_round_age, round_grace, min_deposit_units, registration_fee, forced_request_fee,
               [_addr(a) for a in da_members], int(da_threshold), int(da_public_key[0]), int(da_public_key[1]))
        rollup = chain.deploy(arts["Rollup"], cfg)
        return cls(chain, rollup, orc, tok, arts, committee)

    @classmethod
    def at(cls, chain: Chain, rollup_address: str, artifacts: Mapping[str, dict] | None = None) -> "RollupClient":
        arts = artifacts or load_rollup_artifacts()
        rollup = chain.w3.eth.contract(address=_addr(rollup_address), abi=arts["Rollup"]["abi"])
        orc = chain.w3.eth.contract(address=rollup.functions.oracle().call(), abi=arts["Oracle"]["abi"])
        tok = chain.w3.eth.contract(address=rollup.functions.collateral().call(), abi=arts["TestStablecoin"]["abi"])
        return cls(chain, rollup, orc, tok, arts)

    # ------------------------------------------------------------ transactions

    def _send(self, fn, sender: str | None = None, value: int = 0, gas: int | None = None,
              check: bool = True) -> dict:
        """``send_transaction`` on this client's chain (reverts raise RollupError)."""
        return send_transaction(self.chain, fn, sender, value, gas, check)

    @property
    def markets(self) -> int:
        return self.rollup.functions.markets().call()

    @property
    def unit_scale(self) -> int:
        return self.rollup.functions.unitScale().call()

    @property
    def slots(self) -> Slots:
        """The contract's slot counts (what ``sequencer.spec.public`` needs as its preset)."""
        f = self.rollup.functions
        return Slots(f.markets().call(), f.registerSlots().call(), f.depositSlots().call(), f.forcedSlots().call(),
                     f.withdrawalSlots().call(), f.accountLimit().call().bit_length() - 1, "contract")

    def post_round(self, prices: Sequence[int], funding: Sequence[int], sender: str | None = None) -> int:
        """Publish the next oracle round; returns its id (``post_oracle_round``)."""
        return post_oracle_round(self, prices, funding, sender)

    def register(self, pubkey: Any, sender: str | None = None) -> int:
        """Register a Baby Jubjub key ``(x, y)`` (or an object with ``.x``/``.y``) for
        ``sender``; pays ``registrationFee``; returns the account id the contract assigned."""
        x, y = (pubkey.x, pubkey.y) if hasattr(pubkey, "x") else pubkey
        fee = self.rollup.functions.registrationFee().call()
        receipt = self._send(self.rollup.functions.register(int(x), int(y)), sender, value=fee)
        (ev,) = self.rollup.events.Registered().process_receipt(receipt, errors=DISCARD)
        return int(ev["args"]["accountId"])

    def mint(self, to: str, token_amount: int) -> dict:
        """Test tokens only: mint ``token_amount`` base units to ``to``."""
        return self._send(self.token.functions.mint(_addr(to), int(token_amount)))

    def approve(self, token_amount: int, sender: str | None = None) -> dict:
        return self._send(self.token.functions.approve(self.rollup.address, int(token_amount)), sender)

    def deposit(self, account_id: int, token_amount: int, sender: str | None = None, approve: bool = True) -> int:
        """Deposit ``token_amount`` token base units (a whole number of units: ``unit_scale``
        base units each) for ``account_id``; approves first unless ``approve=False``.
        Returns the queue index."""
        if approve:
            self.approve(token_amount, sender)
        receipt = self._send(self.rollup.functions.deposit(int(account_id), int(token_amount)), sender)
        (ev,) = self.rollup.events.Deposited().process_receipt(receipt, errors=DISCARD)
        return int(ev["args"]["index"])

    def request_forced_withdrawal(self, account_id: int, amount: int, sender: str | None = None) -> int:
        """The owner asks for ``amount`` units; pays ``forcedRequestFee``; returns the queue index."""
        fee = self.rollup.functions.forcedRequestFee().call()
        receipt = self._send(self.rollup.functions.requestForcedWithdrawal(int(account_id), int(amount)), sender,
                             value=fee)
        (ev,) = self.rollup.events.ForcedWithdrawalRequested().process_receipt(receipt, errors=DISCARD)
        return int(ev["args"]["index"])

    def submit_batch(self, pub: BatchPublic, proof: Any, withdrawals: Iterable[tuple[int, int]] | None = None,
                     sender: str | None = None, check: bool = True, da_signatures: Sequence[Any] | None = None
                     ) -> dict:
        """``submitBatch`` for a spec ``BatchPublic`` (its withdrawals unless given; its
        ``da_commitment`` is in the struct); ``proof`` as in ``proof_words``; ``check`` as in
        ``_send``. With ``da_signatures`` (``da_calldata``; even an empty list),
        ``submitBatchWithData`` (a contract with a committee needs it)."""
        struct, ws = batch_calldata(pub)
        if withdrawals is not None:
            ws = [(int(a), int(x)) for a, x in withdrawals]
        f = self.rollup.functions
        if da_signatures is None:
            fn = f.submitBatch(struct, ws, proof_words(proof))
        else:
            fn = f.submitBatchWithData(struct, ws, da_calldata(da_signatures), proof_words(proof))
        return self._send(fn, sender, check=check)

    def freeze(self, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.freeze(), sender)

    def exit(self, account_id: int, l1_address: str, equity: int, proof: Any, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.exit(int(account_id), _addr(l1_address), int(equity),
                                                     proof_words(proof)), sender)

    def refund_deposit(self, index: int, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.refundDeposit(int(index)), sender)

    def claim(self, account_id: int, sender: str | None = None) -> dict:
        """Pay ``account_id``'s credit to its owner in tokens (anyone may send it)."""
        return self._send(self.rollup.functions.claim(int(account_id)), sender)

    def claim_fees(self, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.claimFees(), sender)

    # ------------------------------------------------------------ data availability

    @property
    def chain_id(self) -> int:
        return int(self.chain.w3.eth.chain_id)

    def da_committee(self) -> tuple[list[str], int]:
        """(members, threshold k); ([], 0) without a committee."""
        f = self.rollup.functions
        return list(f.daMembers().call()), int(f.daThreshold().call())

    def batch_data_digest(self, batch_number: int, new_root: int, commitment: int) -> bytes:
        """The EIP-712 digest a member signs (an eth_call)."""
        return bytes(self.rollup.functions.batchDataDigest(int(batch_number), int(new_root), int(commitment)).call())

    # ------------------------------------------------------------ reads

    def queues(self) -> dict:
        names = ("registrationCount", "registrationConsumed", "depositCount", "depositConsumed", "forcedCount",
                 "forcedConsumed")
        return dict(zip(names, self.rollup.functions.queues().call()))

    def state(self) -> dict:
        f = self.rollup.functions
        return {
            "stateRoot": f.stateRoot().call(), "batchNumber": f.batchNumber().call(),
            "lastOracleRound": f.lastOracleRound().call(), **self.queues(),
            "custody": f.custody().call(), "frozen": f.frozen().call(), "overdue": f.overdue().call(),
            "feesOwed": f.feesOwed().call(), "balance": self.token.functions.balanceOf(self.rollup.address).call(),
        }

    def overdue(self) -> bool:
        return self.rollup.functions.overdue().call()

    def account(self, account_id: int) -> tuple[str, int]:
        """``(owner, credit in units)``."""
        owner, credit = self.rollup.functions.accounts(int(account_id)).call()
        return owner, credit

    def credit(self, account_id: int) -> int:
        return self.account(account_id)[1]

    def balance(self, address: str) -> int:
        """Collateral token balance (base units)."""
        return self.token.functions.balanceOf(_addr(address)).call()

    def oracle_round(self, round_id: int) -> tuple[list[int], list[int], int]:
        """(ladder indices, signed funding indices, timestamp) of a round."""
        p, fi, ts = self.oracle.functions.getRound(round_id).call()
        return list(p), [_signed(f) for f in fi], ts

    def registration_entries(self, start: int, stop: int) -> list[tuple[int, int, int]]:
        """Registration queue entries [start, stop) as BatchPublic wants them: (pubkey_x, pubkey_y, owner)."""
        out = []
        for k in range(start, stop):
            x, y, owner, _ = self.rollup.functions.registrationEntry(k).call()
            out.append((x, y, int(owner, 16)))
        return out

    def deposit_entries(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Deposit queue entries [start, stop): (account, amount in units)."""
        return [tuple(self.rollup.functions.depositEntry(k).call()[:2]) for k in range(start, stop)]

    def forced_entries(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Forced-withdrawal queue entries [start, stop): (account, amount in units)."""
        return [tuple(self.rollup.functions.forcedEntry(k).call()[:2]) for k in range(start, stop)]

    def next_batch(self, new_root: int, *, withdrawals: Iterable[tuple[int, int]] = (),
                   oracle_round: int | None = None, registration_to: int | None = None,
                   deposit_to: int | None = None, forced_to: int | None = None,
                   bounced: Iterable[int] = (), not_executed: Iterable[int] = (),
                   da_commitment: int = 0, figures_root: int = 0) -> BatchPublic:
        """The next batch's ``sequencer.spec.public.BatchPublic`` from the chain: old root,
        batch number, the oracle round (latest by default) and, per queue, the entries from
        its consumed pointer to ``*_to`` (default: as many as the slots take). ``bounced``
        and ``not_executed`` are queue indices of deposits bounced and forced requests not
        executed (default: none bounced, all executed)."""
        s, q, slots = self.state(), self.queues(), self.slots
        rid = self.oracle.functions.latestRound().call() if oracle_round is None else oracle_round
        prices, funding, _ = self.oracle_round(rid)

        def end(to, frm, count, n):
            return min(count, frm + n) if to is None else to

        r0, d0, f0 = q["registrationConsumed"], q["depositConsumed"], q["forcedConsumed"]
        r1 = end(registration_to, r0, q["registrationCount"], slots.register_slots)
        d1 = end(deposit_to, d0, q["depositCount"], slots.deposit_slots)
        f1 = end(forced_to, f0, q["forcedCount"], slots.forced_slots)
        bounced, not_executed = set(bounced), set(not_executed)
        deposits = tuple((a, x, int(k in bounced)) for k, (a, x) in zip(range(d0, d1), self.deposit_entries(d0, d1)))
        forced = tuple((a, x, int(k not in not_executed)) for k, (a, x) in zip(range(f0, f1),
                                                                                self.forced_entries(f0, f1)))
        return BatchPublic(
            old_root=s["stateRoot"], new_root=int(new_root), batch_number=s["batchNumber"] + 1, oracle_round=rid,
            prices=tuple(prices), funding=tuple(_signed(f) for f in funding),
            registration_from=r0, registration_to=r1, registrations=tuple(self.registration_entries(r0, r1)),
            deposit_from=d0, deposit_to=d1, deposits=deposits, forced_from=f0, forced_to=f1, forced=forced,
            withdrawals=tuple((int(a), int(x)) for a, x in withdrawals), da_commitment=int(da_commitment),
            da_public_key=self.da_public_key, figures_root=int(figures_root))

    @property
    def da_public_key(self) -> tuple[int, int]:
        """The sequencer's DA public key the contract puts in every batch message."""
        f = self.rollup.functions
        return int(f.daKeyX().call()), int(f.daKeyY().call())

    def digest(self, pub: BatchPublic) -> int:
        """The spec's digest of ``pub`` under this contract's slot counts (what the proof proves)."""
        return batch_digest(pub, self.slots)

    def message(self, pub: BatchPublic) -> bytes:
        return batch_message(pub, self.slots)

    def batch_digest(self, pub: BatchPublic) -> int:
        """The contract's digest (``batchDigest``) of ``pub`` against its current state."""
        struct, ws = batch_calldata(pub)
        return self.rollup.functions.batchDigest(struct, ws).call()

    def batch_message(self, pub: BatchPublic) -> bytes:
        struct, ws = batch_calldata(pub)
        return bytes(self.rollup.functions.batchMessage(struct, ws).call())

    def exit_public(self, account_id: int, l1_address: str, equity: int) -> dict:
        """The exit proof's public inputs at the last settled batch."""
        p, f, _ = self.oracle.functions.getRound(self.rollup.functions.lastOracleRound().call()).call()
        return {"root": self.rollup.functions.stateRoot().call(), "prices": list(p), "fundingIndices": list(f),
                "accountId": account_id, "l1Address": int(_addr(l1_address), 16), "equity": equity}


def _verifier_address(chain: Chain, v: Any) -> str:
    if hasattr(v, "address"):
        return v.address
    if isinstance(v, str) and Web3.is_address(v):
        return Web3.to_checksum_address(v)
    from verifier_contracts.evm import deploy_verifier

    return deploy_verifier(chain, v).address


# ---------------------------------------------------------------- gas


def deploy_synthetic(chain: Chain, markets: int = 2, seed: int = 7, **kwargs: Any):
    """A Rollup with synthetic (UNSAFE, trapdoored) batch and exit keys, for tests and gas
    measurement: ``(client, batch_key, exit_key)``; ``key.prove(inputs, rng)`` proves
    anything. Needs node (the verifiers are compiled from the keys)."""
    from verifier_contracts.build import compile_verifier
    from verifier_contracts.synthetic import SyntheticKey

    rng = random.Random(seed)
    bkey = SyntheticKey.random(N_PUBLIC, rng)
    ekey = SyntheticKey.random(n_exit_public(markets), rng)
    kwargs.setdefault("genesis_root", rng.randrange(1, 2**250))
    client = RollupClient.deploy(chain, compile_verifier(bkey.vk_json()), compile_verifier(ekey.vk_json()),
                                 markets=markets, **kwargs)
    return client, bkey, ekey


def prove_synthetic(client: RollupClient, key, pub: BatchPublic, rng: random.Random):
    """A synthetic proof of ``pub``'s digest (the spec's, under the contract's slot counts)."""
    proof, _ = key.prove([client.digest(pub)], rng)
    return proof


def measure_gas(client: RollupClient, batch_key, withdrawal_counts: Sequence[int] = (0, 4, 16),
                seed: int = 7, exit_key=None, da_keys: Sequence[bytes] = (), extras: bool = True) -> dict:
    """Transaction gasUsed of postRound, register, deposit (a warm depositor: its second
    deposit, transferFrom included, approve not), requestForcedWithdrawal, submitBatch with
    every L1 slot full (registrations, deposits, forced requests, one executed) and ``n``
    withdrawals to distinct accounts, claim (to an owner already holding tokens) and exit.
    Verification gas depends only on the number of inputs, so a synthetic key gives the
    real figures. Every batch has a random DA commitment; ``da_keys``: DA member keys that
    sign every batch (none: ``submitBatch``, for a contract without a committee). ``extras=False``: submitBatch
    only (no claim, no exit)."""
    rng = random.Random(seed)
    w3 = client.chain.w3
    me = w3.eth.default_account
    slots = client.slots
    m = slots.num_markets
    scale = client.unit_scale
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    counts = sorted({min(n, slots.withdrawal_slots) for n in withdrawal_counts})
    out: dict[str, Any] = {"markets": m, "slots": {
        "register": slots.register_slots, "deposit": slots.deposit_slots, "forced": slots.forced_slots,
        "withdrawal": slots.withdrawal_slots}, "n_public": N_PUBLIC}
    # oracle rounds through the committee: the first needs bigQuorum; a steady round inside
    # the band takes a quorum of signed reports (postRound is that round's submitRound)
    dev = client.committee
    ladder = [rng.randrange(1_000, 2**15) for _ in range(m)]
    dev.post_round(ladder, [0] * m)
    steady = dev.signed_reports([g + 1 for g in ladder], [rng.randrange(-2**40, 2**40) for _ in range(m)])
    out["postRound"] = gas(dev.oracle.submit_round(steady))
    out["postRoundReports"] = len(steady)

    def key():
        return rng.randrange(1, R), rng.randrange(1, R)

    accounts: list[int] = []

    def register():
        receipt = client._send(client.rollup.functions.register(*key()))
        (ev,) = client.rollup.events.Registered().process_receipt(receipt, errors=DISCARD)
        accounts.append(int(ev["args"]["accountId"]))
        return gas(receipt)

    register()  # the first one also fills the counters slot
    out["register"] = register()
    for _ in range(max(counts)):
        register()
    client.mint(me, 10**15 * scale)
    client.approve(2**255)
    first = client.rollup.functions.deposit(accounts[0], 10**6 * scale)
    out["depositFirst"] = gas(client._send(first))  # the contract's first: its token balance leaves zero
    d = [gas(client._send(client.rollup.functions.deposit(accounts[0], 10**6 * scale))) for _ in range(2)]
    out["deposit"] = max(d)  # a warm depositor; entries pack two per slot: report the dearer half
    out["depositSecondHalf"] = min(d)
    if client.queues()["depositCount"] % 2:  # batches below start at an even entry: 8 slots hold 16 entries
        client._send(client.rollup.functions.deposit(accounts[0], 10**6 * scale))
    out["submitBatch"] = {}

    def settle(withdrawals):
        pub = client.next_batch(rng.randrange(1, 2**250), withdrawals=withdrawals, da_commitment=rng.randrange(1, R))
        sigs = None
        if da_keys:
            from sequencer.da.attest import sign_batch_data

            sigs = [sign_batch_data(k, pub.batch_number, pub.new_root, pub.da_commitment, chain_id=client.chain_id,
                                    rollup=client.rollup.address) for k in da_keys]
        return client.submit_batch(pub, prove_synthetic(client, batch_key, pub, rng), da_signatures=sigs)

    settle([])  # consume the deposits above: the contract now holds custody
    for n in counts:
        for _ in range(slots.register_slots):
            register()
        for _ in range(slots.deposit_slots):
            client._send(client.rollup.functions.deposit(accounts[0], 10**6 * scale))
        for i in range(slots.forced_slots):
            fr = client._send(client.rollup.functions.requestForcedWithdrawal(accounts[1 + i], 1))
            out["requestForcedWithdrawal"] = gas(fr)
        ws = [(accounts[1 + i], 1 + i) for i in range(n)]
        out["submitBatch"][n] = gas(settle(ws))
    if not extras:
        return out
    out["claim"] = gas(client.claim(accounts[1]))  # the owner (me) holds tokens already
    out["exit"] = _measure_exit(client, exit_key, accounts[1], rng) if exit_key is not None else None
    return out


def _measure_exit(client: RollupClient, ekey, account_id: int, rng: random.Random) -> int | None:
    """Exit gas needs a frozen contract: measured on a copy of the state when the node can
    snapshot (eth-tester, anvil); the contract is left as it was."""
    w3 = client.chain.w3
    try:
        snap = w3.provider.make_request("evm_snapshot", [])["result"]
    except Exception:  # noqa: BLE001 - a node without snapshots
        return None
    try:
        client.register((1, 2))  # a fresh entry left unconsumed past the deadline
        for _ in range(client.rollup.functions.deadlineBlocks().call() + 1):
            w3.provider.make_request("evm_mine", [])
        client.freeze()
        owner, _ = client.account(account_id)
        vals = client.exit_public(account_id, owner, 1)
        proof, _ = ekey.prove(exit_public_inputs(vals), rng)
        return int(client.exit(account_id, owner, 1, proof)["gasUsed"])
    finally:
        w3.provider.make_request("evm_revert", [snap])


def gas_report(markets: int = 4, preset: str = "mainnet", url: str | None = None, **deploy_kwargs: Any) -> dict:
    """``measure_gas`` on a fresh chain (embedded unless ``url``) with ``preset``'s slot
    counts at ``markets`` markets."""
    chain = Chain.connect(url) if url else Chain.embedded()
    deploy_kwargs.setdefault("deadline_blocks", 40)
    deploy_kwargs.setdefault("batch_interval_blocks", 2)
    client, bkey, ekey = deploy_synthetic(chain, markets, slots=slots_of(preset, markets), **deploy_kwargs)
    return {"preset": preset, **measure_gas(client, bkey, exit_key=ekey)}


def da_gas_report(markets: int = 4, preset: str = "mainnet", url: str | None = None, members: int = 5,
                  thresholds: Sequence[int] = (0, 1, 3)) -> dict:
    """submitBatch gas (every L1 slot full, no withdrawals) with a DA committee of ``members``
    dev keys and each threshold k (k signatures; k = 0: no committee), one deployment each."""
    from sequencer.da.attest import addresses, dev_member_keys

    keys = dev_member_keys(n=members)
    out: dict[str, Any] = {"preset": preset, "markets": markets, "members": members, "submitBatch": {}}
    for k in thresholds:
        chain = Chain.connect(url) if url else Chain.embedded()
        client, bkey, _ = deploy_synthetic(chain, markets, slots=slots_of(preset, markets), deadline_blocks=40,
                                           batch_interval_blocks=2, da_members=addresses(keys) if k else (),
                                           da_threshold=k)
        g = measure_gas(client, bkey, withdrawal_counts=(0,), da_keys=keys[:k], extras=False)
        out["submitBatch"][k] = g["submitBatch"][0]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifier_contracts.rollup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="compile Rollup/Oracle/test tokens into artifacts/")
    b.add_argument("--out", default=str(ARTIFACTS_DIR))
    g = sub.add_parser("gas", help="measure gas with full slots (synthetic key)")
    g.add_argument("--url", help="node URL (anvil); default: embedded eth-tester chain")
    g.add_argument("--markets", type=int, default=4)
    g.add_argument("--preset", choices=sorted(PRESETS), default="mainnet",
                   help="slot counts of this preset (with --markets markets); default mainnet")
    d = sub.add_parser("da-gas", help="submitBatch gas with a DA committee: k = 0, 1, 3 of 5 signatures")
    d.add_argument("--url", help="node URL (anvil); default: embedded eth-tester chain")
    d.add_argument("--markets", type=int, default=4)
    d.add_argument("--preset", choices=sorted(PRESETS), default="mainnet")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        for p in build_artifacts(Path(args.out)):
            print(p)
    elif args.cmd == "da-gas":
        print(json.dumps(da_gas_report(args.markets, args.preset, args.url), indent=1))
    else:
        print(json.dumps(gas_report(args.markets, args.preset, args.url), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["N_PUBLIC", "EXIT_PUBLIC_INPUT_NAMES", "exit_public_input_names", "exit_public_inputs", "n_exit_public",
           "proof_words", "Slots", "slots_of", "batch_calldata", "RollupClient", "RollupError", "deploy_oracle",
           "post_oracle_round", "compile_rollup", "build_artifacts", "load_rollup_artifacts", "deploy_synthetic",
           "prove_synthetic", "measure_gas", "gas_report", "da_gas_report", "da_calldata", "FIRST_L1_ACCOUNT"]
