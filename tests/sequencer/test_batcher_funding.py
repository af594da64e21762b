"""The batcher carries the oracle's funding indices into a batch: `Funding` ops move the
settled indices to the round's (each step within its market's max delta, at most the preset's
funding slots), the batch's public funding is the round's, and positions pay or receive it.
A round whose funding the slots cannot reach is skipped, and nothing is persisted for it."""
from __future__ import annotations

from dataclasses import replace

from circuits.crypto.eddsa import PrivateKey
from sequencer.oplog import Store
from sequencer.pipeline.batcher import Batcher, funding_ops
from sequencer.pipeline.watchers import Round
from sequencer.spec import DEMO, TINY, State
from sequencer.spec.margin import total_value
from sequencer.spec.ops import Funding
from sequencer.spec.state import Account

PRICES = (1000, 1000)
COLLATERAL = 10**10


def long_and_short() -> State:
    """Account 1 long 10 lots of market 0, account 2 short 10, both at the mark price."""
    key = lambda i: PrivateKey.from_seed(b"batcher-funding-%d" % i)  # noqa: E731
    st = State.genesis(TINY, key(0).public_key, 0xF00D, PRICES)
    for i, q in ((1, 10), (2, -10)):
        acc = Account.new(key(i).public_key, 0xA000 + i, st.funding, st.leaf_salt(i, key(i).public_key))
        cash = -q * TINY.markets[0].mark_price(PRICES[0])
        st.write_account(i, replace(acc, collateral=COLLATERAL + cash, positions=(q, 0)))
    st.registration_index = 2
    return st


def test_a_round_with_funding_cuts_a_batch_that_applies_it(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/ops.db")
    settled = long_and_short()
    before = [total_value(settled.accounts[i], TINY, PRICES, settled.funding) for i in (1, 2)]
    cut = Batcher(store, TINY).cut(settled, [], [], Round(1, PRICES, (1500, 0), 0))
    assert cut is not None and tuple(cut.record.public.funding) == (1500, 0)
    assert [op for op in cut.record.batch.ops if isinstance(op, Funding)] == [Funding(market=0, delta=1500)]
    assert cut.state.funding == (1500, 0) and settled.funding == (0, 0)  # applied to a copy
    after = [total_value(cut.state.accounts[i], TINY, PRICES, cut.state.funding) for i in (1, 2)]
    assert (after[0] - before[0], after[1] - before[1]) == (-15_000, 15_000)  # the long pays the short
    assert store.get_batch(1).status == "proving"
    # the next round takes the index back down: a negative step
    back = Batcher(store, TINY).cut(cut.state, [], [], Round(2, PRICES, (-500, 0), 0))
    assert back is not None and tuple(back.record.public.funding) == (-500, 0)
    assert [op for op in back.record.batch.ops if isinstance(op, Funding)] == [Funding(market=0, delta=-2000)]


def test_a_round_whose_funding_the_slots_cannot_reach_is_skipped(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/ops.db")
    settled = long_and_short()
    batcher = Batcher(store, TINY)
    cap = TINY.markets[0].max_funding_delta
    assert TINY.funding_slots == 1
    assert batcher.cut(settled, [], [], Round(1, PRICES, (cap + 1, 0), 0)) is None  # two steps, one slot
    assert batcher.cut(settled, [], [], Round(1, PRICES, (1, 1), 0)) is None  # two markets, one slot
    assert store.get_batch(1) is None
    assert batcher.cut(settled, [], [], Round(1, PRICES, (cap, 0), 0)) is not None


def test_funding_ops_split_a_move_into_steps_within_the_max_delta():
    cap = DEMO.markets[0].max_funding_delta
    assert funding_ops(DEMO, (0, 0), (cap + cap // 2, 0)) == [Funding(0, cap), Funding(0, cap // 2)]
    assert funding_ops(DEMO, (0, 7), (-cap, 0)) == [Funding(0, -cap), Funding(1, -7)]
    assert funding_ops(DEMO, (0, 0), (2 * cap + 1, 0)) is None  # three steps, two slots
    assert funding_ops(DEMO, (5, 5), (5, 5)) == []
