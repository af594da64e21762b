"""The clients' fast signer gives exactly circomlibjs's signatures (eddsa.sign_poseidon)."""
from circuits.crypto.eddsa import PrivateKey, sign_poseidon, verify_poseidon
from sequencer.signing import FixedBase, Signer
from circuits.crypto import babyjub


def test_signer_equals_sign_poseidon():
    for seed in (b"a", b"b"):
        key = PrivateKey.from_seed(seed)
        s = Signer.of(key)
        assert s.public_key == key.public_key
        for msg in (0, 1, 2**128 + 5, 2**253 + 11):
            sig = s.sign(msg)
            assert sig == sign_poseidon(key.secret, msg)
            assert verify_poseidon(msg, sig, key.public_key)


def test_fixed_base_equals_mul():
    fb = FixedBase(babyjub.BASE8)
    for k in (0, 1, 255, 256, 2**200 + 3, babyjub.SUBORDER - 1):
        assert fb.mul(k) == babyjub.mul(babyjub.BASE8, k)
