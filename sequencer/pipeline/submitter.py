"""The submitter: sends a proved batch to `Rollup.submitBatch` (`submitBatchWithData`, with the
DA committee's signatures, when the Rollup has a committee), idempotently.

Before sending it reads the contract's batch number and root: a batch the chain already has
(same number, same new root: an earlier send landed before a crash) is not sent again, so a
batch settles once however often it is resubmitted. A chain that is elsewhere (another
number, another root) is a divergence the caller must handle (abandon and re-cut)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from .faults import crash_point

log = logging.getLogger("zkclear.submitter")


def _hex(tx) -> str:
    tx = tx.hex() if hasattr(tx, "hex") else str(tx)
    return tx if tx.startswith("0x") else "0x" + tx


class Diverged(Exception):
    """The chain's batch number or root does not fit the batch in hand."""


@dataclass
class Submitted:
    number: int
    l1_tx: Optional[str]  # None when the chain already had it (sent before a restart)
    gas: Optional[int]
    block: Optional[int]


class Submitter:
    def __init__(self, rollup):
        self.rollup = rollup

    def chain_head(self, block="latest") -> tuple[int, int]:
        """The contract's (batch number, state root) at `block`."""
        f = self.rollup.rollup.functions
        if block == "latest":  # one block for both reads
            block = self.rollup.chain.w3.eth.block_number
        return (int(f.batchNumber().call(block_identifier=block)),
                int(f.stateRoot().call(block_identifier=block)))

    def find_sent(self, number: int, from_block: int = 0) -> Optional[Submitted]:
        """The transaction that put batch `number` on chain (its BatchSubmitted event), for a
        batch sent before a crash that the log did not record; None if the chain has none."""
        events = self.rollup.rollup.events.BatchSubmitted().get_logs(from_block=from_block,
                                                                      argument_filters={"batchNumber": number})
        if not events:
            return None
        ev = events[-1]
        receipt = self.rollup.chain.w3.eth.get_transaction_receipt(ev["transactionHash"])
        return Submitted(number, _hex(ev["transactionHash"]), int(receipt["gasUsed"]), int(receipt["blockNumber"]))

    def submit(self, record, proof_json: dict, da: Optional[tuple] = None) -> Submitted:
        """`da`: (DA commitment, attestations) for a Rollup with a DA committee (the
        commitment is the proved one, `record.public.da_commitment`: the members signed it)."""
        pub = record.public
        number, root = self.chain_head()
        if number >= pub.batch_number:
            if number == pub.batch_number and root == pub.new_root:
                log.info("batch %d is already on chain: not sent again", number)
                return Submitted(number, None, None, None)
            raise Diverged(f"chain at batch {number} (root {root:#x}), batch in hand {pub.batch_number}")
        if number != pub.batch_number - 1 or root != pub.old_root:
            raise Diverged(f"chain at batch {number}, batch in hand {pub.batch_number} does not follow it")
        crash_point("before_send", record)  # tests: ZKCLEAR_CRASH_AT (faults.py)
        if da is not None and int(da[0]) != int(pub.da_commitment):
            raise RuntimeError(f"batch {pub.batch_number}: the members signed another DA commitment than the proved one")
        extra = {} if da is None else {"da_signatures": da[1]}
        receipt = self.rollup.submit_batch(pub, proof_json, **extra)
        crash_point("after_send", record)  # mined, the log does not know yet
        tx = _hex(receipt["transactionHash"])
        log.info("batch %d submitted: %s, %d gas", pub.batch_number, tx, receipt["gasUsed"])
        return Submitted(pub.batch_number, tx, int(receipt["gasUsed"]), int(receipt["blockNumber"]))
