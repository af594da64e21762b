"""The API's request and response bodies. Every field is bounded: ids below 2^32, the op
fields within the widths the circuit range-checks (`spec.ops.*.FIELDS`), field elements
(signature parts, public keys) as decimal or 0x-hex strings below r, L1 addresses as
0x + 40 hex digits. Request models are strict (a JSON number where a string belongs, a
float or a bool where an integer belongs, an unknown key: 422)."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..oplog.status import STATUSES
from ..spec.constants import FIELD_MODULUS
from ..spec.ops import ACCOUNT_ID_BITS, OP_ID_BITS, OptionTrade, Trade, Withdraw


def _field_element(s: str) -> int:
    x = int(s, 16) if s.startswith("0x") else int(s)
    if not 0 <= x < FIELD_MODULUS:
        raise ValueError("not a field element (must be < r)")
    return x


# A BN254 scalar field element, sent as a decimal or 0x-hex string; an int once validated.
FieldElement = Annotated[str, StringConstraints(pattern=r"^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$"),
                         AfterValidator(_field_element)]
L1Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"), AfterValidator(str.lower)]
OpId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Hex128 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


def uint(bits: int, minimum: int = 0):
    return Annotated[int, Field(ge=minimum, lt=1 << bits)]


def _widths(op) -> dict[str, int]:
    return {name: bits for name, bits, _signed in op.FIELDS}


_T, _W, _O = _widths(Trade), _widths(Withdraw), _widths(OptionTrade)
AccountId = uint(ACCOUNT_ID_BITS)
assert OP_ID_BITS == 128


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class SignatureIn(Strict):
    """An EdDSA-Poseidon signature: the point R8 and the scalar S."""

    R8x: FieldElement
    R8y: FieldElement
    S: FieldElement


class PubKey(Strict):
    x: FieldElement
    y: FieldElement


class TradeIn(Strict):
    """One co-signed trade: the spec's `Trade`, both signatures over its one message."""

    market: uint(_T["market"])
    size: uint(_T["size"])
    price: uint(_T["price"])
    buyer: uint(_T["buyer"])
    seller: uint(_T["seller"])
    buyer_nonce: uint(_T["buyer_nonce"])
    seller_nonce: uint(_T["seller_nonce"])
    expiry: uint(_T["expiry"])
    fee: uint(_T["fee"])
    buyer_signature: SignatureIn
    seller_signature: SignatureIn


class OptionTradeIn(Strict):
    """One co-signed option trade: the spec's `OptionTrade` (buyer buys `size` lots of option
    series `series` at `premium` collateral units a lot), both signatures over its one message.
    Options presets only: a service whose preset has no option slots refuses it (400)."""

    series: uint(_O["series"])
    size: uint(_O["size"])
    premium: uint(_O["premium"])
    buyer: uint(_O["buyer"])
    seller: uint(_O["seller"])
    buyer_nonce: uint(_O["buyer_nonce"])
    seller_nonce: uint(_O["seller_nonce"])
    expiry: uint(_O["expiry"])
    fee: uint(_O["fee"])
    buyer_signature: SignatureIn
    seller_signature: SignatureIn


class WithdrawalIn(Strict):
    """The spec's `Withdraw`, signed by the account's key."""

    account: uint(_W["account"])
    amount: uint(_W["amount"])
    nonce: uint(_W["nonce"])
    expiry: uint(_W["expiry"])
    signature: SignatureIn


class CancelIn(Strict):
    """`spec.ops.Cancel` of the op in the path, signed by `account`, one of its parties."""

    account: AccountId
    signature: SignatureIn


class OpAccepted(BaseModel):
    id: OpId


class OpPublic(BaseModel):
    id: OpId
    kind: Literal["trade", "withdrawal", "option_trade"]
    status: Literal[STATUSES]  # type: ignore[valid-type]
    batch: Optional[int] = None
    reason: Optional[str] = None
    l1_tx: Optional[str] = None


class AccountRequestIn(Strict):
    """A key and the L1 address that will register it, with the key's signature over
    `spec.ops.AccountRequest` (proof of possession before the owner pays on L1)."""

    pubkey: PubKey
    l1_address: L1Address
    signature: SignatureIn


class RegistrationCall(BaseModel):
    """What the owner sends on L1 from `from_`: Rollup.register(pubkeyX, pubkeyY). The
    contract assigns the account id; the service learns it from the registration queue."""

    model_config = ConfigDict(populate_by_name=True)
    call: Literal["register"] = "register"
    pubkeyX: str
    pubkeyY: str
    from_: str = Field(alias="from")
    rollup: Optional[str] = None


