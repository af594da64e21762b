"""Alembic environment: run by `Store.migrate()` with the connection it opens (no ini file,
no URL from the environment)."""
from alembic import context

from sequencer.oplog.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
