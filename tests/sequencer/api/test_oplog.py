"""The op log: migrations give the schema the models describe (both databases), re-running
them is harmless, and op statuses follow the state machine."""
import pytest
from sqlalchemy import inspect

from sequencer.oplog import BadTransition, Store
from sequencer.oplog import status as st
from sequencer.oplog.schema import Base


def test_migrations_match_the_models_and_are_idempotent(db_url):
    store = Store(db_url)
    store.migrate()  # a second run is a no-op
    insp = inspect(store.engine)
    tables = set(insp.get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}, name
    if store.dialect == "sqlite":
        with store.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_status_state_machine(db_url):
    store = Store(db_url)
    for op_id in ("a" * 32, "b" * 32, "c" * 32):
        store.insert_op(op_id, "trade", "{}", 1, 2)
    a, b, c = "a" * 32, "b" * 32, "c" * 32
    store.transition(a, st.BATCHED, batch=4)
    store.transition(a, st.PROVED)
    with pytest.raises(BadTransition):
        store.transition(a, st.REFUSED, reason="x")  # refused only while not in a batch
    with pytest.raises(BadTransition):
        store.transition(a, st.SETTLED)  # proved -> submitted -> settled
    assert store.get_op(a).status == st.PROVED
    store.transition(b, st.BATCHED, batch=4)
    # the batch is abandoned: its ops go back to accepted, batch cleared
    assert store.abandon_batch(4) == 2
    assert [(store.get_op(x).status, store.get_op(x).batch) for x in (a, b)] == [("accepted", None)] * 2
    store.transition(a, st.BATCHED, batch=5)
    store.transition(a, st.PROVED)
    store.transition(a, st.SUBMITTED, l1_tx="0x" + "12" * 32)
    store.transition(a, st.SETTLED)
    assert store.get_op(a).l1_tx == "0x" + "12" * 32
    store.transition(b, st.REFUSED, reason="insufficient margin (buyer)")
    assert store.get_op(b).reason == "insufficient margin (buyer)"
    assert store.cancel(c) and not store.cancel(c) and not store.cancel(b)
    for final in (a, b, c):
        for new in st.STATUSES:
            with pytest.raises(BadTransition):
                store.transition(final, new)
    assert store.pending_ops() == []
    store.close()


def test_chain_config_kv(db_url):
    store = Store(db_url)
    assert store.get_config("rollup") is None
    store.set_config("rollup", "0x01")
    store.set_config("rollup", "0x02")
    assert store.get_config("rollup") == "0x02"
    store.close()