class ChallengeIn(Strict):
    account: AccountId


class ChallengeOut(BaseModel):
    account: int
    challenge: Hex128  # sign spec.ops.AuthChallenge(account, int(challenge, 16))
    expires_in: int


class TokenIn(Strict):
    account: AccountId
    challenge: Hex128
    signature: SignatureIn


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class OptionSlot(BaseModel):
    """One option slot of the leaf (options presets): series id (0: empty) and signed size in lots."""

    series: int
    size: int


class Leaf(BaseModel):
    nonce_hi: int
    nonce_bitmap: int
    collateral: int
    positions: list[int]
    snapshots: list[int]
    salt: str  # 0x hex field element: the leaf hash's salt, which the owner's exit proof needs
    options: list[OptionSlot] = []  # options presets only: the K option slots


class MarginOut(BaseModel):
    """At the last settled batch's prices: TV, MR and IR in collateral units (MR and IR
    rounded up), and the exact surpluses scaled by BPS (`spec.margin`; on options presets
    `spec.cross_margin` at the batch's option figures: options at their marks in TV, the grid
    requirement where the account holds options)."""

    tv: int
    mr: int
    ir: int
    maintenance_surplus_bps: int
    initial_surplus_bps: int


class PathLevelOut(BaseModel):
    """One level of the account's Merkle path (`spec.tree.PathLevel`): only hashes, so that
    a path tells its reader nothing about other accounts (0x hex field elements)."""

    position: int
    sibling_hashes: list[str]
    box_commitment: str  # the parent's hiding commitment to its children's boxes


class AccountPublic(BaseModel):
    id: int
    pubkey: list[str]
    l1_address: Optional[str]
    settled_batch: int
    root: Optional[str]  # state root of the last settled batch (0x hex)
    leaf: Optional[Leaf]  # None: registered on L1, not yet in a settled batch
    box: Optional[list[list[int]]]
    margin: Optional[MarginOut]
    merkle_path: Optional[list[PathLevelOut]]
    pending: Optional[Leaf]  # the leaf with the accepted, unsettled ops applied


class ViewingKeyIn(Strict):
    label: Optional[Annotated[str, StringConstraints(max_length=100, pattern=r"^[\x20-\x7e]*$")]] = None


class ViewingKeyOut(BaseModel):
    id: str
    account: int
    label: Optional[str] = None
    key: Optional[str] = None  # shown once, at creation
    revoked: bool = False


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    db: bool
    queue_depth: int
    settled_batch: int


class ErrorOut(BaseModel):
    detail: object
    reason: str


BATCH_STATUSES = ("open", "proving", "proved", "submitted", "settled", "abandoned")


class AttemptOut(BaseModel):
    """An abandoned attempt at a batch number, as it was when abandoned."""

    attempt: int  # 1, 2, ...
    status: Literal[BATCH_STATUSES]  # type: ignore[valid-type]  # what it had reached
    reason: Optional[str] = None
    oracle_round: Optional[int] = None
    old_root: Optional[str] = None
    new_root: Optional[str] = None
    op_ids: list[str] = []  # back to accepted when it was abandoned
    prove_s: Optional[float] = None
    gas: Optional[int] = None
    l1_tx: Optional[str] = None
    abandoned_at: float


class BatchOut(BaseModel):
    """A batch number's latest attempt. `open`: the next number, not cut yet; its op_ids are
    the accepted ops waiting (those that fit its slots go in it, the rest wait for the next).
    `attempts`: the abandoned attempts at this number, oldest first (a re-cut after an
    abandon is attempt len(attempts) + 1)."""

    number: int
    status: Literal[BATCH_STATUSES]  # type: ignore[valid-type]
    oracle_round: Optional[int] = None
    old_root: Optional[str] = None  # 0x-prefixed hex
    new_root: Optional[str] = None
    op_ids: list[str] = []
    prove_s: Optional[float] = None
    gas: Optional[int] = None
    l1_tx: Optional[str] = None
    attempts: list[AttemptOut] = []


class ChainOut(BaseModel):
    """Where clients deposit: the chain and the contracts the service settles on."""

    rpc_url: str
    chain_id: int
    rollup: str
    oracle: str
    collateral_token: Optional[str] = None
    preset: Optional[str] = None  # the circuit preset: its signing domain, markets and slots
    da_members: list[str] = []  # the DA committee members' URLs: where an owner rebuilds its exit data
