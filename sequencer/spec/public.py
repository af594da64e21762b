"""The batch message: everything the contract and the circuit agree on, hashed into ONE public input.

A batch's proof has a single public input, `digest = sha256(message) >> 3` (the top 253 bits
of the SHA-256 digest read as a big-endian integer, so it is below the BN254 scalar field
order r). `Rollup.sol` builds the same message from its storage and the batch's calldata
and computes the digest with the sha256 precompile (a few hundred gas); the batch circuit
builds it from its own signals and hashes it with the SHA-256 gadget. Passing the fields one
by one instead would cost ~7.1k gas per verifier input (21+ inputs at M = 4), and hashing
them with Poseidon on-chain ~17k gas per Poseidon call (`python -m verifier_contracts.gas_report`).

The message has a fixed length per preset (`message_length`); fields are big-endian,
unsigned, in this order (`message_layout` lists them with their widths):

    oldRoot 32, newRoot 32                  state roots before and after the batch
    daCommitment 32                         the commitment to the batch's DA payload: every
                                            leaf written, encrypted to its owner (`da.py`);
                                            what the DA committee signs
    daKeyX 32, daKeyY 32                    the sequencer's DA public key S (a deployment
                                            constant of the contract): the circuit proves it
                                            knows s with s * Base8 = S and derives each new
                                            account's salt from ECDH(s, owner key)
    figuresRoot 32                          the oracle committee's options commitment for the
                                            batch's round (`options.OptionFigures.commitment`,
                                            a field element; `figures_root` here): the contract
                                            requires the value `Oracle.sol` recorded with the
                                            round, the circuit opens the round's risk arrays and
                                            corner rows against it. 0 on presets without
                                            options (the oracle's rounds then carry 0 too)
    batchNumber 4                           = the previous batch number + 1
    oracleRound 8                           the oracle round whose figures the batch uses
    price[j] 2            (j < M)           mark price as a ladder index g_j < 2^16
    funding[j] 6          (j < M)           funding index F_j after the batch, offset: F_j + 2^47
    registrationFrom 4, registrationTo 4    L1 registration queue range [from, to) consumed
    per registration slot (R = register_slots):
        pubkeyX 32, pubkeyY 32, owner 20    the key and the L1 address (msg.sender) registered;
                                            the account id of queue entry k is FIRST_L1_ACCOUNT + k
    depositFrom 4, depositTo 4              L1 deposit queue range consumed
    per deposit slot (D = deposit_slots):
        accountId 4, amount 8, bounced 1    bounced = 1: not credited (the account's leaf is still
                                            empty, its registration not consumed yet, or the
                                            collateral would leave its range); the contract pays
                                            the amount back to the account's L1 owner
    forcedFrom 4, forcedTo 4                L1 forced-withdrawal queue range consumed
    per forced slot (F = forced_slots):
        accountId 4, amount 8, executed 1   executed = 1: the contract pays the amount to the
                                            account's L1 owner; 0: consumed with no effect
    per withdrawal slot (W = withdrawal_slots):
        accountId 4, amount 8               a signed withdrawal; the contract pays the account's
                                            L1 owner (the leaf's l1_address, set at registration)

Queue entries occupy the first (to - from) slots of their section in queue order; every
byte of an unused slot is zero, and so is an unused withdrawal slot. The contract knows each
account's L1 owner (it assigns ids at registration and records `msg.sender`), so payments
name only the account id.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

from .constants import FIELD_MODULUS, FUNDING_BITS, Preset
from .da import DEV_DA_PUBLIC_KEY

#: The account id of the first L1 registration; lower ids exist at genesis (0 is the insurance fund).
FIRST_L1_ACCOUNT = 1
FUNDING_OFFSET = 1 << (FUNDING_BITS - 1)  # funding words carry F + 2^47 in 6 bytes
DIGEST_SHIFT = 3  # digest = sha256 >> 3 < 2^253 < r


@dataclass(frozen=True)
class BatchPublic:
    """The contents of a batch message. Entry tuples are in queue (or slot) order and hold only
    the consumed entries (the slots after them are zero in the message)."""

    old_root: int
    new_root: int
    batch_number: int
    oracle_round: int
    prices: tuple[int, ...]  # ladder indices
    funding: tuple[int, ...]  # signed funding indices
    registration_from: int = 0
    registration_to: int = 0
    registrations: tuple[tuple[int, int, int], ...] = ()  # (pubkey_x, pubkey_y, owner)
    deposit_from: int = 0
    deposit_to: int = 0
    deposits: tuple[tuple[int, int, int], ...] = ()  # (account, amount, bounced)
    forced_from: int = 0
    forced_to: int = 0
    forced: tuple[tuple[int, int, int], ...] = ()  # (account, amount, executed)
    withdrawals: tuple[tuple[int, int], ...] = ()  # (account, amount), one per used withdrawal slot
    da_commitment: int = 0  # the DA payload's commitment (da.batch_commitment)
    da_public_key: tuple[int, int] = DEV_DA_PUBLIC_KEY  # the sequencer's DA public key S
    figures_root: int = 0  # the oracle round's options commitment (0 without options)

    def __post_init__(self):
        assert len(self.registrations) == self.registration_to - self.registration_from
        assert len(self.deposits) == self.deposit_to - self.deposit_from
        assert len(self.forced) == self.forced_to - self.forced_from


def message_layout(preset: Preset) -> list[tuple[str, int]]:
    """(field name, bytes) in message order; slot fields are named `section[s].field`."""
    m = preset.num_markets
    out = [("oldRoot", 32), ("newRoot", 32), ("daCommitment", 32), ("daKeyX", 32), ("daKeyY", 32),
           ("figuresRoot", 32), ("batchNumber", 4), ("oracleRound", 8)]
    out += [(f"price[{j}]", 2) for j in range(m)]
    out += [(f"funding[{j}]", 6) for j in range(m)]
    out += [("registrationFrom", 4), ("registrationTo", 4)]
    for s in range(preset.register_slots):
        out += [(f"registration[{s}].pubkeyX", 32), (f"registration[{s}].pubkeyY", 32),
                (f"registration[{s}].owner", 20)]
    out += [("depositFrom", 4), ("depositTo", 4)]
    for s in range(preset.deposit_slots):
        out += [(f"deposit[{s}].accountId", 4), (f"deposit[{s}].amount", 8), (f"deposit[{s}].bounced", 1)]
    out += [("forcedFrom", 4), ("forcedTo", 4)]
    for s in range(preset.forced_slots):
        out += [(f"forced[{s}].accountId", 4), (f"forced[{s}].amount", 8), (f"forced[{s}].executed", 1)]
    for s in range(preset.withdrawal_slots):
        out += [(f"withdrawal[{s}].accountId", 4), (f"withdrawal[{s}].amount", 8)]
    return out


def message_length(preset: Preset) -> int:
    return sum(n for _, n in message_layout(preset))


def message_fields(pub: BatchPublic, preset: Preset) -> dict[str, int]:
    """Every field of the message as an unsigned integer (unused slots are 0)."""
    m = preset.num_markets
    assert len(pub.prices) == m and len(pub.funding) == m
    v: dict[str, int] = {"oldRoot": pub.old_root, "newRoot": pub.new_root, "daCommitment": pub.da_commitment,
                         "daKeyX": pub.da_public_key[0], "daKeyY": pub.da_public_key[1],
                         "figuresRoot": pub.figures_root,
                         "batchNumber": pub.batch_number, "oracleRound": pub.oracle_round}
    for j in range(m):
        v[f"price[{j}]"] = pub.prices[j]
        v[f"funding[{j}]"] = pub.funding[j] + FUNDING_OFFSET
    v["registrationFrom"], v["registrationTo"] = pub.registration_from, pub.registration_to
    v["depositFrom"], v["depositTo"] = pub.deposit_from, pub.deposit_to
    v["forcedFrom"], v["forcedTo"] = pub.forced_from, pub.forced_to
    sections = (("registration", ("pubkeyX", "pubkeyY", "owner"), pub.registrations, preset.register_slots),
                ("deposit", ("accountId", "amount", "bounced"), pub.deposits, preset.deposit_slots),
                ("forced", ("accountId", "amount", "executed"), pub.forced, preset.forced_slots),
                ("withdrawal", ("accountId", "amount"), pub.withdrawals, preset.withdrawal_slots))
    for section, names, entries, slots in sections:
        assert len(entries) <= slots, f"more {section} entries than slots"
        for s in range(slots):
            entry = entries[s] if s < len(entries) else (0,) * len(names)
            for name, x in zip(names, entry):
                v[f"{section}[{s}].{name}"] = int(x)
    return v


def batch_message(pub: BatchPublic, preset: Preset) -> bytes:
    """The message bytes (`message_length(preset)` of them)."""
    values = message_fields(pub, preset)
    out = bytearray()
    for name, nbytes in message_layout(preset):
        x = values[name]
        if not 0 <= x < (1 << (8 * nbytes)):
            raise ValueError(f"batch message field {name} = {x} does not fit {nbytes} bytes")
        out += x.to_bytes(nbytes, "big")
    return bytes(out)


def message_digest(message: bytes) -> int:
    """sha256(message) >> 3, the batch proof's one public input."""
    d = int.from_bytes(hashlib.sha256(message).digest(), "big") >> DIGEST_SHIFT
    assert d < FIELD_MODULUS
    return d


def batch_digest(pub: BatchPublic, preset: Preset) -> int:
    return message_digest(batch_message(pub, preset))


def sha256_blocks(preset: Preset) -> int:
    """SHA-256 compression blocks the circuit spends on the message (padding: 0x80, the 8-byte length)."""
    return (message_length(preset) + 9 + 63) // 64


__all__ = ["BatchPublic", "FIRST_L1_ACCOUNT", "FUNDING_OFFSET", "message_layout", "message_length",
           "message_fields", "batch_message", "message_digest", "batch_digest", "sha256_blocks"]


def _sizes(presets: Sequence[Preset]) -> str:  # pragma: no cover - printed by `python -m`
    return "\n".join(f"{p.name}: {message_length(p)} bytes, {sha256_blocks(p)} SHA-256 blocks" for p in presets)


if __name__ == "__main__":  # pragma: no cover
    from .constants import PRESETS

    print(_sizes(list(PRESETS.values())))
