"""prover._native.groth16_setup (Rust) against the Python reference dev_setup: same zkey bytes
for the same toxic waste, and the key proves (native prover) and verifies. The streaming
groth16_setup_file (r1cs path in, zkey path out; what `zkclear setup` and the bench use) writes
the same bytes, across its point-section chunks too."""
from __future__ import annotations

import random
import struct

import pytest

from prover import _native as native
from prover.backends import PythonBackend, get_backend
from prover.field import R
from prover.formats.binfile import Writer
from prover.formats.r1cs import r1cs_to_bytes, read_r1cs
from prover.formats.wtns import read_wtns
from prover.formats.zkey import read_zkey, read_zkey_vk
from prover.groth16 import qap
from prover.groth16.setup import ToxicWaste
from prover_helpers import random_r1cs

pytestmark = pytest.mark.usefixtures("native")  # required (make setup): fails, never skips

R_FIXED, S_FIXED = 0x1234567, 0x89ABCDEF


def nat_setup(r1cs_bytes: bytes, toxic: ToxicWaste) -> bytes:
    return bytes(native.groth16_setup(r1cs_bytes, toxic.to_bytes()))


def raw_r1cs(n_wires: int, n_pub_out: int, n_pub_in: int, n_prv_in: int, constraints) -> bytes:
    """An .r1cs file with the terms exactly as given: zero coefficients and repeated wires kept
    (r1cs_to_bytes would drop / merge them)."""
    parts = []
    for cons in constraints:
        for lc in cons:
            parts.append(struct.pack("<I", len(lc)))
            for wire, c in lc:
                parts.append(struct.pack("<I", wire) + (c % R).to_bytes(32, "little"))
    w = Writer(b"r1cs", 1)
    w.section(1, struct.pack("<I", 32) + R.to_bytes(32, "little")
              + struct.pack("<IIIIQI", n_wires, n_pub_out, n_pub_in, n_prv_in, n_wires, len(constraints)))
    w.section(2, b"".join(parts))
    w.section(3, struct.pack(f"<{n_wires}Q", *range(n_wires)))
    return w.bytes()


@pytest.mark.parametrize("toxic", [
    ToxicWaste(tau=11, alpha=22, beta=33, gamma=44, delta=55),
    ToxicWaste.random(random.Random(7)),
    ToxicWaste(tau=1, alpha=2, beta=3, gamma=4, delta=5),            # tau = omega^0: a root of unity
    ToxicWaste(tau=0, alpha=R - 1, beta=R - 2, gamma=1, delta=R - 3),
    ToxicWaste(tau=qap.root_of_unity(8), alpha=9, beta=8, gamma=7, delta=6),  # odd point of the 2n domain
])
def test_tiny_matches_python(tiny, toxic):
    b = r1cs_to_bytes(tiny.r1cs)
    assert nat_setup(b, toxic) == PythonBackend().setup(tiny.r1cs, toxic)


def test_tiny_proves_and_verifies(tiny):
    nat = get_backend("native")
    zkey = nat_setup(r1cs_to_bytes(tiny.r1cs), tiny.toxic)
    w = tiny.witness(4, 6)
    proof = nat.prove(zkey, w, R_FIXED, S_FIXED)
    vk = read_zkey(zkey).verifying_key()
    assert nat.verify(vk, w[1:2], proof)
    assert not nat.verify(vk, [(w[1] + 1) % R], proof)
    # the header-only reader (the bench's, for multi-GB keys) gives the same key, dev marker included
    assert read_zkey_vk(zkey) == vk and vk.unsafe_dev_setup


def test_raw_terms_zero_and_repeated_wires():
    # x*y = z with a zero term in A, a repeated wire in B (dict semantics: first slot, last value),
    # a constant row, and 2 public signals (extra rows) on top
    cons = [
        ([(3, 1), (1, 0)], [(4, 5), (0, 2), (4, 1)], [(5, 1)]),
        ([(1, 1), (2, 1)], [(0, 1)], [(6, 1)]),
        ([(0, 7)], [(0, 0)], []),
        ([], [], [(0, 0)]),
    ]
    b = raw_r1cs(7, 1, 1, 2, cons)
    for seed in range(3):
        toxic = ToxicWaste.random(random.Random(seed))
        assert nat_setup(b, toxic) == PythonBackend().setup(read_r1cs(b), toxic)


@pytest.mark.parametrize("m,l", [(1, 0), (2, 1), (5, 2), (29, 2), (30, 1), (40, 7)])
def test_random_circuits_match_python(m, l):
    rnd = random.Random(m * 100 + l)
    r1cs = random_r1cs(rnd, m, l)
    toxic = ToxicWaste.random(rnd)
    assert nat_setup(r1cs_to_bytes(r1cs), toxic) == PythonBackend().setup(r1cs, toxic)


