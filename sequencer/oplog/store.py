"""The durable op log: every accepted op, batch, account of the directory, viewing key and
auth token, in SQLite (WAL, the default) or PostgreSQL (psycopg 3), same schema on both
through the alembic migrations run at start-up.

Durability: a method that changes anything commits before it returns, so a caller that
answers a client after it (the API's 202) answers only for what is on disk. SQLite runs
with `journal_mode=WAL` and `synchronous=FULL` (a commit is fsynced: acknowledged ops
survive a power cut, not only a crash of the process).

Thread safety: one `Store` is shared by the API's worker threads; each call opens its own
session from the engine's pool."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from . import status as st
from .schema import AccountRow, AuthRow, BatchAttemptRow, BatchRow, ChainConfigRow, OpRow, ViewingKeyRow

DEFAULT_URL = "sqlite:///./zkclear_data/zkclear.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
TABLES = (OpRow, BatchRow, BatchAttemptRow, AccountRow, ViewingKeyRow, AuthRow, ChainConfigRow)


def normalize_url(url: str) -> URL:
    """`postgresql://` means psycopg 3; a relative SQLite file gets its folder created."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername.startswith("sqlite") and u.database not in (None, "", ":memory:"):
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return u


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    def __init__(self, url: str = DEFAULT_URL, migrate: bool = True):
        self.url = normalize_url(url)
        kwargs = {}
        if self.url.drivername.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs.update(pool_size=8, max_overflow=8, pool_pre_ping=True)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision (idempotent)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    # --- accounts directory ----------------------------------------------------------------
    def upsert_account(self, account_id: int, pubkey: tuple[int, int], owner: str) -> None:
        """Record (or correct) what the L1 registration queue says of `account_id`."""
        with self.session() as s:
            row = s.get(AccountRow, account_id)
            if row is None:
                s.add(AccountRow(id=account_id, pubkey_x=str(pubkey[0]), pubkey_y=str(pubkey[1]),
                                 l1_owner=owner.lower(), created_at=time.time()))
            else:
                row.pubkey_x, row.pubkey_y, row.l1_owner = str(pubkey[0]), str(pubkey[1]), owner.lower()

    def get_account(self, account_id: int) -> Optional[AccountRow]:
        with self.session() as s:
            return s.get(AccountRow, account_id)

    def accounts(self) -> list[AccountRow]:
        with self.session() as s:
            return list(s.scalars(select(AccountRow).order_by(AccountRow.id)))

    # --- ops ---------------------------------------------------------------------------------
    def insert_op(self, op_id: str, kind: str, payload: str, account_a: int,
                  account_b: Optional[int] = None) -> OpRow:
        """Append an accepted op to the log; committed when this returns."""
        now = time.time()
        row = OpRow(id=op_id, kind=kind, payload=payload, account_a=account_a, account_b=account_b,
                    status=st.ACCEPTED, created_at=now, updated_at=now)
        with self.session() as s:
            s.add(row)
        return row

    def insert_ops(self, rows: list[dict]) -> None:
        """Append accepted ops (dicts: id, kind, payload, account_a, account_b), in order, in
        one transaction: one commit (one fsync) for the whole group."""
        now = time.time()
        values = [dict(r, status=st.ACCEPTED, batch=None, reason=None, l1_tx=None, created_at=now, updated_at=now)
                  for r in rows]
        with self.engine.begin() as conn:
            conn.execute(insert(OpRow.__table__), values)

    def get_op(self, op_id: str) -> Optional[OpRow]:
        with self.session() as s:
            return s.scalars(select(OpRow).where(OpRow.id == op_id)).first()

    def ops_of_account(self, account_id: int, limit: int = 100) -> list[OpRow]:
        with self.session() as s:
            q = select(OpRow).where((OpRow.account_a == account_id) | (OpRow.account_b == account_id))
            return list(s.scalars(q.order_by(OpRow.seq.desc()).limit(limit)))

    def pending_ops(self, after_batch: Optional[int] = None) -> list[OpRow]:
        """The ops that count in the pending state (accepted, in a batch not yet settled), in
        log order. With `after_batch` (the batch number of the settled state the caller
        replays them on), also the ops settled in a later batch: the log may mark a batch
        settled a moment before the caller's settled state includes it, and its ops must
        count then too (else a replay of one of them would look fresh)."""
        with self.session() as s:
            where = OpRow.status.in_(st.PENDING)
            if after_batch is not None:
                where = where | ((OpRow.status == st.SETTLED) & (OpRow.batch > after_batch))
            return list(s.scalars(select(OpRow).where(where).order_by(OpRow.seq)))

    def cancelled_ops(self) -> list[OpRow]:
        """The cancelled ops, in log order (admission refuses their replays)."""
        with self.session() as s:
            return list(s.scalars(select(OpRow).where(OpRow.status == st.CANCELLED).order_by(OpRow.seq)))

    def count_ops(self, status: Optional[str] = None) -> int:
        with self.session() as s:
            q = select(func.count()).select_from(OpRow)
            if status is not None:
                q = q.where(OpRow.status == status)
            return s.scalar(q)

    def transition(self, op_id: str, new: str, *, batch: Optional[int] = None, reason: Optional[str] = None,
                   l1_tx: Optional[str] = None) -> OpRow:
        """Move an op along the state machine (`status.TRANSITIONS`); raises BadTransition
        (nothing written) for a move it does not allow. Back to accepted clears the batch."""
        with self.session() as s:
            row = s.scalars(select(OpRow).where(OpRow.id == op_id).with_for_update()).first()
            if row is None:
                raise KeyError(op_id)
            st.check(row.status, new)
            row.status, row.updated_at = new, time.time()
            if new == st.ACCEPTED:
                row.batch, row.l1_tx = None, None
            elif new == st.BATCHED:
                row.batch = batch
            if new == st.REFUSED:
                row.reason = reason
            if l1_tx is not None:
                row.l1_tx = l1_tx
            return row

    def cancel(self, op_id: str) -> bool:
        """accepted -> cancelled in one conditional update; False when the op is no longer
        accepted (a batcher got it first)."""
        with self.session() as s:
            res = s.execute(update(OpRow).where(OpRow.id == op_id, OpRow.status == st.ACCEPTED)
                            .values(status=st.CANCELLED, updated_at=time.time()))
            return res.rowcount == 1

    def abandon_batch(self, number: int) -> int:
        """A batch that will not settle: its ops go back to accepted, batch cleared."""
        with self.session() as s:
            res = s.execute(update(OpRow).where(OpRow.batch == number,
                                                OpRow.status.in_((st.BATCHED, st.PROVED, st.SUBMITTED)))
                            .values(status=st.ACCEPTED, batch=None, l1_tx=None, updated_at=time.time()))
            return res.rowcount

    # --- batches -----------------------------------------------------------------------------------
    def put_batch(self, number: int, *, status: str, oracle_round: int, old_root: str, new_root: str,
                  record: str, op_ids: list[str], refused: list[tuple[str, str]] = ()) -> None:
        """Persist a cut batch and move its ops, in one transaction: the batch row (a re-cut
        of an abandoned number replaces it), its ops accepted -> batched, the ops the builder
        refused accepted -> refused with the spec's reason. Raises BadTransition (nothing
        written) when an op is no longer accepted (a cancel won the race)."""
        now = time.time()
        with self.session() as s:
            row = s.get(BatchRow, number)
            values = dict(status=status, oracle_round=oracle_round, old_root=old_root, new_root=new_root,
                          record=record, prove_s=None, gas=None, l1_tx=None, updated_at=now)
            if row is None:
                s.add(BatchRow(number=number, created_at=now, **values))
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.created_at = now
            for ids, new, extra in ((op_ids, st.BATCHED, dict(batch=number)),):
                if ids:
                    res = s.execute(update(OpRow).where(OpRow.id.in_(ids), OpRow.status == st.ACCEPTED)
                                    .values(status=new, updated_at=now, **extra))
                    if res.rowcount != len(ids):
                        raise st.BadTransition(f"batch {number}: {len(ids) - res.rowcount} op(s) no longer accepted")
            for op_id, reason in refused:
                res = s.execute(update(OpRow).where(OpRow.id == op_id, OpRow.status == st.ACCEPTED)
                                .values(status=st.REFUSED, reason=reason[:200], updated_at=now))
                if res.rowcount != 1:
                    raise st.BadTransition(f"op {op_id} no longer accepted")

    def batch_status(self, number: int, status: str, *, ops_to: Optional[str] = None, **fields) -> None:
        """Set a batch's status (and prove_s, gas, l1_tx...), and move its ops to `ops_to`
        (proved, submitted, settled) in the same transaction."""
        now = time.time()
        with self.session() as s:
            row = s.get(BatchRow, number)
            if row is None:
                raise KeyError(number)
            row.status, row.updated_at = status, now
            for k, v in fields.items():
                setattr(row, k, v)
            if ops_to is not None:  # ops already there are rewritten too (a resent batch's new l1_tx)
                allowed = [old for old, nxt in st.TRANSITIONS.items() if ops_to in nxt and old != st.ACCEPTED]
                allowed.append(ops_to)
                extra = {"l1_tx": fields["l1_tx"]} if fields.get("l1_tx") else {}
                s.execute(update(OpRow).where(OpRow.batch == number, OpRow.status.in_(allowed))
                          .values(status=ops_to, updated_at=now, **extra))

    def abandon(self, number: int, reason: str = "") -> int:
        """The batch will not settle, in one transaction: the attempt is kept in
        `batch_attempts` as it was (status reached, reason, ops), the batch row becomes
        abandoned (until a re-cut replaces it), its ops go back to accepted (batch cleared).
        Returns how many ops went back."""
        now = time.time()
        with self.session() as s:
            row = s.get(BatchRow, number)
            if row is not None and row.status != "abandoned":
                op_ids = list(s.scalars(select(OpRow.id).where(OpRow.batch == number).order_by(OpRow.seq)))
                attempt = 1 + (s.scalar(select(func.count()).select_from(BatchAttemptRow)
                                        .where(BatchAttemptRow.number == number)) or 0)
                s.add(BatchAttemptRow(number=number, attempt=attempt, status=row.status, reason=reason[:200] or None,
                                      oracle_round=row.oracle_round, old_root=row.old_root, new_root=row.new_root,
                                      prove_s=row.prove_s, gas=row.gas, l1_tx=row.l1_tx, op_ids=json.dumps(op_ids),
                                      created_at=row.created_at, abandoned_at=now))
                row.status, row.updated_at = "abandoned", now
            res = s.execute(update(OpRow).where(OpRow.batch == number,
                                                OpRow.status.in_((st.BATCHED, st.PROVED, st.SUBMITTED)))
                            .values(status=st.ACCEPTED, batch=None, l1_tx=None, updated_at=now))
            return res.rowcount

    def batch_attempts(self, number: int) -> list[BatchAttemptRow]:
        """The abandoned attempts at `number`, oldest first."""
        with self.session() as s:
            return list(s.scalars(select(BatchAttemptRow).where(BatchAttemptRow.number == number)
                                  .order_by(BatchAttemptRow.attempt)))

    def next_batch_number(self) -> int:
        """The number the next cut takes: an abandoned newest number is cut again."""
        with self.session() as s:
            row = s.scalars(select(BatchRow).order_by(BatchRow.number.desc()).limit(1)).first()
            if row is None:
                return 1
            return row.number if row.status == "abandoned" else row.number + 1

    def get_batch(self, number: int) -> Optional[BatchRow]:
        with self.session() as s:
            return s.get(BatchRow, number)

    def batches(self, limit: int = 20, status: Optional[str] = None) -> list[BatchRow]:
        """Newest first."""
        with self.session() as s:
            q = select(BatchRow)
            if status is not None:
                q = q.where(BatchRow.status == status)
            return list(s.scalars(q.order_by(BatchRow.number.desc()).limit(limit)))

    def settled_batches(self) -> list[BatchRow]:
        """Oldest first: the records the settled state is replayed from."""
        with self.session() as s:
            return list(s.scalars(select(BatchRow).where(BatchRow.status == "settled").order_by(BatchRow.number)))

    def batch_op_ids(self, number: int) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(OpRow.id).where(OpRow.batch == number).order_by(OpRow.seq)))

    def accepted_ops(self, limit: int = 1000) -> list[OpRow]:
        """The accepted ops not in a batch, in log order (what the batcher cuts from)."""
        with self.session() as s:
            return list(s.scalars(select(OpRow).where(OpRow.status == st.ACCEPTED).order_by(OpRow.seq).limit(limit)))

    # --- auth ----------------------------------------------------------------------------------
    MAX_LIVE_PER_ACCOUNT = 8  # of each kind: a flood of logins replaces, never accumulates

    def add_auth(self, key: str, kind: str, account_id: int, ttl_s: float) -> None:
        """A challenge or token that expires in ttl_s; expired rows are purged, and an
        account keeps at most MAX_LIVE_PER_ACCOUNT of each kind (the oldest go)."""
        with self.session() as s:
            s.execute(delete(AuthRow).where(AuthRow.expires_at < time.time()))
            live = list(s.scalars(select(AuthRow.key).where(AuthRow.account == account_id, AuthRow.kind == kind)
                                  .order_by(AuthRow.expires_at.desc()).offset(self.MAX_LIVE_PER_ACCOUNT - 1)))
            if live:
                s.execute(delete(AuthRow).where(AuthRow.key.in_(live)))
            s.add(AuthRow(key=key, kind=kind, account=account_id, expires_at=time.time() + ttl_s))

    def take_challenge(self, key: str, account_id: int) -> bool:
        """Consume a one-time challenge issued to `account_id` that has not expired."""
        with self.session() as s:
            res = s.execute(delete(AuthRow).where(AuthRow.key == key, AuthRow.kind == "challenge",
                                                  AuthRow.account == account_id,
                                                  AuthRow.expires_at >= time.time()))
            return res.rowcount == 1

    def token_account(self, key: str) -> Optional[int]:
        with self.session() as s:
            row = s.get(AuthRow, key)
            if row is None or row.kind != "token" or row.expires_at < time.time():
                return None
            return row.account

    # --- viewing keys ----------------------------------------------------------------------------
    def add_viewing_key(self, key_id: str, account_id: int, key_hash: str, label: Optional[str]) -> None:
        with self.session() as s:
            s.add(ViewingKeyRow(id=key_id, account=account_id, key_hash=key_hash, label=label, revoked=False,
                                created_at=time.time()))

    def revoke_viewing_key(self, account_id: int, key_id: str) -> bool:
        with self.session() as s:
            res = s.execute(update(ViewingKeyRow).where(ViewingKeyRow.id == key_id,
                                                        ViewingKeyRow.account == account_id,
                                                        ViewingKeyRow.revoked.is_(False)).values(revoked=True))
            return res.rowcount == 1

    def viewing_key_account(self, key_hash: str) -> Optional[int]:
        with self.session() as s:
            row = s.scalars(select(ViewingKeyRow).where(ViewingKeyRow.key_hash == key_hash)).first()
            return None if row is None or row.revoked else row.account

    def viewing_keys(self, account_id: int) -> list[ViewingKeyRow]:
        with self.session() as s:
            return list(s.scalars(select(ViewingKeyRow).where(ViewingKeyRow.account == account_id)
                                  .order_by(ViewingKeyRow.created_at)))

    # --- chain config ------------------------------------------------------------------------------
    def get_config(self, key: str) -> Optional[str]:
        with self.session() as s:
            row = s.get(ChainConfigRow, key)
            return None if row is None else row.value

    def set_config(self, key: str, value: str) -> None:
        with self.session() as s:
            row = s.get(ChainConfigRow, key)
            if row is None:
                s.add(ChainConfigRow(key=key, value=value))
            else:
                row.value = value

    # --- tests and health -----------------------------------------------------------------------
    def row_counts(self) -> dict[str, int]:
        with self.session() as s:
            return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}

    def ping(self) -> bool:
        with self.session() as s:
            return s.scalar(select(1)) == 1
