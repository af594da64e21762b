"""A bounded memo of the signatures found valid: `signature_valid(op, domain, sig, pubkey)`.

Whether a signature is valid is a pure function of (the op's message, the signature, the
key): once found valid it is valid on every later check. The sequencer checks an op's
signatures when it is admitted and then again, through the same `process_<op>`, every time
the pending state is replayed (after each settled batch and each cancel: every pending op,
thousands under load) and when the batcher builds a batch. With the memo those later checks
are a dictionary lookup instead of a Poseidon hash and an EdDSA verification each (a
replay of 3000 pending trades went from seconds to a fraction of one).

Only valid answers are kept, so an invalid signature always gets the full check; the
message hash of an op is kept too (a trade's two signatures sign one message). Both memos
are FIFO-bounded (`LIMIT` entries each): forgetting only costs a full check again.

`check_many` fills the memo for many signatures at once: the message hashes of a width
and the verifications each in one native call, which runs in parallel and without the GIL
(the service checks its requests' signatures this way off the event loop: `preverify.py`)."""
from __future__ import annotations

import threading

from circuits.crypto.eddsa import verify_poseidon, verify_poseidon_many
from circuits.crypto.poseidon import poseidon_hash_many

from .hashing import POSEIDON_MAX_INPUTS, to_field
from .ops import message_hash

LIMIT = 1 << 16
_valid: dict = {}
_hashes: dict = {}
_lock = threading.Lock()


def _remember(memo: dict, key, value) -> None:
    with _lock:
        memo[key] = value
        while len(memo) > LIMIT:
            del memo[next(iter(memo))]


def op_message(op, domain: int) -> int:
    """`message_hash(op, domain)`, memoized on the op's kind and message fields."""
    key = (type(op), domain, *op.message_fields())
    msg = _hashes.get(key)
    if msg is None:
        msg = message_hash(op, domain)
        _remember(_hashes, key, msg)
    return msg


def signature_valid(op, domain: int, sig, pubkey) -> bool:
    """verify_poseidon(message_hash(op, domain), sig, pubkey), a lookup when this exact
    (message, signature, key) was found valid before. Raises what they raise on malformed
    input (the caller treats that as a bad signature)."""
    msg = op_message(op, domain)
    key = _key(msg, sig, pubkey)
    if key in _valid:
        return True
    if not verify_poseidon(msg, sig, pubkey):
        return False
    _remember(_valid, key, True)
    return True


def _key(msg: int, sig, pubkey) -> tuple:
    return (msg, sig.R8[0], sig.R8[1], sig.S, pubkey[0], pubkey[1])


def check_many(items) -> list[bool]:
    """[signature_valid(op, domain, sig, pubkey) for op, domain, sig, pubkey in items], the
    hashing and the verification batched; an item whose data is malformed is False."""
    items = list(items)
    msgs: list = [None] * len(items)
    todo: dict = {}  # width -> [(index, memo key, fields)]
    for i, (op, domain, _, _) in enumerate(items):
        try:
            key = (type(op), domain, *op.message_fields())
            msgs[i] = _hashes.get(key)
            if msgs[i] is None:
                fields = [to_field(x) for x in (domain, op.OP_CODE, *op.message_fields())]
                if len(fields) > POSEIDON_MAX_INPUTS:
                    msgs[i] = op_message(op, domain)
                else:
                    todo.setdefault(len(fields), []).append((i, key, fields))
        except Exception:
            msgs[i] = False
    for rows in todo.values():
        for (i, key, _), msg in zip(rows, poseidon_hash_many([fields for _, _, fields in rows])):
            msgs[i] = msg
            _remember(_hashes, key, msg)
    out = [False] * len(items)
    to_verify = []
    for i, ((_, _, sig, pubkey), msg) in enumerate(zip(items, msgs)):
        if msg is False:
            continue
        try:
            key = _key(msg, sig, pubkey)
            if key in _valid:
                out[i] = True
            else:
                to_verify.append((i, key, (msg, sig, pubkey)))
        except Exception:
            pass
    if to_verify:
        for (i, key, _), ok in zip(to_verify, verify_poseidon_many([it for _, _, it in to_verify])):
            if ok:
                out[i] = True
                _remember(_valid, key, True)
    return out


def clear() -> None:
    with _lock:
        _valid.clear()
        _hashes.clear()
