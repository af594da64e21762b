"""Requests' signatures checked ahead of admission, off the event loop, many at a time.

Admission applies an op to the pending state under one lock, and `process_<op>` checks its
signatures there; a co-signed trade's two EdDSA verifications and its message hash are
most of the CPU an op costs. The HTTP handlers run on one event loop, so a verification
made there stalls every other request even though the native code releases the GIL.

`Preverifier` takes the signatures of each request before it is admitted (the keys of the
accounts it names, as the pending state holds them now), and one thread checks everything
queued so far in one batch (`spec.verified.check_many`: the message hashes and the
verifications each in one native call, in parallel, without the GIL) while the loop goes on
parsing and admitting other requests. It only fills the memo of valid signatures:
admission still checks every signature, and finds the valid ones there (a lookup). An
invalid signature, a key that changed meanwhile or anything malformed simply is not in the
memo, and admission checks it in full and refuses it with the spec's reason, as before."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from .spec import verified
from .spec.ops import OptionTrade, Trade, Withdraw

log = logging.getLogger("zkclear.preverify")


def signatures_of(op, accounts: dict, domain: int) -> list:
    """The (op, domain, signature, key) items admission will check for `op`, for the
    accounts `accounts` holds; [] for what it cannot name (admission refuses it anyway)."""
    if isinstance(op, (Trade, OptionTrade)):
        pairs = ((op.buyer, op.buyer_signature), (op.seller, op.seller_signature))
    elif isinstance(op, Withdraw):
        pairs = ((op.account, op.signature),)
    else:
        return []
    items = []
    for account, sig in pairs:
        leaf = accounts.get(account)
        if leaf is not None and sig is not None:
            items.append((op, domain, sig, tuple(leaf.pubkey)))
    return items


class Preverifier:
    """One thread checking queued signatures in batches (at most `max_batch` items each)."""

    def __init__(self, max_batch: int = 512):
        self.max_batch = max_batch
        self._queue: list[tuple[list, Future]] = []
        self._cv = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="preverify", daemon=True)
        self._thread.start()

    def submit(self, items: list) -> Future:
        """A future that completes once `items` are checked (valid ones in the memo)."""
        fut: Future = Future()
        with self._cv:
            if self._stop:
                fut.set_result(None)
                return fut
            self._queue.append((items, fut))
            self._cv.notify()
        return fut

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if self._stop:
                    group, self._queue = self._queue, []
                else:
                    group, count = [], 0
                    while self._queue and (not group or count + len(self._queue[0][0]) <= self.max_batch):
                        items, fut = self._queue.pop(0)
                        group.append((items, fut))
                        count += len(items)
            try:
                verified.check_many([item for items, _ in group for item in items])
            except Exception as exc:  # only a hint: admission checks every signature itself
                log.warning("pre-verification failed (%s): admission checks these in full", type(exc).__name__)
            for _, fut in group:
                fut.set_result(None)
            if self._stop and not self._queue:
                return

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=10)