def test_rejects_bad_input(tiny):
    b = r1cs_to_bytes(tiny.r1cs)
    with pytest.raises(ValueError, match="160 bytes"):
        native.groth16_setup(b, bytes(159))
    with pytest.raises(ValueError, match="non-zero"):
        native.groth16_setup(b, ToxicWaste(1, 0, 2, 3, 4).to_bytes())
    with pytest.raises(ValueError, match="below"):
        native.groth16_setup(b, R.to_bytes(32, "little") + ToxicWaste(1, 1, 2, 3, 4).to_bytes()[32:])
    with pytest.raises(ValueError):
        native.groth16_setup(b[:-40], tiny.toxic.to_bytes())
    with pytest.raises(ValueError):
        native.groth16_setup(b"zkey" + b[4:], tiny.toxic.to_bytes())


def test_setup_file_streams_the_same_key(tiny, tmp_path):
    # r1cs by path, as an R1CS and as bytes; chunks of 1, 3 scalars split every point section
    toxic = ToxicWaste.random(random.Random(11))
    want = PythonBackend().setup(tiny.r1cs, toxic)
    r1cs_path = tmp_path / "t.r1cs"
    r1cs_path.write_bytes(r1cs_to_bytes(tiny.r1cs))
    nat = get_backend("native")
    for i, r1cs in enumerate((r1cs_path, str(r1cs_path), tiny.r1cs, r1cs_path.read_bytes())):
        nat.setup_file(r1cs, toxic, tmp_path / f"k{i}.zkey")
        assert (tmp_path / f"k{i}.zkey").read_bytes() == want
    for chunk in (1, 3):
        native.groth16_setup_file(str(r1cs_path), toxic.to_bytes(), str(tmp_path / "c.zkey"), chunk=chunk)
        assert (tmp_path / "c.zkey").read_bytes() == want
    # only the keys are left: no temporary key or r1cs beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["t.r1cs", "c.zkey"] + [f"k{i}.zkey" for i in range(4)])


def test_setup_file_random_circuits_in_chunks(tmp_path):
    for m, l in [(5, 2), (40, 7)]:
        rnd = random.Random(m + l)
        r1cs = random_r1cs(rnd, m, l)
        toxic = ToxicWaste.random(rnd)
        (tmp_path / "r.r1cs").write_bytes(r1cs_to_bytes(r1cs))
        native.groth16_setup_file(str(tmp_path / "r.r1cs"), toxic.to_bytes(), str(tmp_path / "r.zkey"), chunk=2)
        assert (tmp_path / "r.zkey").read_bytes() == PythonBackend().setup(r1cs, toxic)


def test_setup_file_bad_input_leaves_no_key(tiny, tmp_path):
    # the file reader (parsing as it reads) refuses what the bytes reader refuses, same message
    b = r1cs_to_bytes(tiny.r1cs)
    r1 = tmp_path / "t.r1cs"
    nat = get_backend("native")
    for bad in (b[:-40], b[:-3], b[:10], b"zkey" + b[4:], b[:12] + b"\x07" + b[13:]):
        with pytest.raises(ValueError) as from_bytes:
            native.groth16_setup(bad, tiny.toxic.to_bytes())
        r1.write_bytes(bad)
        with pytest.raises(ValueError) as from_file:
            nat.setup_file(r1, tiny.toxic, tmp_path / "x.zkey")
        assert str(from_file.value) == str(from_bytes.value)
    with pytest.raises(OSError):
        nat.setup_file(tmp_path / "none.r1cs", tiny.toxic, tmp_path / "x.zkey")
    assert [p.name for p in tmp_path.iterdir()] == ["t.r1cs"]


@pytest.mark.slow
def test_circom_circuit_matches_python_and_verifies(main_circuit):
    r1cs_b = main_circuit.r1cs.read_bytes()
    r1cs = read_r1cs(r1cs_b)
    toxic = ToxicWaste.random(random.Random(5))
    zkey = nat_setup(r1cs_b, toxic)
    assert zkey == PythonBackend().setup(r1cs, toxic)
    nat = get_backend("native")
    w = read_wtns(main_circuit.wtns)
    proof = nat.prove(zkey, w, R_FIXED, S_FIXED)
    vk = read_zkey(zkey).verifying_key()
    public = w[1:1 + r1cs.n_public]
    assert nat.verify(vk, public, proof)
    assert not nat.verify(vk, [public[0], 0, 100], proof)
