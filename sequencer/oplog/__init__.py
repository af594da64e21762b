"""The durable op log (`Store`): ops, batches, the accounts directory, viewing keys, auth
tokens and chain settings in SQLite or PostgreSQL, schema by alembic migrations; op
statuses follow the state machine of `status`."""
from . import status
from .status import BadTransition
from .store import DEFAULT_URL, Store

__all__ = ["Store", "DEFAULT_URL", "status", "BadTransition"]
