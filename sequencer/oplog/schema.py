"""The op log's tables (SQLAlchemy 2 declarative). The schema itself is created and changed
only by the alembic migrations in `migrations/versions` (the same on SQLite and PostgreSQL);
these classes must match them (a test compares the two).

Big field elements (public keys, 160-bit addresses) are stored as text (decimal, or
0x-hex for addresses): no database integer type holds 254 bits."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class OpRow(Base):
    """One signed request, in log order (`seq`). `payload` is the op as JSON (fields and
    signatures as decimal strings); `account_a`/`account_b` are its parties (buyer and
    seller; the account of a withdrawal) for history queries."""

    __tablename__ = "ops"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    account_a: Mapped[int] = mapped_column(BigInteger, nullable=False)
    account_b: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    batch: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    l1_tx: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_ops_status_seq", "status", "seq"), Index("ix_ops_account_a", "account_a"),
                      Index("ix_ops_account_b", "account_b"), Index("ix_ops_batch", "batch"))


class BatchRow(Base):
    """A batch number's latest attempt (a re-cut of an abandoned number replaces it; the
    abandoned attempts are kept in `batch_attempts`). Statuses: proving, proved, submitted,
    settled, abandoned (`open`, the batch being filled, is never stored: the API reports it)."""

    __tablename__ = "batches"
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    oracle_round: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    old_root: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    new_root: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    prove_s: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    gas: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    l1_tx: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    record: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


class BatchAttemptRow(Base):
    """An abandoned attempt at a batch number, as it was when abandoned: the status it had
    reached (`status`), why (`reason`), its roots, round, transaction and ops (`op_ids`, a
    JSON list: the ops themselves went back to accepted with `batch` cleared)."""

    __tablename__ = "batch_attempts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    oracle_round: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    old_root: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    new_root: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    prove_s: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    gas: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    l1_tx: Mapped[Optional[str]] = mapped_column(String(66), nullable=True)
    op_ids: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    abandoned_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_batch_attempts_number_attempt", "number", "attempt", unique=True),)


class AccountRow(Base):
    """The accounts directory, as the L1 registration queue assigned them."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pubkey_x: Mapped[str] = mapped_column(String(80), nullable=False)
    pubkey_y: Mapped[str] = mapped_column(String(80), nullable=False)
    l1_owner: Mapped[str] = mapped_column(String(42), nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)


class ViewingKeyRow(Base):
    """A read-only key for one account; only its sha256 is kept."""

    __tablename__ = "viewing_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[Optional[str]] = mapped_column(String(100), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)


class AuthRow(Base):
    """A one-time login challenge (`kind` = "challenge", keyed by the challenge) or a
    short-lived owner token (`kind` = "token", keyed by its sha256)."""

    __tablename__ = "auth_tokens"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    account: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False, index=True)


class ChainConfigRow(Base):
    """Key-value settings of the chain the service settles on (rpc url, contract addresses)."""

    __tablename__ = "chain_config"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
