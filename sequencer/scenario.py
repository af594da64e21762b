"""`zkclear scenario run FILE`: replay a scenario file from genesis through the executable spec.

A scenario (JSON, documented in examples/README.md) names accounts with key seeds, genesis
prices, and batches: each batch gives the oracle prices and the ops submitted before it is
cut. The runner plays the sequencer:

- ops are kept in a pending queue, in file order; ops that did not fit the preset's slots
  (build_batch's "no free slot in this batch") are *carried over* to the next batch, ahead
  of that batch's own ops, and after the last batch of the file extra batches are cut at
  the last prices until the queue drains (or stops moving);
- each batch is cut by `build_batch` (which adds the touches, liquidations and deleverages
  the prices need) and applied by `process_batch`; every refused op is reported with the
  spec's reason and dropped;
- registrations are L1 queue entries (`Rollup.register`): a "register" op joins the
  registration queue when its batch of the file is submitted, and the contract gives the name
  its id there, FIRST_L1_ACCOUNT + its queue index (0 is the insurance fund, "insurance");
  batches consume the queue in order, `register_slots` a batch (the rest are carried over);
  a signed op naming an account whose registration is not consumed yet waits in the pending
  queue ("waiting for registration");
- deposits join the L1 deposit queue in file order once their account is registered on L1,
  and take consecutive queue indices (`Deposit.index`); a deposit whose account's
  registration is not consumed yet waits in the queue, and so do the deposits after it; a
  deposit to a raw id nobody registered on L1 is refused by the contract;
- nonces left out are assigned per account, fresh and increasing, in file order (an
  explicit nonce moves the account's counter up to it); signatures left out are made with
  the account's key (`PrivateKey.from_seed(seed)`); "bad", "none" or another account's
  name make a deliberately bad or missing signature.

Options (European, cash-settled: `spec/options.py`). A scenario that lists option series,
moves vols or time, or trades options runs on an options preset: `--preset tiny` (the default)
then runs on tiny's options variant `tiny-options` (`TINY_OPTIONS`: tiny's markets and tree,
K = 2 option slots per account, two option-trade slots per batch), and the report says so in
its first line. The runner plays the oracle committee too: each batch carries the committee's
option figures (`OptionFigures`) for its round: the batch's prices, its oracle timestamp
(`time`), the vol per market (`vols`), the series it lists (`list`, ids 1, 2, ... in listing
order, named in the file) and, for every listed series whose expiry the batch's time reached,
its settlement price: the batch's mark price of the series' market. An option trade's premium
`"mark"` is the committee's mark of the series at the batch that includes it.

Proving is a separate step (`prove_batch`, over `sequencer.proving`), behind
`--prove/--no-prove`; options presets prove with the same batch prover once the settlement
circuit knows them (until then `--prove` stops at once with exit code 2).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .spec.constants import TINY_OPTIONS
from .spec.transition import SLOT_REASON  # the builder's "wait for a later batch", not a refusal

WAIT_REASON = "waiting for registration"
L1_REFUSED = "the contract refuses a deposit to an account not registered on L1"
INSURANCE = "insurance"
DEFAULT_EXPIRY = 1_000_000
DRAIN_LIMIT = 64  # extra batches cut after the file's batches to drain carried ops
SIGNATURE_WORDS = ("bad", "none")

KINDS = ("register", "deposit", "withdraw", "trade", "option_trade", "funding", "touch", "liquidate", "deleverage")
KIND_NAMES = {"register": "Register", "deposit": "Deposit", "withdraw": "Withdraw", "trade": "Trade",
              "option_trade": "OptionTrade",
              "funding": "Funding", "touch": "Touch", "liquidate": "Liquidate", "deleverage": "Deleverage"}
# options (module docstring): a preset without option slots runs an options scenario on its variant
OPTIONS_VARIANTS = {"tiny": TINY_OPTIONS.name}
OPTION_TYPES = ("call", "put")  # a series' kind, named exactly so
GENESIS_TIME = 1_800_000_000  # the default oracle timestamp at genesis (2027-01-15 08:00 UTC)
PREMIUM_WORDS = ("mark",)
# per kind: required fields, optional fields with defaults (None: filled by the runner)
_COMMON = {"op": None, "label": None, "expect_refused": None}
OP_FIELDS = {
    "register": (("account",), {}),
    "deposit": (("account", "amount"), {}),
    "withdraw": (("account", "amount"), {"nonce": None, "expiry": DEFAULT_EXPIRY, "signature": None}),
    "trade": (("market", "buyer", "seller", "size", "price"),
              {"fee": 0, "buyer_nonce": None, "seller_nonce": None, "expiry": DEFAULT_EXPIRY,
               "buyer_signature": None, "seller_signature": None}),
    "funding": (("market", "delta"), {}),
    "touch": (("account",), {}),
    "liquidate": (("account",), {"receiver": INSURANCE, "receiver_nonce": None, "expiry": None,
                                 "signature": None}),
    "deleverage": (("account", "market", "size", "haircut"), {}),
    "option_trade": (("series", "buyer", "seller", "size", "premium"),
                     {"fee": 0, "buyer_nonce": None, "seller_nonce": None, "expiry": DEFAULT_EXPIRY,
                      "buyer_signature": None, "seller_signature": None}),
}
ACCOUNT_FIELDS = {"register": ("account",), "deposit": ("account",), "withdraw": ("account",),
                  "trade": ("buyer", "seller"), "option_trade": ("buyer", "seller"), "touch": ("account",),
                  "liquidate": ("account", "receiver"),
                  "deleverage": ("account",), "funding": ()}


class ScenarioError(Exception):
    """A scenario that cannot be read or run: one line; `code` 2 for the file, 1 at run time."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


# --- the file ----------------------------------------------------------------------------------
@dataclass
class AccountSpec:
    name: str
    seed: bytes
    l1_address: int

    @property
    def key(self):
        return _key(self.seed)


@dataclass
class Intent:
    """One op of the file, by names; materialised into a spec op when a batch is cut."""

    kind: str
    fields: dict
    where: str  # e.g. "batches[2].ops[0]"
    batch: int  # the file batch it was submitted with (1-based)
    label: Optional[str] = None
    expect_refused: Optional[str] = None


@dataclass
class BatchSpec:
    prices: tuple
    oracle_round: Optional[int]
    intents: list
    # options scenarios: the oracle timestamp, the vol per market (bps of annual vol), the series
    # listed by this batch's round ((name, spec.options.Series), ids in listing order)
    time: int = 0
    vols: tuple = ()
    listings: list = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    description: str
    preset: Any
    insurance: AccountSpec
    accounts: dict  # name -> AccountSpec (the insurance fund included)
    genesis_prices: tuple
    batches: list
    expect: dict
    # options scenarios (module docstring): the preset named (`--preset tiny`) when the runner
    # moved to its options variant; series name -> id; the genesis oracle time
    requested_preset: Optional[str] = None
    series_ids: dict = field(default_factory=dict)
    genesis_time: int = GENESIS_TIME

    @property
    def options(self) -> bool:
        return self.preset.option_slots > 0

    def genesis(self):
        from sequencer.spec import State

        return State.genesis(self.preset, self.insurance.key.public_key, self.insurance.l1_address,
                             self.genesis_prices)


