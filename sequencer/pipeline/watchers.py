"""L1 watchers: the Rollup's queues and the oracle's rounds, read from contract storage at
`confirmations` blocks behind the head (0 on local chains).

Reading the queues' storage (not scanning event logs) makes the watchers survive a reorg
by construction: an entry is acted on only once it is `confirmations` deep, and what is read
is the chain's state at that block, never a remembered log. Entries become spec ops:

- registration k -> `Register(k, pubkey, owner)`; the accounts directory gets
  (FIRST_L1_ACCOUNT + k, pubkey, owner) (`Store.upsert_account`);
- deposit k -> `Deposit(k, account, amount)`; forced request k -> `ForcedWithdraw(...)`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..spec.ops import Deposit, ForcedWithdraw, Register
from ..spec.public import FIRST_L1_ACCOUNT

log = logging.getLogger("zkclear.watchers")


@dataclass
class Round:
    id: int
    prices: tuple[int, ...]  # ladder indices
    funding: tuple[int, ...]  # signed funding indices
    timestamp: int


class ChainMoved(RuntimeError):
    """The block being read is no longer in the chain (a reorg shortened it between reading
    the head and reading the state at it): transient, read again from the new head."""


class L1Watcher:
    def __init__(self, rollup, store, confirmations: int = 0, deployed_at: int = 0):
        self.rollup, self.store, self.confirmations = rollup, store, int(confirmations)
        self.deployed_at = int(deployed_at)
        self._directory = 0  # registrations recorded in the accounts directory so far

    def block(self) -> int:
        """The confirmed block: `confirmations` behind the head, never before the contracts
        were deployed (there is nothing to read there; nothing was queued either)."""
        return max(self.deployed_at, self.rollup.chain.w3.eth.block_number - self.confirmations)

    def _call(self, fn, block):
        try:
            return fn.call(block_identifier=block)
        except Exception as exc:
            if self.rollup.chain.w3.eth.block_number < block:  # a reorg shortened the chain meanwhile
                raise ChainMoved(f"block {block} is gone (reorg): read again at the new head") from exc
            raise

    def queue_entries(self, state, block=None) -> list:
        """The unconsumed L1 entries beyond what `state` consumed, as spec ops, queue order
        (registrations, deposits, forced requests); the directory learns new registrations."""
        block = self.block() if block is None else block
        f = self.rollup.rollup.functions
        (reg_count, _, dep_count, _, forced_count, _) = self._call(f.queues(), block)
        ops = []
        start = min(self._directory, state.registration_index)
        for k in range(start, reg_count):
            x, y, owner, _ = self._call(f.registrationEntry(k), block)
            if k >= self._directory:
                self.store.upsert_account(FIRST_L1_ACCOUNT + k, (int(x), int(y)), owner)
                log.info("registration %d: account %d", k, FIRST_L1_ACCOUNT + k)
            if k >= state.registration_index:
                ops.append(Register(index=k, pubkey=(int(x), int(y)), l1_address=int(owner, 16)))
        self._directory = max(self._directory, reg_count)
        for k in range(state.deposit_index, dep_count):
            account, amount = self._call(f.depositEntry(k), block)[:2]
            ops.append(Deposit(index=k, account=int(account), amount=int(amount)))
        for k in range(state.forced_index, forced_count):
            account, amount = self._call(f.forcedEntry(k), block)[:2]
            ops.append(ForcedWithdraw(index=k, account=int(account), amount=int(amount)))
        return ops

    def latest_round(self, block=None) -> Round | None:
        """The oracle's latest round at the confirmed block (None before the first)."""
        from verifier_contracts.oracle import signed_funding

        block = self.block() if block is None else block
        f = self.rollup.oracle.functions
        rid = self._call(f.latestRound(), block)
        if rid == 0:
            return None
        p, fi, ts = self._call(f.getRound(rid), block)
        return Round(int(rid), tuple(int(g) for g in p), tuple(signed_funding(int(x)) for x in fi), int(ts))
