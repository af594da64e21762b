"""An index on ops.batch: the pending-state rebuild asks for the ops of the batches after the
settled one (`Store.pending_ops(after_batch=N)`), and /v1/batches/{n} for a batch's ops.

Revision ID: 0003_ops_batch_index
Revises: 0002_batch_attempts
"""
from alembic import op

revision = "0003_ops_batch_index"
down_revision = "0002_batch_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ops_batch", "ops", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_ops_batch", table_name="ops")
