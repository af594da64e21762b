"""The service's leaf salts derive from a secret DA scalar drawn at deployment and kept in its
database (spec.da): not the public development scalar, and the same after a restart (so the
settled roots replay)."""
import pytest

from sequencer.pipeline.chain import Genesis
from sequencer.spec.constants import PRESETS
from sequencer.spec.da import DEV_DA_SCALAR, da_public_key


def test_a_fresh_genesis_has_a_secret_da_scalar_that_survives_the_database():
    a, b = Genesis.fresh(0xD3, (1000, 1000)), Genesis.fresh(0xD3, (1000, 1000))
    assert a.da_scalar not in (DEV_DA_SCALAR, b.da_scalar)
    back = Genesis.from_json(a.to_json())
    assert back == a
    tiny = PRESETS["tiny"]
    state, again = a.state(tiny), back.state(tiny)
    assert state.da_scalar == a.da_scalar and state.root() == again.root()
    assert state.da_public == da_public_key(a.da_scalar)
    dev = a.__class__(a.insurance_seed, a.insurance_l1, a.prices, DEV_DA_SCALAR).state(tiny)
    assert state.leaf_salt(1, (5, 6)) != dev.leaf_salt(1, (5, 6))


@pytest.mark.parametrize("old", [
    '{"insurance_seed": "00", "insurance_l1": "0xd3", "prices": [1000, 1000]}',
    '{"insurance_seed": "00", "insurance_l1": "0xd3", "prices": [1000, 1000], "salt_seed": "0x5"}'])
def test_a_database_from_before_da_salts_is_refused_with_its_reason(old):
    with pytest.raises(RuntimeError, match="fresh --db"):
        Genesis.from_json(old)
