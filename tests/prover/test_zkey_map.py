"""The whole-process prover reads a .zkey in place (prover/native/src/zkey_map.rs): from its
path, memory-mapped, part by part, each part's pages released once read, so the key is never
whole in memory. Its proofs are the bytes of the in-memory native prover, of the Python
reference and of the resident prover for the same r, s, whatever the number of entries read
at a time and whatever the order of the key's terms; a truncated or corrupt key is refused
with a clear error (`zkclear prove` exit 2), not a crash."""
from __future__ import annotations

import random
import struct

import pytest

from prover.backends import get_backend
from prover.field import R
from prover.formats.binfile import BinFile, FormatError
from prover.formats.wtns import read_wtns, wtns_to_bytes
from prover.formats.zkey import zkey_to_bytes
from prover.groth16.setup import ToxicWaste, dev_setup
from prover.resident import ResidentProver
from prover_helpers import random_r1cs
from sequencer.cli import main

pytestmark = pytest.mark.usefixtures("native")
R_FIXED, S_FIXED = 0x1234567, 0x89ABCDEF
COEF = 44  # bytes of one section-4 term: matrix, constraint, signal (u32 each), value


def prove_file(path, witness: list[int], r: int, s: int, block: int | None = None) -> bytes:
    from prover import _native
    args = (str(path), wtns_to_bytes(witness), r.to_bytes(32, "little"), s.to_bytes(32, "little"))
    return bytes(_native.groth16_prove_file(*args) if block is None else _native.groth16_prove_file(*args, block=block))


def reference(zkey, witness: list[int], r: int, s: int) -> bytes:
    return get_backend("python").prove(zkey, witness, r, s).to_bytes()


def sections(data: bytes) -> list[tuple[int, bytes]]:
    bf = BinFile(data, b"zkey", "zkey")
    spans = sorted((off, stype, size) for stype, found in bf.sections.items() for off, size in found)
    return [(stype, data[off:off + size]) for off, stype, size in spans]


def assemble(parts: list[tuple[int, bytes]]) -> bytes:
    out = b"zkey" + struct.pack("<II", 1, len(parts))
    return out + b"".join(struct.pack("<IQ", stype, len(p)) + p for stype, p in parts)


def with_section(data: bytes, stype: int, change) -> bytes:
    return assemble([(t, change(p) if t == stype else p) for t, p in sections(data)])


