"""The service's leaf salts come from a secret seed drawn at deployment and kept in its
database: not the public development seed, and the same after a restart (so the settled
roots replay)."""
import pytest

from sequencer.pipeline.chain import Genesis
from sequencer.spec.constants import PRESETS
from sequencer.spec.state import DEV_SALT_SEED


def test_a_fresh_genesis_has_a_secret_salt_seed_that_survives_the_database():
    a, b = Genesis.fresh(0xD3, (1000, 1000)), Genesis.fresh(0xD3, (1000, 1000))
    assert a.salt_seed not in (DEV_SALT_SEED, b.salt_seed)
    back = Genesis.from_json(a.to_json())
    assert back == a
    tiny = PRESETS["tiny"]
    state, again = a.state(tiny), back.state(tiny)
    assert state.salt_seed == a.salt_seed and state.root() == again.root()
    assert state.leaf_salt(1) != a.__class__(a.insurance_seed, a.insurance_l1, a.prices, DEV_SALT_SEED).state(tiny).leaf_salt(1)


def test_a_database_from_before_salted_leaves_is_refused_with_its_reason():
    old = '{"insurance_seed": "00", "insurance_l1": "0xd3", "prices": [1000, 1000]}'
    with pytest.raises(RuntimeError, match="fresh --db"):
        Genesis.from_json(old)
