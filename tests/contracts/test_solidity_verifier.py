"""The rendered Groth16 verifier: accepts snarkjs proofs, rejects every tampering.

Rejection semantics (documented in the template): verifyProof *returns false*, it never
reverts, for inputs >= r, coordinates >= q, points off the curve and failed pairings.
Tests call with eth_call and tell ``False`` apart from a revert.

Expensive calls (a full pairing costs ~0.8 s on py-evm) run on eth-tester for the main
cases and on anvil for the bulk (every coordinate, hypothesis).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from verifier_contracts.build import Q, R, compile_verifier, render_verifier
from verifier_contracts.evm import call_verify, parse_soliditycalldata, proof_calldata, verify_proof
from verifier_contracts.synthetic import SyntheticKey

pytestmark = pytest.mark.slow

CHAINS = ["eth-tester", "anvil"]
REVERT = "revert"


def verdict(contract, a, b, c, inputs):
    """True / False as returned by verifyProof, or REVERT."""
    try:
        return contract.functions.verifyProof(a, b, c, inputs).call()
    except Exception:
        return REVERT


def flat(a, b, c, inputs) -> list[int]:
    return [*a, b[0][0], b[0][1], b[1][0], b[1][1], *c, *inputs]


def unflat(v: list[int]):
    return v[0:2], [v[2:4], v[4:6]], v[6:8], v[8:]


COORD_NAMES = ["A.x", "A.y", "B.x.c1", "B.x.c0", "B.y.c1", "B.y.c0", "C.x", "C.y"]


# ------------------------------------------------------------------ rendering


def test_render_swaps_g2_coordinates_to_evm_order(snark):
    src = render_verifier(snark.vk)
    beta = snark.vk["vk_beta_2"]
    assert f"BETA_X1 = {beta[0][1]};" in src and f"BETA_X0 = {beta[0][0]};" in src
    assert f"BETA_Y1 = {beta[1][1]};" in src and f"BETA_Y0 = {beta[1][0]};" in src
    assert f"N_PUBLIC = {snark.vk['nPublic']};" in src
    assert f"uint256[{snark.vk['nPublic']}] calldata _pubSignals" in src
    assert "UNSAFE" not in src  # a ceremony key is not marked


def test_render_marks_unsafe_keys_and_rejects_bad_keys():
    vk = SyntheticKey.random(2, random.Random(1)).vk_json()
    assert "UNSAFE" in render_verifier(vk)
    bad = dict(vk, nPublic=3)
    with pytest.raises(ValueError):
        render_verifier(bad)
    with pytest.raises(ValueError):
        render_verifier(dict(vk, IC=vk["IC"][:1]))
    off = dict(vk, vk_alpha_1=[str(Q), "1", "1"])
    with pytest.raises(ValueError):
        render_verifier(off)


# ------------------------------------------------------------------ acceptance


@pytest.mark.parametrize("name", CHAINS)
def test_accepts_snarkjs_proof(deployed, snark, name, record_property):
    _, ours, theirs = deployed(name)
    ok, gas = verify_proof(ours, snark.proof, snark.public)
    ok_theirs, gas_theirs = verify_proof(theirs, snark.proof, snark.public)
    assert ok and ok_theirs
    record_property(f"gas_ours_{name}", gas)
    record_property(f"gas_snarkjs_{name}", gas_theirs)
    print(f"[{name}] verifyProof gas (tx gasUsed): ours {gas}, snarkjs {gas_theirs}")
    # Same work (4-pair pairing, N mul+add): within a few hundred gas of each other.
    assert abs(gas - gas_theirs) < 2_000
    assert gas < 250_000


def test_accepts_snarkjs_soliditycalldata(deployed, snark):
    _, ours, _ = deployed("anvil")
    args = parse_soliditycalldata(snark.calldata)
    assert args == proof_calldata(snark.proof, snark.public)
    assert verdict(ours, *args) is True


def test_same_gas_on_both_chains(deployed, snark):
    _, ours_e, _ = deployed("eth-tester")
    _, ours_a, _ = deployed("anvil")
    assert verify_proof(ours_e, snark.proof, snark.public)[1] == verify_proof(ours_a, snark.proof, snark.public)[1]


def test_g2_in_snarkjs_json_order_is_rejected(deployed, snark):
    """Passing B as (c0, c1) (the JSON order) instead of (c1, c0) fails."""
    _, ours, _ = deployed("anvil")
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    assert verdict(ours, a, [b[0][::-1], b[1][::-1]], c, inputs) is False


# ------------------------------------------------------------------ rejection


@pytest.mark.parametrize("name", CHAINS)
def test_rejects_changed_public_input(deployed, snark, name):
    _, ours, theirs = deployed(name)
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    for i in range(len(inputs)):
        bad = list(inputs)
        bad[i] = (bad[i] + 1) % R
        assert verdict(ours, a, b, c, bad) is False
        if name == "anvil":
            assert verdict(theirs, a, b, c, bad) is False


@pytest.mark.parametrize("name", CHAINS)
def test_rejects_input_not_below_r(deployed, snark, name):
    """x + r is the same scalar mod r: the pairing alone would accept it."""
    _, ours, theirs = deployed(name)
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    for i in range(len(inputs)):
        for v in (inputs[i] + R, R, 2**256 - 1):
            bad = list(inputs)
            bad[i] = v
            assert verdict(ours, a, b, c, bad) is False
            assert verdict(theirs, a, b, c, bad) is False


@pytest.mark.parametrize("name", CHAINS)
def test_rejects_each_proof_element_changed(deployed, snark, name):
    _, ours, theirs = deployed(name)
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    v = flat(a, b, c, inputs)
    for k, coord in enumerate(COORD_NAMES):
        bad = list(v)
        bad[k] = (bad[k] + 1) % Q
        assert verdict(ours, *unflat(bad)) is False, coord
        if name == "anvil":
            assert verdict(theirs, *unflat(bad)) is False, coord


@pytest.mark.parametrize("name", CHAINS)
def test_rejects_coordinate_not_below_q(deployed, snark, name, record_property):
    """coordinate + q names the same field element: rejected before any precompile call,
    so the rejection is cheap (no precompile failure burning the gas limit)."""
    ch, ours, theirs = deployed(name)
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    v = flat(a, b, c, inputs)
    for k, coord in enumerate(COORD_NAMES):
        bad = list(v)
        bad[k] += Q
        args = unflat(bad)
        assert verdict(ours, *args) is False, coord
        if name == "anvil":
            assert verdict(theirs, *args) is False, coord
            gas = ours.functions.verifyProof(*args).estimate_gas()
            assert gas < 40_000, (coord, gas)


def test_rejects_swapped_and_identity_points(deployed, snark):
    _, ours, theirs = deployed("anvil")
    a, b, c, inputs = proof_calldata(snark.proof, snark.public)
    for args in ((c, b, a, inputs), ([0, 0], b, c, inputs), (a, b, [0, 0], inputs),
                 (a, [[0, 0], [0, 0]], c, inputs), (a, b, a, inputs)):
        assert verdict(ours, *args) is False
        assert verdict(theirs, *args) is False


# ------------------------------------------------------------------ random tampering

tamper = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 2**64)),
    st.tuples(st.just("bit"), st.integers(0, 255)),
    st.tuples(st.just("set_q"), st.integers(0, Q - 1)),
    st.tuples(st.just("set_any"), st.integers(0, 2**256 - 1)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_tampering_rejected_and_verdicts_agree(deployed, snark, data):
    _, ours, theirs = deployed("anvil")
    v = flat(*proof_calldata(snark.proof, snark.public))
    k = data.draw(st.integers(0, len(v) - 1), label="position")
    n_changes = data.draw(st.integers(1, 3), label="changes")
    bad = list(v)
    for _ in range(n_changes):
        mode, x = data.draw(tamper, label="tamper")
        if mode == "add":
            bad[k] = (bad[k] + x) % 2**256
        elif mode == "bit":
            bad[k] ^= 1 << x
        else:
            bad[k] = x
        k = data.draw(st.integers(0, len(v) - 1), label="position")
    assume(bad != v)
    mine, snarkjs = verdict(ours, *unflat(bad)), verdict(theirs, *unflat(bad))
    assert mine is False
    assert snarkjs is False


# ------------------------------------------------------------------ synthetic keys


def test_synthetic_key_many_inputs_with_zeros(anvil_chain):
    """N = 5 with zero inputs (the accumulation skips them) and an input of r - 1."""
    rng = random.Random(7)
    key = SyntheticKey.random(5, rng)
    verifier = anvil_chain.deploy(compile_verifier(key.vk_json()))
    inputs = [0, 3, 0, R - 1, 0]
    proof, public = key.prove(inputs, rng)
    a, b, c, xs = proof_calldata(proof, public)
    assert verdict(verifier, a, b, c, xs) is True
    for i in range(5):
        bad = list(xs)
        bad[i] = (bad[i] + 1) % R
        assert verdict(verifier, a, b, c, bad) is False
    ok, gas = call_verify(verifier, a, b, c, xs)
    assert ok and gas > 0


# ------------------------------------------------------------------ build and artifacts


def test_build_cli_writes_deployable_artifact(tmp_path, snark, embedded_chain):
    import json

    from verifier_contracts.build import main
    from verifier_contracts.evm import load_artifact

    (tmp_path / "vk.json").write_text(json.dumps(snark.vk))
    assert main(["--vk", str(tmp_path / "vk.json"), "--name", "TestVerifier", "--out", str(tmp_path / "a")]) == 0
    art = load_artifact(tmp_path / "a" / "TestVerifier.json")
    assert (tmp_path / "a" / "TestVerifier.sol").read_text() == render_verifier(snark.vk, "TestVerifier")
    assert art["compiler"]["optimizerRuns"] > 0 and art["abi"]
    verifier = embedded_chain.deploy(art)  # from the JSON alone, no node
    assert verifier.functions.N_PUBLIC().call() == snark.vk["nPublic"]