_KEYS: dict = {}


def _key(seed: bytes):
    from circuits.crypto.eddsa import PrivateKey

    if seed not in _KEYS:
        _KEYS[seed] = PrivateKey.from_seed(seed)
    return _KEYS[seed]


_BAD_KEY_SEED = b"zkclear-scenario: a key nobody owns"


def _where_err(where: str, msg: str) -> ScenarioError:
    return ScenarioError(f"{where}: {msg}")


def _int(v, where: str, lo: Optional[int] = None, allow_hex: bool = False) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise _where_err(where, f"expected an integer, got {json.dumps(v)}")
    if isinstance(v, str):
        try:
            v = int(v, 0) if allow_hex else int(v, 10)
        except ValueError:
            raise _where_err(where, f"expected an integer, got {json.dumps(v)}") from None
    if lo is not None and v < lo:
        raise _where_err(where, f"must be at least {lo}, got {v}")
    return v


def _obj(v, where: str, what: str = "an object") -> dict:
    if not isinstance(v, dict):
        raise _where_err(where, f"expected {what}")
    return v


def _check_keys(obj: dict, allowed, where: str) -> None:
    for k in obj:
        if k not in allowed:
            raise _where_err(where, f"unknown field {k!r} (fields: {', '.join(allowed)})")


def _default_address(seed: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(b"zkclear-scenario-address" + seed, digest_size=20).digest(), "big")


def _account_spec(name: str, v, where: str) -> AccountSpec:
    v = _obj(v, where)
    _check_keys(v, ("seed", "l1_address"), where)
    seed = v.get("seed", name)
    if not isinstance(seed, str) or not seed:
        raise _where_err(f"{where}.seed", "expected a non-empty string")
    seed_b = seed.encode()
    addr = _int(v["l1_address"], f"{where}.l1_address", lo=0, allow_hex=True) if "l1_address" in v \
        else _default_address(seed_b)
    if addr >= 1 << 160:
        raise _where_err(f"{where}.l1_address", "is not a 160-bit address")
    return AccountSpec(name, seed_b, addr)


def _prices(v, preset, where: str) -> tuple:
    from sequencer.spec.constants import GRID_MAX

    return _per_market(v, preset, where, "price", "ladder index", GRID_MAX, "is off the ladder")


def _vols(v, preset, where: str) -> tuple:
    from sequencer.spec.options import VOL_MAX

    return _per_market(v, preset, where, "vol", "vol in basis points of annual vol", VOL_MAX, "is out of range")


def _per_market(v, preset, where: str, what: str, unit: str, top: int, beyond: str) -> tuple:
    names = [m.name for m in preset.markets]
    if isinstance(v, list):
        if len(v) != len(names):
            raise _where_err(where, f"expected {len(names)} {what}s ({', '.join(names)}), got {len(v)}")
        out = [_int(x, f"{where}[{i}]", lo=0) for i, x in enumerate(v)]
    elif isinstance(v, dict):
        for k in v:
            if k not in names:
                raise _where_err(where, f"unknown market {k!r} (markets of preset {preset.name}: {', '.join(names)})")
        missing = [n for n in names if n not in v]
        if missing:
            raise _where_err(where, f"missing {what} of {', '.join(missing)}")
        out = [_int(v[n], f"{where}.{n}", lo=0) for n in names]
    else:
        raise _where_err(where, f"expected a list of {unit}s or an object market -> {unit}")
    for i, g in enumerate(out):
        if g > top:
            raise _where_err(where, f"{what} of {names[i]} {beyond} (0..{top})")
    return tuple(out)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _time(v, where: str, base: int) -> int:
    """An oracle timestamp: an integer (seconds), or "+<n><s|m|h|d>" after `base`."""
    if isinstance(v, str) and v.startswith("+") and len(v) > 2 and v[-1] in _UNITS:
        try:
            n = int(v[1:-1], 10)
        except ValueError:
            n = -1
        if n >= 0:
            return base + n * _UNITS[v[-1]]
    if isinstance(v, str) and v.startswith("+"):
        raise _where_err(where, f"expected a timestamp or \"+<n><s|m|h|d>\" (e.g. \"+6h\"), got {json.dumps(v)}")
    return _int(v, where, lo=0)


def _listing(v, preset, where: str, genesis_time: int, now: int):
    """One series the batch's oracle round lists: (name, spec.options.Series)."""
    from sequencer.spec.constants import GRID_MAX
    from sequencer.spec.options import Series

    v = _obj(v, where)
    _check_keys(v, ("name", "market", "kind", "strike", "expiry", "smile_bps"), where)
    for k in ("name", "market", "kind", "strike", "expiry"):
        if k not in v:
            raise _where_err(where, f"missing field {k!r}")
    name = v["name"]
    if not isinstance(name, str) or not name:
        raise _where_err(f"{where}.name", "expected a non-empty string")
    if v["kind"] not in OPTION_TYPES:
        raise _where_err(f"{where}.kind", f"expected \"call\" or \"put\", got {json.dumps(v['kind'])}")
    market = _market(v["market"], preset, f"{where}.market")
    if not 0 <= market < preset.num_markets:
        raise _where_err(f"{where}.market", f"no market {market}")
    strike = _int(v["strike"], f"{where}.strike", lo=1)
    if strike > GRID_MAX:
        raise _where_err(f"{where}.strike", f"is off the ladder (1..{GRID_MAX})")
    expiry = _time(v["expiry"], f"{where}.expiry", genesis_time)
    if expiry <= now:
        raise _where_err(f"{where}.expiry", f"{expiry} is not after the listing batch's time {now}")
    smile = _int(v.get("smile_bps", 10_000), f"{where}.smile_bps", lo=1)
    if smile >= 1 << 16:
        raise _where_err(f"{where}.smile_bps", "must be below 65536")
    return name, Series(market, v["kind"] == "call", strike, expiry, smile)