def reorder_terms(data: bytes, order) -> bytes:
    """The same key with section 4's terms in another order (`order` permutes a list)."""
    def change(p: bytes) -> bytes:
        terms = [p[4 + COEF * i:4 + COEF * (i + 1)] for i in range((len(p) - 4) // COEF)]
        return p[:4] + b"".join(order(terms))
    return with_section(data, 4, change)


def test_mapped_key_proves_the_bytes_of_every_other_path(snarkjs_keys, main_circuit):
    """A snarkjs key from its path: read whole at once, or one to 64 terms or points at a time
    (across every block boundary), the proof is the Python reference's, the in-memory native
    prover's, the resident prover's (from the same path), and the backend's for a path."""
    from prover import _native
    w = read_wtns(main_circuit.wtns)
    zkey = snarkjs_keys.zkey.read_bytes()
    for r, s in ((R_FIXED, S_FIXED), (R - 1, 0)):
        want = reference(zkey, w, r, s)
        assert bytes(_native.groth16_prove(zkey, wtns_to_bytes(w), r.to_bytes(32, "little"),
                                           s.to_bytes(32, "little"))) == want
        for block in (None, 1, 3, 64):
            assert prove_file(snarkjs_keys.zkey, w, r, s, block) == want, block
        assert ResidentProver(snarkjs_keys.zkey, table_mb=0).prove(w, r, s).to_bytes() == want
        assert get_backend("native").prove(snarkjs_keys.zkey, w, r, s).to_bytes() == want


def test_terms_in_any_order_give_the_same_proof(rng, tmp_path):
    """Keys list their terms constraint by constraint, which the parallel sum relies on; a key
    in another order (shuffled, reversed) still proves the same bytes (those terms are summed
    apart), on random circuits with infinity bases and zero, one and full-size scalars."""
    for k in range(4):
        r1cs = random_r1cs(rng, rng.randrange(20, 80), rng.randrange(0, 4))
        zkey = zkey_to_bytes(dev_setup(r1cs, ToxicWaste.random(rng)))
        w = [1] + [rng.choice([0, 1, 2, R - 1, rng.randrange(R)]) for _ in range(r1cs.n_wires - 1)]
        r, s = rng.randrange(R), rng.randrange(R)
        want = reference(zkey, w, r, s)
        shuffled = random.Random(k).sample
        for name, order in (("same", list), ("shuffled", lambda t: shuffled(t, len(t))), ("reversed", lambda t: t[::-1])):
            path = tmp_path / f"{k}-{name}.zkey"
            path.write_bytes(reorder_terms(zkey, order))
            for block in (None, 1, 7):
                assert prove_file(path, w, r, s, block) == want, (k, name, block)


def corrupt_keys(data: bytes) -> dict[str, bytes]:
    """Truncations at and inside every section, and a header or term that lies."""
    cases = {"empty": b"", "magic only": data[:4]}
    pos = 12
    while pos < len(data):
        size = struct.unpack_from("<Q", data, pos + 4)[0]
        for cut in (pos + 5, pos + 12 + size // 2, pos + 12 + size - 1):
            cases[f"cut at {cut}"] = data[:cut]
        pos += 12 + size
    header = lambda off, value: with_section(  # noqa: E731
        data, 2, lambda p: p[:off] + struct.pack("<I", value) + p[off + 4:])
    cases["n_vars too big for the sections"] = header(72, 10**6)
    payload = dict(sections(data))
    cases["all wires public"] = header(76, struct.unpack_from("<I", payload[2], 72)[0])
    cases["domain not a power of two"] = header(80, 3)
    cases["domain of 2^31"] = header(80, 1 << 31)

    def term(i: int, off: int, raw: bytes):
        return with_section(data, 4, lambda p: p[:4 + COEF * i + off] + raw + p[4 + COEF * i + off + len(raw):])
    cases["term count past the section"] = with_section(data, 4, lambda p: struct.pack("<I", 10**6) + p[4:])
    cases["matrix 2"] = term(5, 0, struct.pack("<I", 2))
    cases["constraint past the domain"] = term(0, 4, struct.pack("<I", 1 << 30))
    cases["last term's constraint past the domain"] = term(struct.unpack_from("<I", payload[4])[0] - 1, 4,
                                                           struct.pack("<I", 1 << 30))
    cases["signal past the wires"] = term(3, 8, struct.pack("<I", 1 << 30))
    cases["value not below r"] = term(2, 12, b"\xff" * 32)
    return cases


def test_truncated_or_corrupt_key_is_refused_not_crashed(snarkjs_keys, main_circuit, tmp_path, capsys):
    """Every truncation and lie is a ValueError naming the key (FormatError for a file that
    cannot be read) from the mapped prover, the resident one and `zkclear prove` (exit 2)."""
    w = read_wtns(main_circuit.wtns)
    data = snarkjs_keys.zkey.read_bytes()
    native = get_backend("native")
    for name, bad in corrupt_keys(data).items():
        path = tmp_path / "bad.zkey"
        path.write_bytes(bad)
        for prove in (lambda: native.prove(path, w, 1, 2), lambda: ResidentProver(path, table_mb=0)):
            with pytest.raises(ValueError, match="zkey") as exc:
                prove()
            assert "\n" not in str(exc.value), name
        code = main(["prove", "--zkey", str(path), "--wtns", str(main_circuit.wtns), "--proof",
                     str(tmp_path / "p.json"), "--public", str(tmp_path / "q.json"), "--backend", "native"])
        err = capsys.readouterr().err
        assert code == 2 and err.strip() and "Traceback" not in err, (name, err)
    with pytest.raises(FormatError, match="cannot read zkey file"):
        native.prove(tmp_path / "none.zkey", w, 1, 2)
    with pytest.raises(FormatError, match="cannot read zkey file"):
        ResidentProver(tmp_path / "none.zkey")
