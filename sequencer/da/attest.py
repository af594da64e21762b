"""A DA member's attestation: its EIP-712 signature of a batch's (batch number, new root, DA
commitment) for one Rollup on one chain, which `Rollup.submitBatch` requires from
`daThreshold` distinct members before the root moves (verifier_contracts/src/Rollup.sol).

    BatchData(uint256 batchNumber,uint256 newRoot,uint256 daCommitment)
    domain {name: "zkclear Rollup", version: "1", chainId, verifyingContract: the Rollup}

The domain binds the chain and the contract, the message the batch and its root: a signature
is good for that one batch of that one deployment. A member signs only what `member.check`
accepted (it stored the payload and recomputed the new root from it).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from verifier_contracts.oracle import EIP712_DOMAIN_FIELDS

EIP712_NAME = "zkclear Rollup"
EIP712_VERSION = "1"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

BATCH_DATA_TYPES = {
    "EIP712Domain": EIP712_DOMAIN_FIELDS,
    "BatchData": [
        {"name": "batchNumber", "type": "uint256"},
        {"name": "newRoot", "type": "uint256"},
        {"name": "daCommitment", "type": "uint256"},
    ],
}


@dataclass(frozen=True)
class Attestation:
    """One member's signature of one batch's data."""

    batch_number: int
    new_root: int
    commitment: int
    signer: str  # checksum address
    v: int
    r: int
    s: int

    def sig_tuple(self) -> tuple:
        """The contract's ``Signature`` calldata tuple (v, r, s)."""
        return (self.v, self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big"))


def batch_data_typed_data(batch_number: int, new_root: int, commitment: int, *, chain_id: int, rollup: str) -> dict:
    """The EIP-712 typed data (``eth_signTypedData_v4`` JSON) a member signs."""
    return {
        "types": BATCH_DATA_TYPES,
        "primaryType": "BatchData",
        "domain": {"name": EIP712_NAME, "version": EIP712_VERSION, "chainId": int(chain_id),
                   "verifyingContract": Web3.to_checksum_address(rollup)},
        "message": {"batchNumber": int(batch_number), "newRoot": int(new_root), "daCommitment": int(commitment)},
    }


def sign_batch_data(private_key: Any, batch_number: int, new_root: int, commitment: int, *, chain_id: int,
                    rollup: str) -> Attestation:
    """Sign (low-s, v 27/28, as eth_account signs)."""
    msg = encode_typed_data(full_message=batch_data_typed_data(batch_number, new_root, commitment,
                                                               chain_id=chain_id, rollup=rollup))
    sm = Account.sign_message(msg, private_key)
    return Attestation(int(batch_number), int(new_root), int(commitment), Account.from_key(private_key).address,
                       int(sm.v), int(sm.r), int(sm.s))


def recover_signer(att: Attestation, *, chain_id: int, rollup: str) -> str:
    msg = encode_typed_data(full_message=batch_data_typed_data(att.batch_number, att.new_root, att.commitment,
                                                               chain_id=chain_id, rollup=rollup))
    return Account.recover_message(msg, vrs=(att.v, att.r, att.s))


def signatures_calldata(attestations: Iterable[Attestation]) -> list[tuple]:
    """The signatures in the order the contract wants: strictly ascending signer address."""
    return [a.sig_tuple() for a in sorted(attestations, key=lambda a: int(a.signer, 16))]


def dev_member_keys(seed: str | int = "zkclear-da-dev", n: int = 5) -> list[bytes]:
    """``n`` deterministic member private keys from a seed (UNSAFE: anyone can derive them;
    tests, local chains, gas measurement)."""
    out = []
    for i in range(n):
        k, ctr = 0, 0
        while not 0 < k < SECP256K1_N:
            k = int.from_bytes(hashlib.sha256(f"zkclear da member|{seed}|{i}|{ctr}".encode()).digest(), "big")
            ctr += 1
        out.append(k.to_bytes(32, "big"))
    return out


def addresses(keys: Sequence[bytes]) -> list[str]:
    return [Account.from_key(k).address for k in keys]


__all__ = ["Attestation", "BATCH_DATA_TYPES", "batch_data_typed_data", "sign_batch_data", "recover_signer",
           "signatures_calldata", "dev_member_keys", "addresses", "EIP712_NAME", "EIP712_VERSION"]