def _market(v, preset, where: str) -> int:
    names = [m.name for m in preset.markets]
    if isinstance(v, str) and v in names:
        return names.index(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return v  # an index: the spec refuses one out of range ("unknown market")
    raise _where_err(where, f"unknown market {json.dumps(v)} (markets: {', '.join(names)})")


def _account_ref(v, accounts: dict, where: str):
    """A name of the file, or a raw integer id (e.g. to show a deposit to an empty leaf)."""
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            raise _where_err(where, "an account id is not negative")
        return v
    if isinstance(v, str) and v in accounts:
        return v
    raise _where_err(where, f"unknown account {json.dumps(v)} (accounts: {', '.join(accounts)})")


def _signature_ref(v, accounts: dict, where: str):
    if v is None or v in SIGNATURE_WORDS or (isinstance(v, str) and v in accounts):
        return v
    raise _where_err(where, f"expected \"bad\", \"none\" or an account name, got {json.dumps(v)}")


def _series_ref(v, series_ids: dict, where: str):
    """A series name of the file (listed by some batch), or a raw integer id (the spec refuses
    an id nobody listed: "unknown series")."""
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            raise _where_err(where, "a series id is not negative")
        return v
    if isinstance(v, str) and v in series_ids:
        return v
    listed = ", ".join(series_ids) or "none"
    raise _where_err(where, f"unknown series {json.dumps(v)} (series the batches list: {listed})")


def _intent(v, index: int, batch_no: int, preset, accounts: dict, nonces: dict,
            series_ids: Optional[dict] = None) -> Intent:
    where = f"batches[{batch_no - 1}].ops[{index}]"
    v = _obj(v, where)
    kind = v.get("op")
    if kind is None:
        raise _where_err(where, "missing field 'op'")
    if kind not in OP_FIELDS:
        raise _where_err(f"{where}.op", f"unknown op kind {json.dumps(kind)} (kinds: {', '.join(KINDS)})")
    where = f"{where} ({kind})"
    required, optional = OP_FIELDS[kind]
    _check_keys(v, (*_COMMON, *required, *optional), where)
    for k in required:
        if k not in v:
            raise _where_err(where, f"missing field {k!r}")
    f = {k: v.get(k, d) for k, d in {**{r: None for r in required}, **optional}.items()}
    for k in ACCOUNT_FIELDS[kind]:
        f[k] = _account_ref(f[k], accounts, f"{where}.{k}")
    if kind == "register" and not isinstance(f["account"], str):
        raise _where_err(f"{where}.account", "a registration names an account of the file")
    if kind == "register" and f["account"] == INSURANCE:
        raise _where_err(f"{where}.account", "the insurance fund exists from genesis")
    if "market" in f:
        f["market"] = _market(f["market"], preset, f"{where}.market")
    if kind == "option_trade":
        f["series"] = _series_ref(f["series"], series_ids or {}, f"{where}.series")
        if f["premium"] not in PREMIUM_WORDS:
            f["premium"] = _int(f["premium"], f"{where}.premium", lo=0)
    if kind == "liquidate" and f["expiry"] is None:
        f["expiry"] = 0 if f["receiver"] == INSURANCE else DEFAULT_EXPIRY  # the fund's take-over has none
    for k in ("amount", "size", "price", "fee", "haircut", "expiry"):
        if k in f:
            f[k] = _int(f[k], f"{where}.{k}", lo=0)
    if "delta" in f:
        f["delta"] = _int(f["delta"], f"{where}.delta")
    for k in ("signature", "buyer_signature", "seller_signature"):
        if k in f:
            f[k] = _signature_ref(f[k], accounts, f"{where}.{k}")
    # nonces: explicit ones move the account's counter up; missing ones take the next fresh one
    for nonce_key, who in (("nonce", "account"), ("buyer_nonce", "buyer"), ("seller_nonce", "seller"),
                           ("receiver_nonce", "receiver")):
        if nonce_key not in f:
            continue
        owner = f[who]
        if f[nonce_key] is not None:
            f[nonce_key] = _int(f[nonce_key], f"{where}.{nonce_key}", lo=0)
            nonces[owner] = max(nonces.get(owner, 0), f[nonce_key])
        elif kind == "liquidate" and owner == INSURANCE:
            f[nonce_key] = 0  # the fund's take-over is unsigned
        else:
            nonces[owner] = nonces.get(owner, 0) + 1
            f[nonce_key] = nonces[owner]
    label = v.get("label")
    if label is not None and not isinstance(label, str):
        raise _where_err(f"{where}.label", "expected a string")
    expect = v.get("expect_refused")
    if expect is not None and not isinstance(expect, str):
        raise _where_err(f"{where}.expect_refused", "expected a string (the start of the refusal reason)")
    return Intent(kind, f, where, batch_no, label, expect)


def load_scenario(path: Path | str, preset_name: Optional[str] = None) -> Scenario:
    """Read and check a scenario file; a ScenarioError (code 2) names the faulty place."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_scenario(doc, preset_name, source=str(path))


def parse_scenario(doc, preset_name: Optional[str] = None, source: str = "scenario") -> Scenario:
    from sequencer.spec.constants import KNOWN_PRESETS

    try:
        return _parse(doc, preset_name, KNOWN_PRESETS)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}", exc.code) from None


_OPTION_TOP_KEYS = ("genesis_time", "genesis_vols")
_OPTION_BATCH_KEYS = ("time", "vols", "list")


def uses_options(doc) -> bool:
    """The file lists series, moves vols or time, or trades options (read before the preset is
    chosen: such a scenario runs on an options preset)."""
    if not isinstance(doc, dict):
        return False
    if any(k in doc for k in _OPTION_TOP_KEYS):
        return True
    batches = doc.get("batches")
    for b in batches if isinstance(batches, list) else ():
        if isinstance(b, dict) and (any(k in b for k in _OPTION_BATCH_KEYS) or any(
                isinstance(op, dict) and op.get("op") == "option_trade"
                for op in (b.get("ops") if isinstance(b.get("ops"), list) else ()))):
            return True
    return False


def _parse(doc, preset_name, presets) -> Scenario:
    doc = _obj(doc, "top level", "a JSON object")
    _check_keys(doc, ("name", "description", "preset", "markets", "insurance", "accounts", "genesis_prices",
                      *_OPTION_TOP_KEYS, "batches", "expect"), "top level")
    name = preset_name or doc.get("preset") or "tiny"
    if name not in presets:
        raise ScenarioError(f"preset: no preset named {name!r} (presets: {', '.join(presets)})")
    preset, requested = presets[name], None
    if uses_options(doc) and not preset.option_slots:
        # tiny has no option slots: an options scenario runs on its options variant
        if name not in OPTIONS_VARIANTS:
            variants = ", ".join(f"{k} (runs on {v})" for k, v in OPTIONS_VARIANTS.items())
            raise ScenarioError(f"preset: the scenario has options but preset {name} has no option slots and no "
                                f"options variant (presets that run options scenarios: {variants})")
        preset, requested = presets[OPTIONS_VARIANTS[name]], name
    if "markets" in doc:
        listed = doc["markets"]
        names = [m.name for m in preset.markets]
        if not isinstance(listed, list) or listed != names:
            raise ScenarioError(f"markets: the scenario names {json.dumps(listed)} but preset {preset.name} "
                                f"has {json.dumps(names)}")
    insurance = _account_spec(INSURANCE, doc.get("insurance", {"seed": "zkclear-scenario-insurance"}),
                              "insurance")
    accounts = {INSURANCE: insurance}
    raw_accounts = _obj(doc.get("accounts", {}), "accounts")
    for acct, v in raw_accounts.items():
        if acct in (INSURANCE, *SIGNATURE_WORDS) or not acct:
            raise _where_err(f"accounts.{acct}", "this name is reserved")
        accounts[acct] = _account_spec(acct, v, f"accounts.{acct}")
    if "genesis_prices" not in doc:
        raise ScenarioError("top level: missing field 'genesis_prices'")
    genesis_prices = _prices(doc["genesis_prices"], preset, "genesis_prices")
    raw_batches = doc.get("batches")
    if not isinstance(raw_batches, list) or not raw_batches:
        raise ScenarioError("batches: expected a non-empty list of batches")
    options = preset.option_slots > 0
    genesis_time = _time(doc.get("genesis_time", GENESIS_TIME), "genesis_time", 0)
    vols = _vols(doc["genesis_vols"], preset, "genesis_vols") if "genesis_vols" in doc \
        else (0,) * preset.num_markets
    # series names first (an op may name a series a later batch lists: the spec refuses it
    # then as unknown), ids in listing order
    series_ids: dict = {}
    for b, raw in enumerate(raw_batches):
        listed = raw.get("list", []) if isinstance(raw, dict) else []
        if not isinstance(listed, list):
            raise _where_err(f"batches[{b}].list", "expected a list of series")
        for i, v in enumerate(listed):
            name_ = v.get("name") if isinstance(v, dict) else None
            if isinstance(name_, str) and name_ in series_ids:
                raise _where_err(f"batches[{b}].list[{i}].name", f"series {name_!r} is listed twice")
            if isinstance(name_, str) and name_:
                series_ids[name_] = len(series_ids) + 1
    batches, nonces, prices, registered = [], {}, genesis_prices, set()
    now = genesis_time
    for b, raw in enumerate(raw_batches, start=1):
        where = f"batches[{b - 1}]"
        raw = _obj(raw, where)
        _check_keys(raw, ("prices", "oracle_round", *(_OPTION_BATCH_KEYS if options else ()), "ops", "note"),
                    where)
        if "prices" in raw:
            prices = _prices(raw["prices"], preset, f"{where}.prices")
        rnd = _int(raw["oracle_round"], f"{where}.oracle_round", lo=0) if "oracle_round" in raw else None
        if "time" in raw:
            t = _time(raw["time"], f"{where}.time", now)
            if t < now:
                raise _where_err(f"{where}.time", f"{t} goes back (the previous batch's oracle time is {now})")
            now = t
        if "vols" in raw:
            vols = _vols(raw["vols"], preset, f"{where}.vols")
        listings = [_listing(v, preset, f"{where}.list[{i}]", genesis_time, now)
                    for i, v in enumerate(raw.get("list", []))]
        ops = raw.get("ops", [])
        if not isinstance(ops, list):
            raise _where_err(f"{where}.ops", "expected a list of ops")
        intents = [_intent(op, i, b, preset, accounts, nonces, series_ids) for i, op in enumerate(ops)]
        for it in intents:
            if it.kind == "register":
                registered.add(it.fields["account"])
        batches.append(BatchSpec(prices, rnd, intents, now, vols, listings))
    if options:  # a live series is priced with its market's vol: it needs one
        live: dict = {}
        for b, spec in enumerate(batches):
            live.update({n: s for n, s in spec.listings})
            for n, s in list(live.items()):
                if s.expiry <= spec.time:
                    del live[n]
                elif spec.vols[s.market] < 1:
                    raise _where_err(f"batches[{b}].vols", f"series {n!r} is live but market "
                                     f"{preset.markets[s.market].name} has no vol (0)")
    for b in batches:
        for it in b.intents:
            for k in ACCOUNT_FIELDS[it.kind]:
                ref = it.fields[k]
                if isinstance(ref, str) and ref != INSURANCE and ref not in registered:
                    raise _where_err(f"{it.where}.{k}", f"account {ref!r} is never registered")
    expect = _obj(doc.get("expect", {}), "expect")
    _check_keys(expect, ("applied_at_least",), "expect")
    at_least = _obj(expect.get("applied_at_least", {}), "expect.applied_at_least")
    for k, v in at_least.items():
        if k not in KIND_NAMES:
            raise _where_err("expect.applied_at_least", f"unknown op kind {k!r} (kinds: {', '.join(KINDS)})")
        _int(v, f"expect.applied_at_least.{k}", lo=0)
    desc = doc.get("description", "")
    return Scenario(str(doc.get("name", "scenario")), desc if isinstance(desc, str) else "", preset, insurance,
                    accounts, genesis_prices, batches, {"applied_at_least": dict(at_least)},
                    requested_preset=requested, series_ids=series_ids, genesis_time=genesis_time)


# --- running -----------------------------------------------------------------------------------
@dataclass
class BatchResult:
    number: int
    oracle_round: int
    prices: tuple
    applied: dict  # kind -> count
    ops: list  # descriptions of the applied ops, in batch order
    refused: list  # {"op", "where", "label", "reason", "expected"}
    carried: list  # {"op", "where", "label", "reason"}
    old_root: int
    new_root: int
    digest: int  # the batch proof's one public input (sha256 of the batch message >> 3)
    record: Any = None
    proven: bool = False
    prove_seconds: Optional[float] = None
    verified: Optional[bool] = None
    public_signals: Optional[list] = None
    # options presets: the committee's figures of the batch (None on presets without options):
    # {"time", "vols", "listed": [{"series", "id", ...}], "settled": [{"series", "id", "price", "intrinsic"}]}
    options: Optional[dict] = None

    def to_json(self) -> dict:
        out = {"number": self.number, "oracle_round": self.oracle_round, "prices": list(self.prices),
               "applied": self.applied, "ops": self.ops, "refused": self.refused, "carried": self.carried,
               "old_root": f"{self.old_root:#066x}", "new_root": f"{self.new_root:#066x}",
               "public_inputs": [str(self.digest)],
               "proven": self.proven, "prove_seconds": self.prove_seconds, "verified": self.verified}
        if self.options is not None:
            out["options"] = self.options
        return out


@dataclass
class ScenarioResult:
    scenario: Scenario
    genesis_root: int
    final_root: int
    batches: list
    ids: dict  # name -> account id
    unprocessed: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # unmet expectations, unverified proofs
    state: Any = None  # the spec state after the last batch (not in summary.json)

    @property
    def ok(self) -> bool:
        return not self.failures

    def applied_totals(self) -> dict:
        out: dict = {}
        for b in self.batches:
            for k, n in b.applied.items():
                out[k] = out.get(k, 0) + n
        return out

    def to_json(self) -> dict:
        return {"scenario": self.scenario.name, "preset": self.scenario.preset.name,
                **({"requested_preset": self.scenario.requested_preset} if self.scenario.requested_preset else {}),
                **({"series": dict(self.scenario.series_ids)} if self.scenario.options else {}),
                "genesis_root": f"{self.genesis_root:#066x}", "final_root": f"{self.final_root:#066x}",
                "accounts": {n: i for n, i in sorted(self.ids.items(), key=lambda x: x[1])},
                "batches": [b.to_json() for b in self.batches],
                "applied": self.applied_totals(),
                "refused": sum(len(b.refused) for b in self.batches),
                "unprocessed": self.unprocessed,
                "ok": self.ok, "failures": self.failures}


class Runner:
    """The sequencer loop over one scenario (see the module docstring)."""

    def __init__(self, scenario: Scenario):
        self.sc = scenario
        self.preset = scenario.preset
        self.state = scenario.genesis()
        self.ids = {INSURANCE: self.preset.insurance_account}
        self.names = {self.preset.insurance_account: INSURANCE}
        self.pending: list[Intent] = []  # signed ops, and deposits not on L1 yet (their account is not)
        self.queued: list = []  # (intent, Register | Deposit): L1 queue entries not consumed yet
        self.next_registration = 0  # the L1 queues' next indices
        self.next_deposit = 0
        self._sigs: dict = {}
        self.series_names = {i: n for n, i in scenario.series_ids.items()}
        self.figures = None  # options presets: the committee's figures of the batch being cut
        # names registered by file batches not submitted yet (ops naming them wait)
        self.upcoming = [it.fields["account"] for b in scenario.batches for it in b.intents
                         if it.kind == "register"]

    # names and signatures
    def _name(self, index: int) -> str:
        return self.names.get(index, f"#{index}")

    def _sign(self, op, signer: str, ref) -> Any:
        """The signature of `op` by `signer`'s key, or the override `ref` ("bad", "none", a name)."""
        from sequencer.spec import message_hash

        if ref == "none":
            return None
        seed = _BAD_KEY_SEED if ref == "bad" else self.sc.accounts[ref if ref else signer].seed
        msg = message_hash(op, self.preset.domain)
        if (seed, msg) not in self._sigs:
            self._sigs[(seed, msg)] = _key(seed).sign(msg)
        return self._sigs[(seed, msg)]

    def outstanding(self) -> list:
        """The intents not applied yet: pending ones and the L1 queue entries."""
        return self.pending + [it for it, _ in self.queued]

    def _submit(self, intents) -> list:
        """The L1 side: registrations join the queue (the contract assigns the id), deposits
        join theirs once their account is registered on L1; returns the refused (it, reason)."""
        from sequencer.spec import FIRST_L1_ACCOUNT, Deposit, Register

        refused = []
        for it in intents:
            if it.kind == "register":
                name = it.fields["account"]
                if name in self.ids:
                    refused.append((it, f"account {name!r} is already registered"))
                    continue
                spec = self.sc.accounts[name]
                op = Register(self.next_registration, spec.key.public_key, spec.l1_address)
                self.next_registration += 1
                self.ids[name], self.names[op.account] = op.account, name
                self.queued.append((it, op))
            else:
                self.pending.append(it)
        for it in list(self.pending):
            if it.kind != "deposit":
                continue
            ref = it.fields["account"]
            account = ref if isinstance(ref, int) else self.ids.get(ref)
            if account is None:
                continue  # its registration is not on L1 yet: the owner deposits once it is
            self.pending.remove(it)
            if account >= FIRST_L1_ACCOUNT + self.next_registration:
                refused.append((it, L1_REFUSED))
                continue
            self.queued.append((it, Deposit(self.next_deposit, account, it.fields["amount"])))
            self.next_deposit += 1
        return refused

    def _materialise(self, it: Intent, ids: dict):
        """The spec op of a signed (or sequencer) intent, given the name -> id map; None if a
        name has no id yet."""
        from dataclasses import replace

        from sequencer.spec import Deleverage, Funding, Liquidate, Touch, Trade, Withdraw
        from sequencer.spec.ops import OptionTrade

        f = it.fields

        def acc(k):
            ref = f[k]
            return ref if isinstance(ref, int) else ids.get(ref)

        needed = {k: acc(k) for k in ACCOUNT_FIELDS[it.kind] if not (it.kind == "register" and k == "account")}
        if any(v is None for v in needed.values()):
            return None
        a = needed.get
        if it.kind == "withdraw":
            op = Withdraw(a("account"), f["amount"], f["nonce"], f["expiry"])
            return Withdraw(op.account, op.amount, op.nonce, op.expiry,
                            self._sign_for(op, f["account"], f["signature"]))
        if it.kind == "trade":
            op = Trade(f["market"], f["size"], f["price"], a("buyer"), a("seller"), f["buyer_nonce"],
                       f["seller_nonce"], f["expiry"], f["fee"])
            return Trade(*[getattr(op, k) for k, _, _ in Trade.FIELDS],
                         buyer_signature=self._sign_for(op, f["buyer"], f["buyer_signature"]),
                         seller_signature=self._sign_for(op, f["seller"], f["seller_signature"]))
        if it.kind == "option_trade":
            sid = f["series"] if isinstance(f["series"], int) else self.sc.series_ids[f["series"]]
            premium = self._mark(sid) if f["premium"] == "mark" else f["premium"]
            op = OptionTrade(sid, f["size"], premium, a("buyer"), a("seller"), f["buyer_nonce"], f["seller_nonce"],
                             f["expiry"], f["fee"])
            return replace(op, buyer_signature=self._sign_for(op, f["buyer"], f["buyer_signature"]),
                           seller_signature=self._sign_for(op, f["seller"], f["seller_signature"]))
        if it.kind == "funding":
            return Funding(f["market"], f["delta"])
        if it.kind == "touch":
            return Touch(a("account"))
        if it.kind == "liquidate":
            op = Liquidate(a("account"), a("receiver"), f["receiver_nonce"], f["expiry"])
            if a("receiver") == self.preset.insurance_account and f["signature"] is None:
                return op
            return Liquidate(op.account, op.receiver, op.receiver_nonce, op.expiry,
                             self._sign_for(op, f["receiver"], f["signature"]))
        if it.kind == "deleverage":
            return Deleverage(a("account"), f["market"], f["size"], f["haircut"])
        raise AssertionError(it.kind)

    def _series(self, sid: int):
        """A series listed by the book or by the batch being cut, else None."""
        book = self.state.options
        if book is not None and sid in book.series:
            return book.series[sid]
        listed = self.figures.listings if self.figures is not None else ()
        k = sid - 1 - (len(book.series) if book is not None else 0)
        return listed[k] if 0 <= k < len(listed) else None

    def _mark(self, sid: int) -> int:
        """The committee's mark of series `sid` at the batch being cut (0 for a series nobody
        listed: the spec refuses the trade as an unknown series)."""
        s = self._series(sid)
        if s is None or self.figures is None:
            return 0
        return self.figures.current_row(s, self.preset.markets[s.market].price_step)[0]

    def series_name(self, sid: int) -> str:
        return self.series_names.get(sid, f"series #{sid}")

    def figures_for(self, prices, oracle_round, spec: Optional[BatchSpec]):
        """The committee's option figures of the batch (options presets; module docstring):
        `spec` None for a drain batch (the last time and vols, no listings)."""
        from sequencer.spec.options import OptionFigures

        book = self.state.options
        last = self.figures
        t = spec.time if spec is not None else (last.timestamp if last else self.sc.genesis_time)
        vols = spec.vols if spec is not None else (last.vols if last else (0,) * self.preset.num_markets)
        listings = tuple(s for _, s in spec.listings) if spec is not None else ()
        series = {**book.series, **{len(book.series) + 1 + k: s for k, s in enumerate(listings)}}
        due = tuple((sid, prices[s.market]) for sid, s in sorted(series.items())
                    if sid not in book.settled and s.expiry <= t)
        return OptionFigures(round=oracle_round, timestamp=t, prices=tuple(prices), vols=tuple(vols),
                             listings=listings, settlements=due)

    def _sign_for(self, op, owner, ref):
        if isinstance(owner, int):  # a raw id: signed by a key nobody owns unless overridden
            return self._sign(op, INSURANCE, ref or "bad")
        return self._sign(op, owner, ref)

    def _describe(self, op, it: Optional[Intent] = None) -> str:
        from sequencer.spec import Deleverage, Deposit, Funding, Liquidate, Register, Touch, Trade, Withdraw
        from sequencer.spec.ops import OptionTrade

        n, mk = self._name, self.preset.markets

        def market(j: int):
            return mk[j].name if j < len(mk) else j

        if isinstance(op, Register):
            s = f"register {n(op.account)} as #{op.account} (queue index {op.index})"
        elif isinstance(op, Deposit):
            s = f"deposit {op.amount} to {n(op.account)} (queue index {op.index})"
        elif isinstance(op, Withdraw):
            s = f"withdraw {op.amount} from {n(op.account)} (nonce {op.nonce})"
        elif isinstance(op, Trade):
            s = (f"trade {n(op.buyer)} buys {op.size} {market(op.market)}"
                 f" from {n(op.seller)} at {op.price} (nonces {op.buyer_nonce}/{op.seller_nonce})")
        elif isinstance(op, OptionTrade):
            s = (f"option trade {n(op.buyer)} buys {op.size} {self.series_name(op.series)}"
                 f" from {n(op.seller)} at {op.premium} (nonces {op.buyer_nonce}/{op.seller_nonce})")
        elif isinstance(op, Funding):
            s = f"funding {market(op.market)} {op.delta:+d}"
        elif isinstance(op, Touch):
            s = f"touch {n(op.account)}"
        elif isinstance(op, Liquidate):
            s = f"liquidate {n(op.account)} to {n(op.receiver)}"
        elif isinstance(op, Deleverage):
            s = (f"deleverage {op.size} {market(op.market)} "
                 f"to {n(op.account)}, haircut {op.haircut}")
        else:
            s = type(op).__name__
        if it is None:
            s += " [added by the batch builder]"
        elif it.label:
            s += f" [{it.label}]"
        return s

    def _describe_intent(self, it: Intent) -> str:
        f = it.fields
        bits = ", ".join(f"{k}={v}" for k, v in f.items() if v is not None and "signature" not in k)
        return f"{it.kind} {bits}" + (f" [{it.label}]" if it.label else "")

    def _cut(self, prices, oracle_round):
        """Build the batch from the L1 queues and the pending ops; returns (built, by_op, refused, carried)."""
        from sequencer.spec import OpRefused, Register, build_batch

        state = self.state
        # the registrations this batch consumes (never refused: the first register_slots ones)
        regs = [op for _, op in self.queued if isinstance(op, Register)][:self.preset.register_slots]
        live = set(state.accounts) | {op.account for op in regs}
        live_names = {name for name, i in self.ids.items() if i in live}
        registrable = set(self.ids) | set(self.upcoming)
        pairs, waiting, dropped = list(self.queued), [], []
        for it in list(self.pending):
            names = [it.fields[k] for k in ACCOUNT_FIELDS[it.kind] if isinstance(it.fields[k], str)]
            missing = [m for m in names if m not in live_names and m != INSURANCE]
            if missing:
                if all(m in registrable for m in missing):
                    waiting.append((it, f"{WAIT_REASON} of {', '.join(missing)}"))
                else:  # pragma: no cover - parse_scenario checks every name is registered
                    self.pending.remove(it)
                    dropped.append((it, f"unknown account ({', '.join(missing)} is not registered)"))
                continue
            pairs.append((it, self._materialise(it, self.ids)))
        try:
            built = build_batch(state, [op for _, op in pairs], prices, oracle_round, options=self.figures)
        except OpRefused as exc:
            raise ScenarioError(f"batch {state.batch_number + 1}: the batch builder cannot cut a batch at "
                                f"prices {list(prices)}: {exc.reason}", code=1) from None
        by_op = {id(op): it for it, op in pairs}
        refused = [(it, None, reason) for it, reason in dropped]
        carried = [(it, None, reason) for it, reason in waiting]
        for op, reason in built.waiting:  # L1 queue entries left for a later batch
            if reason.startswith("deposit to an account whose registration"):
                reason = f"{WAIT_REASON} of {self._name(op.account)}"
            carried.append((by_op[id(op)], op, reason))
        for op, reason in built.refused:
            it = by_op[id(op)]
            if reason == SLOT_REASON:
                carried.append((it, op, SLOT_REASON))
            else:
                refused.append((it, op, reason))
        return built, by_op, refused, carried

    def run_batch(self, prices, oracle_round, new_intents, spec: Optional[BatchSpec] = None,
                  drain: bool = False) -> BatchResult:
        """One batch: `spec` is the file's batch (its time, vols and listings on options presets),
        `drain` a batch of carried ops only (the last figures, nothing listed)."""
        options = None
        if self.sc.options:
            self.figures = self.figures_for(prices, oracle_round, None if drain else spec)
            options = self._options_json(self.figures)
        for it in new_intents:
            if it.kind == "register":
                self.upcoming.remove(it.fields["account"])
        l1_refused = self._submit(new_intents)
        old_root = self.state.root()
        built, by_op, refused, carried = self._cut(prices, oracle_round)
        refused = [(it, None, reason) for it, reason in l1_refused] + refused
        record = self._apply(built)
        if options is not None:
            options["margins"] = self._margins(built.batch.ops)
        applied_intents = {id(by_op[id(op)]) for op in built.batch.ops if id(op) in by_op}
        done = applied_intents | {id(it) for it, _, _ in refused}
        self.pending = [it for it in self.pending if id(it) not in done]
        self.queued = [(it, op) for it, op in self.queued if id(it) not in done]
        applied: dict = {}
        for op in built.batch.ops:
            applied[type(op).__name__] = applied.get(type(op).__name__, 0) + 1
        refused_json = []
        for it, op, reason in refused:
            expected = it.expect_refused is not None and reason.startswith(it.expect_refused)
            refused_json.append({"op": self._describe(op, it) if op is not None else self._describe_intent(it),
                                 "where": it.where, "label": it.label, "reason": reason, "expected": expected})
        carried_json = [{"op": self._describe(op, it) if op is not None else self._describe_intent(it),
                         "where": it.where, "label": it.label, "reason": reason} for it, op, reason in carried]
        pub = record.public
        return BatchResult(number=pub.batch_number, oracle_round=pub.oracle_round, prices=tuple(pub.prices),
                           applied=applied, ops=[self._describe(op, by_op.get(id(op))) for op in built.batch.ops],
                           refused=refused_json, carried=carried_json, old_root=old_root, new_root=pub.new_root,
                           digest=record.digest, record=record, options=options)

    def _options_json(self, fig) -> dict:
        from sequencer.spec.options import intrinsic

        book, mk = self.state.options, self.preset.markets
        first = len(book.series) + 1
        listed = [{"series": self.series_name(first + k), "id": first + k, "market": mk[s.market].name,
                   "kind": "call" if s.is_call else "put", "strike": s.strike, "expiry": s.expiry}
                  for k, s in enumerate(fig.listings)]
        settled = []
        for sid, g in fig.settlements:
            s = self._series(sid)
            settled.append({"series": self.series_name(sid), "id": sid, "price": g,
                            "intrinsic": intrinsic(s, mk[s.market].price_step, g)})
        return {"time": fig.timestamp, "vols": {m.name: v for m, v in zip(mk, fig.vols)},
                "listed": listed, "settled": settled}

    def _margins(self, ops) -> dict:
        """The parties of the batch's option trades, after it: TV and the maintenance and initial
        requirements at the batch's marks, and the maintenance of the account's parts margined
        apart (its options alone plus its perpetuals alone), collateral units."""
        from dataclasses import replace

        from sequencer.spec import cross_margin as xm
        from sequencer.spec.constants import BPS
        from sequencer.spec.ops import OptionTrade

        state, out = self.state, {}

        def requirement(a, grid):
            return -(-(BPS * xm.total_value(state, a) - xm.marks_surplus(state, a, grid)) // BPS)

        for op in ops:
            if not isinstance(op, OptionTrade):
                continue
            for index in (op.buyer, op.seller):
                a = state.accounts[index]
                options_alone = replace(a, positions=(0,) * self.preset.num_markets)
                perps_alone = replace(a, option_slots=((0, 0),) * self.preset.option_slots)
                out[self._name(index)] = {
                    "tv": xm.total_value(state, a), "maintenance": requirement(a, "maintenance"),
                    "initial": requirement(a, "initial"),
                    "maintenance_apart": requirement(options_alone, "maintenance")
                    + requirement(perps_alone, "maintenance")}
        return out

    def _apply(self, built):
        from sequencer.spec import process_batch

        return process_batch(self.state, built.batch)


def run_scenario(scenario: Scenario, prove: bool = False, out: Optional[Path] = None, backend: str = "native",
                 log=None, data_dir: Optional[Path] = None) -> ScenarioResult:
    """Apply the scenario from genesis; prove and verify each batch when `prove` (files under `out`)."""
    runner = Runner(scenario)
    genesis_root = runner.state.root()
    if prove and scenario.options:
        check_circuit_proves(scenario.preset)
    if log:
        log(f"scenario {scenario.name!r} on preset {scenario.preset.name}: {len(scenario.batches)} batches, "
            f"{len(scenario.accounts) - 1} accounts")
        if scenario.requested_preset:
            log(f"    (the scenario has options and preset {scenario.requested_preset} has no option slots: it runs on "
                f"{scenario.preset.name}, {scenario.requested_preset}'s options variant, with "
                f"{scenario.preset.option_slots} option slots per account and {scenario.preset.option_trade_slots} "
                f"option trades per batch)")
        log(f"genesis root {genesis_root:#066x}")
    results, failures = [], []
    prices = scenario.genesis_prices
    oracle_round = runner.state.oracle_round
    n_file = len(scenario.batches)
    plan = [(b.prices, b.oracle_round, b.intents) for b in scenario.batches]
    k = 0
    while k < n_file or (runner.outstanding() and k < n_file + DRAIN_LIMIT):
        if k < n_file:
            prices, rnd, intents = plan[k]
            if rnd is not None and rnd < runner.state.oracle_round:
                raise ScenarioError(f"batches[{k}].oracle_round: {rnd} goes back (the last batch used round "
                                    f"{runner.state.oracle_round})")
            oracle_round = rnd if rnd is not None else max(oracle_round, runner.state.batch_number + 1)
        else:
            intents = []  # a drain batch: the last prices and round, the carried ops
        before = [id(it) for it in runner.outstanding()] + [id(it) for it in intents]
        try:
            result = runner.run_batch(prices, oracle_round, intents, scenario.batches[min(k, n_file - 1)],
                                      drain=k >= n_file)
        except ScenarioError as exc:
            if exc.code != 1:
                raise
            failures.append(str(exc))  # the builder cannot cut this batch: stop here, report what ran
            if log:
                log(f"==> {exc}")
            break
        oracle_round = result.oracle_round
        if prove:
            try:
                proof = prove_batch(result.record, scenario.preset, out, backend, data_dir)
            except ScenarioError:
                raise
            except Exception as exc:  # the circuit refused the witness, or the prover failed
                failures.append(f"batch {result.number}: proving failed: {type(exc).__name__}: {exc}")
                result.verified = False
                if log:
                    log(f"    proving failed ({type(exc).__name__}: {exc}); not proving the later batches")
                prove = False
            else:
                result.proven, result.prove_seconds = True, proof["prove_seconds"]
                result.verified, result.public_signals = proof["verified"], proof["public"]
                if not result.verified:
                    failures.append(f"batch {result.number}: the proof does not verify")
        results.append(result)
        if log:
            _log_batch(result, log, drain=k >= n_file)
        k += 1
        if k >= n_file and [id(it) for it in runner.outstanding()] == before:
            break  # a drain batch moved nothing: stop
    unprocessed = [{"op": runner._describe_intent(it), "where": it.where, "label": it.label}
                   for it in runner.outstanding()]
    # expectations: deliberate refusals refused as promised, nothing else refused
    expected_refusals = {it.where: it for b in scenario.batches for it in b.intents if it.expect_refused}
    for b in results:
        for r in b.refused:
            if not r["expected"]:
                want = expected_refusals.get(r["where"])
                failures.append(f"batch {b.number}: {r['where']} refused: {r['reason']}"
                                + (f" (expected: {want.expect_refused})" if want else " (not expected)"))
    refused_where = {r["where"] for b in results for r in b.refused if r["expected"]}
    for it in expected_refusals.values():
        if it.where not in refused_where:
            failures.append(f"{it.where}: expected to be refused ({it.expect_refused}) but was not")
    for u in unprocessed:
        failures.append(f"{u['where']}: never applied (still pending after the last batch)")
    result = ScenarioResult(scenario, genesis_root, runner.state.root(), results, dict(runner.ids),
                            unprocessed, failures, state=runner.state)
    totals = result.applied_totals()
    for kind, n in scenario.expect.get("applied_at_least", {}).items():
        got = totals.get(KIND_NAMES[kind], 0)
        if got < int(n):
            failures.append(f"expected at least {n} {kind} op(s) applied, got {got}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for b in results:
            d = out / f"batch_{b.number}"
            d.mkdir(parents=True, exist_ok=True)
            (d / "public_inputs.json").write_text(json.dumps(_public_json(b.record), indent=2) + "\n")
        (out / "summary.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    if log:
        _log_end(result, log, out)
    return result


def _public_json(record) -> dict:
    """The batch's one public input, its message (hex) and the message's contents
    (`spec.public.BatchPublic`: what `Rollup.submitBatch` takes besides the proof)."""
    from dataclasses import asdict

    def text(v):
        if isinstance(v, (list, tuple)):
            return [text(x) for x in v]
        return str(v)

    return {"digest": str(record.digest), "message": "0x" + record.message.hex(),
            "public": {k: text(v) for k, v in asdict(record.public).items()}}


def _log_batch(b: BatchResult, log, drain: bool = False) -> None:
    head = f"batch {b.number}" + (" (drain: carried ops only)" if drain else "")
    log(f"==> {head}: round {b.oracle_round}, prices {list(b.prices)}")
    if b.options is not None:
        o = b.options
        vols = ", ".join(f"{m} {v / 100:g} %" if v else f"{m} none" for m, v in o["vols"].items())
        log(f"    oracle time {o['time']}, vols: {vols}")
        for s in o["listed"]:
            log(f"    listed {s['series']} (#{s['id']}): {s['market']} {s['kind']} strike {s['strike']}, "
                f"expiry {s['expiry']}")
        for s in o["settled"]:
            log(f"    expired {s['series']} (#{s['id']}): settlement price {s['price']}, "
                f"intrinsic value {s['intrinsic']} a lot")
    applied = ", ".join(f"{n} {k}" for k, n in b.applied.items()) or "nothing"
    log(f"    applied: {applied}")
    for d in b.ops:
        log(f"      + {d}")
    for r in b.refused:
        log(f"      x {r['op']} ({r['where']}): refused: {r['reason']}" + (" (expected)" if r["expected"] else ""))
    for c in b.carried:
        log(f"      > {c['op']} ({c['where']}): carried over: {c['reason']}")
    for name, m in (b.options or {}).get("margins", {}).items():
        log(f"    margin of {name}: value {m['tv']}, maintenance {m['maintenance']} (its options and perpetuals "
            f"margined apart: {m['maintenance_apart']}), initial {m['initial']}")
    log(f"    root {b.old_root:#066x}")
    log(f"      -> {b.new_root:#066x}")
    if b.proven:
        log(f"    proved in {b.prove_seconds:.2f} s, zkclear verifier: {'valid' if b.verified else 'INVALID'}")


def _log_end(result: ScenarioResult, log, out) -> None:
    totals = ", ".join(f"{n} {k}" for k, n in result.applied_totals().items())
    refused = sum(len(b.refused) for b in result.batches)
    log(f"==> {len(result.batches)} batches: {totals}; {refused} refused")
    log(f"    final root {result.final_root:#066x}")
    for f in result.failures:
        log(f"    FAILED: {f}")
    if out is not None:
        log(f"    summary: {out / 'summary.json'}")
    log("    every expectation met" if result.ok else f"    {len(result.failures)} expectation(s) not met")


# --- proving ------------------------------------------------------------------------------------
def check_circuit_proves(preset) -> None:
    """An options preset proves once the settlement circuit knows it (the batch circuit with
    options, `circuits/settlement`); until then `--prove` stops at once (code 2)."""
    try:
        from circuits.settlement import preset_named

        preset_named(preset.name)
    except ValueError:
        raise ScenarioError(f"proving: the batch circuit does not prove preset {preset.name} yet (options in the "
                            f"settlement circuit are under way); run with --no-prove to apply the spec only") from None


def prove_batch(record, preset, workdir: Path, backend: str = "native", data_dir: Optional[Path] = None) -> dict:
    """Prove one batch with the settlement circuit and verify the proof (`sequencer.proving`).

    Writes workdir/batch_N/{public.json, proof.json} (snarkjs JSON); the key (development
    setup, UNSAFE) is kept under data_dir/keys (default workdir), keyed by the circuit's R1CS
    hash. Returns {"public", "proof", "prove_seconds", "verified"}."""
    from sequencer.proving import BatchProver

    workdir = Path(workdir)
    key = (preset.name, str(Path(data_dir or workdir).resolve()), backend)
    prover = _PROVERS.get(key)
    if prover is None:
        prover = _PROVERS[key] = BatchProver(preset, data_dir or workdir, backend=backend)
    proved = prover.prove(record, workdir / f"batch_{record.public.batch_number}")
    return {"public": proved.public, "proof": proved.proof, "prove_seconds": proved.prove_s,
            "verified": proved.verified}


_PROVERS: dict = {}


def _print(line: str) -> None:
    print(line, flush=True)


def main_run(path: str, preset: Optional[str], out: str, prove: bool, backend: str, log=_print,
             data_dir: Optional[str] = None) -> int:
    """The `zkclear scenario run` handler: 0 when every expectation holds and every proof
    verifies, 1 otherwise; ScenarioError (code 2: the file, or proving unavailable)."""
    scenario = load_scenario(path, preset)
    result = run_scenario(scenario, prove=prove, out=Path(out), backend=backend, log=log,
                          data_dir=Path(data_dir) if data_dir else None)
    return 0 if result.ok else 1
