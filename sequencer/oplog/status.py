"""The life of an op in the log: a small explicit state machine.

    accepted ──> batched ──> proved ──> submitted ──> settled
       │  ^         │          │            │
       │  └─────────┴──────────┴────────────┘   batch abandoned (round expired, re-cut
       │                                        after a restart): back to accepted, batch cleared
       ├──> cancelled   a party's signed cancel, only while not batched
       └──> refused     the batcher found it invalid (prices moved): the spec's reason

`refused`, `cancelled` and `settled` are final. An op is refused only while it is not in a
batch. `PENDING` are the statuses whose op still counts in the pending state (accepted and
not yet settled, refused or cancelled)."""
from __future__ import annotations

ACCEPTED, REFUSED, CANCELLED = "accepted", "refused", "cancelled"
BATCHED, PROVED, SUBMITTED, SETTLED = "batched", "proved", "submitted", "settled"
STATUSES = (ACCEPTED, REFUSED, CANCELLED, BATCHED, PROVED, SUBMITTED, SETTLED)

TRANSITIONS: dict[str, frozenset] = {
    ACCEPTED: frozenset({BATCHED, CANCELLED, REFUSED}),
    BATCHED: frozenset({PROVED, ACCEPTED}),
    PROVED: frozenset({SUBMITTED, ACCEPTED}),
    SUBMITTED: frozenset({SETTLED, ACCEPTED}),
    REFUSED: frozenset(),
    CANCELLED: frozenset(),
    SETTLED: frozenset(),
}
FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
PENDING = (ACCEPTED, BATCHED, PROVED, SUBMITTED)
IN_BATCH = (BATCHED, PROVED, SUBMITTED, SETTLED)


class BadTransition(Exception):
    """A status change the state machine does not allow (a bug in the caller, or a race
    that another writer won: the row is unchanged)."""


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, ()):
        raise BadTransition(f"op status {old} -> {new} is not allowed")
