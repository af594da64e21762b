"""The abandoned attempts at a batch number (a re-cut replaces the batch row; its history stays).

Revision ID: 0002_batch_attempts
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_batch_attempts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("oracle_round", sa.BigInteger, nullable=True),
        sa.Column("old_root", sa.String(66), nullable=True),
        sa.Column("new_root", sa.String(66), nullable=True),
        sa.Column("prove_s", sa.Float, nullable=True),
        sa.Column("gas", sa.BigInteger, nullable=True),
        sa.Column("l1_tx", sa.String(66), nullable=True),
        sa.Column("op_ids", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("abandoned_at", sa.Float, nullable=False),
    )
    op.create_index("ix_batch_attempts_number_attempt", "batch_attempts", ["number", "attempt"], unique=True)


def downgrade() -> None:
    op.drop_table("batch_attempts")
