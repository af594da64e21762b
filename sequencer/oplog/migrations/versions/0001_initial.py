"""The op log's first schema: ops, batches, accounts directory, viewing keys, auth, chain config.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("account_a", sa.BigInteger, nullable=False),
        sa.Column("account_b", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("batch", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("l1_tx", sa.String(66), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_ops_status_seq", "ops", ["status", "seq"])
    op.create_index("ix_ops_account_a", "ops", ["account_a"])
    op.create_index("ix_ops_account_b", "ops", ["account_b"])
    op.create_table(
        "batches",
        sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("oracle_round", sa.BigInteger, nullable=True),
        sa.Column("old_root", sa.String(66), nullable=True),
        sa.Column("new_root", sa.String(66), nullable=True),
        sa.Column("prove_s", sa.Float, nullable=True),
        sa.Column("gas", sa.BigInteger, nullable=True),
        sa.Column("l1_tx", sa.String(66), nullable=True),
        sa.Column("record", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("pubkey_x", sa.String(80), nullable=False),
        sa.Column("pubkey_y", sa.String(80), nullable=False),
        sa.Column("l1_owner", sa.String(42), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "viewing_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account", sa.BigInteger, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_viewing_keys_account", "viewing_keys", ["account"])
    op.create_table(
        "auth_tokens",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_auth_tokens_expires_at", "auth_tokens", ["expires_at"])
    op.create_table(
        "chain_config",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("chain_config", "auth_tokens", "viewing_keys", "accounts", "batches", "ops"):
        op.drop_table(table)
