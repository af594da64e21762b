"""The snarkjs Groth16 .zkey format (snarkjs src/zkey_utils.js, src/zkey_new.js).

Sections (container: binfile.py, magic "zkey", version 1):
   1  u32 protocol (1 = Groth16)
   2  u32 n8q, q, u32 n8r, r, u32 nVars, u32 nPublic, u32 domainSize,
      alpha1, beta1, beta2, gamma2, delta1, delta2
   3  IC: nPublic + 1 G1 points
   4  u32 count, then per entry u32 matrix, u32 constraint, u32 signal, coefficient (n8r bytes)
   5  A: nVars G1      6  B1: nVars G1      7  B2: nVars G2
   8  C: nVars - nPublic - 1 G1 (private wires)     9  H: domainSize G1
  10  64-byte circuit hash, u32 nContributions, contribution records
Points are affine, coordinates 32-byte little-endian in Montgomery form (x * 2^256 mod q), G2
as x.c0, x.c1, y.c0, y.c1, infinity as all zeros. Section 4 coefficients are "doubly
Montgomery": stored = c * (2^256)^2 mod r. `zkey_to_bytes` writes sections in zkey_new.js's
order (1, 2, 4, 3, 9, 8, 5, 6, 7, 10).
"""
from __future__ import annotations

import struct

from prover.field import Q, R
from prover.formats.binfile import BinFile, FormatError, PathOrBytes, Reader, Writer, load_bytes, map_bytes, write_atomic
from prover.groth16.keys import DEV_SETUP_MARKER, ProvingKey, VerifyingKey

ZKEY_MAGIC = b"zkey"
MONT = 1 << 256
RQ = MONT % Q                       # Montgomery factor in Fq
RQ_INV = pow(RQ, -1, Q)
RR = MONT % R                       # Montgomery factor in Fr
RR2 = RR * RR % R                   # section 4 stores c * RR2
RR2_INV = pow(RR2, -1, R)


# --- point codecs (shared with ptau.py) ---------------------------------------------------------

def decode_g1s(data: bytes, pos: int, count: int, what: str) -> list:
    """`count` LE-Montgomery affine G1 points at data[pos:]; (0, 0) is infinity."""
    fb = int.from_bytes
    out = []
    append = out.append
    for p in range(pos, pos + 64 * count, 64):
        xm = fb(data[p:p + 32], "little")
        ym = fb(data[p + 32:p + 64], "little")
        if xm == 0 and ym == 0:
            append(None)
        else:
            if xm >= Q or ym >= Q:
                raise FormatError(f"{what}: coordinate not reduced modulo q")
            append((xm * RQ_INV % Q, ym * RQ_INV % Q))
    return out


def decode_g2s(data: bytes, pos: int, count: int, what: str) -> list:
    fb = int.from_bytes
    out = []
    for p in range(pos, pos + 128 * count, 128):
        c = [fb(data[k:k + 32], "little") for k in range(p, p + 128, 32)]
        if not any(c):
            out.append(None)
        else:
            if any(v >= Q for v in c):
                raise FormatError(f"{what}: coordinate not reduced modulo q")
            c = [v * RQ_INV % Q for v in c]
            out.append(((c[0], c[1]), (c[2], c[3])))
    return out


def encode_g1s(points) -> bytes:
    out = []
    for pt in points:
        if pt is None:
            out.append(bytes(64))
        else:
            out.append((pt[0] * RQ % Q).to_bytes(32, "little") + (pt[1] * RQ % Q).to_bytes(32, "little"))
    return b"".join(out)


def encode_g2s(points) -> bytes:
    out = []
    for pt in points:
        if pt is None:
            out.append(bytes(128))
        else:
            out.append(b"".join((v * RQ % Q).to_bytes(32, "little")
                                for v in (pt[0][0], pt[0][1], pt[1][0], pt[1][1])))
    return b"".join(out)


def _g1s(r: Reader, count: int, what: str) -> list:
    return decode_g1s(r.data, r.need(64 * count), count, what)


def _g2s(r: Reader, count: int, what: str) -> list:
    return decode_g2s(r.data, r.need(128 * count), count, what)


def _points_section(bf: BinFile, stype: int, name: str, count: int, g2: bool = False) -> list:
    s = bf.section(stype, name)
    size = 128 if g2 else 64
    if s.remaining() != count * size:
        raise FormatError(f"zkey {name} section has {s.remaining()} bytes, expected {count} points of {size}")
    return _g2s(s, count, f"zkey {name}") if g2 else _g1s(s, count, f"zkey {name}")


# --- reading ----------------------------------------------------------------------------------

def read_zkey_header(path_or_bytes: PathOrBytes) -> tuple[BinFile, dict]:
    """Parse sections 1 and 2 only (cheap): the sizes and the verification-key points. A path
    is memory-mapped, not read: a mainnet key is ~6 GB, of which this reads a few hundred bytes."""
    data = map_bytes(path_or_bytes, "zkey")
    bf = BinFile(data, ZKEY_MAGIC, "zkey", max_version=1)
    s1 = bf.section(1, "protocol")
    protocol = s1.u32()
    if protocol != 1:
        raise FormatError(f"zkey protocol {protocol} is not Groth16 (1): PLONK/FFLONK keys are not supported")
    h = bf.section(2, "Groth16 header")
    n8q = h.u32()
    if n8q != 32 or h.int_le(32) != Q:
        raise FormatError("zkey header: base field is not BN254's")
    n8r = h.u32()
    if n8r != 32 or h.int_le(32) != R:
        raise FormatError("zkey header: scalar field is not BN254's")
    hdr = dict(n_vars=h.u32(), n_public=h.u32(), domain_size=h.u32())
    hdr["alpha_1"], hdr["beta_1"] = _g1s(h, 2, "zkey header")
    hdr["beta_2"], hdr["gamma_2"] = _g2s(h, 2, "zkey header")
    (hdr["delta_1"],) = _g1s(h, 1, "zkey header")
    (hdr["delta_2"],) = _g2s(h, 1, "zkey header")
    h.expect_end()
    n = hdr["domain_size"]
    if n == 0 or n & (n - 1) or hdr["n_public"] + 1 > hdr["n_vars"]:
        raise FormatError(f"zkey header corrupt: domain size {n}, {hdr['n_public']} public of {hdr['n_vars']} wires")
    return bf, hdr


def read_zkey_vk(path_or_bytes: PathOrBytes) -> VerifyingKey:
    """The verification key of a .zkey, read from its header, IC and hash sections only: at
    the mainnet batch (a 2-3 GB key) `read_zkey(...).verifying_key()` would parse millions of
    points into Python objects for the dozen it needs."""
    bf, hdr = read_zkey_header(path_or_bytes)
    ic = _points_section(bf, 3, "IC", hdr["n_public"] + 1)
    cs_hash = bf.section(10, "contributions").raw(64) if bf.has(10) else b"\0" * 64
    return VerifyingKey(n_public=hdr["n_public"], alpha_1=hdr["alpha_1"], beta_2=hdr["beta_2"],
                        gamma_2=hdr["gamma_2"], delta_2=hdr["delta_2"], ic=ic,
                        unsafe_dev_setup=cs_hash == DEV_SETUP_MARKER)


def read_zkey(path_or_bytes: PathOrBytes) -> ProvingKey:
    """Read a snarkjs Groth16 .zkey into a ProvingKey (coefficients and points in standard form)."""
    bf, hdr = read_zkey_header(path_or_bytes)
    n_vars, n_public, n = hdr["n_vars"], hdr["n_public"], hdr["domain_size"]
    ic = _points_section(bf, 3, "IC", n_public + 1)

    s = bf.section(4, "coefficients")
    count = s.u32()
    if s.remaining() != count * 44:
        raise FormatError(f"zkey coefficients section has {s.remaining()} bytes for {count} entries")
    data = bf.data
    fb = int.from_bytes
    coeffs = []
    base = s.pos
    for (m, c, w), p in zip(struct.iter_unpack("<III32x", data[base:base + 44 * count]),
                            range(base + 12, base + 44 * count, 44)):
        if m > 1 or c >= n or w >= n_vars:
            raise FormatError(f"zkey coefficient corrupt: matrix {m}, constraint {c}, wire {w}")
        v = fb(data[p:p + 32], "little")
        if v >= R:
            raise FormatError("zkey coefficient not reduced modulo r")
        coeffs.append((m, c, w, v * RR2_INV % R))

    a_query = _points_section(bf, 5, "A", n_vars)
    b1_query = _points_section(bf, 6, "B1", n_vars)
    b2_query = _points_section(bf, 7, "B2", n_vars, g2=True)
    c_query = _points_section(bf, 8, "C", n_vars - n_public - 1)
    h_query = _points_section(bf, 9, "H", n)
    cs_hash, contributions = b"\0" * 64, b"\0\0\0\0"
    if bf.has(10):
        m = bf.section(10, "contributions")
        cs_hash = m.raw(64)
        contributions = m.raw(m.remaining())
        if len(contributions) < 4:
            raise FormatError("zkey contributions section truncated")
    return ProvingKey(ic=ic, coeffs=coeffs, a_query=a_query, b1_query=b1_query, b2_query=b2_query,
                      c_query=c_query, h_query=h_query, cs_hash=cs_hash, contributions=contributions, **hdr)


# --- writing ----------------------------------------------------------------------------------

def zkey_to_bytes(pk: ProvingKey) -> bytes:
    """Serialise a ProvingKey as a snarkjs .zkey, sections in zkey_new.js's order."""
    if len(pk.ic) != pk.n_public + 1 or len(pk.c_query) != pk.n_vars - pk.n_public - 1 \
            or len(pk.h_query) != pk.domain_size or not (len(pk.a_query) == len(pk.b1_query)
                                                         == len(pk.b2_query) == pk.n_vars):
        raise ValueError("ProvingKey sizes are inconsistent")
    w = Writer(ZKEY_MAGIC, 1)
    w.section(1, struct.pack("<I", 1))
    w.section(2, struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<I", 32)
              + R.to_bytes(32, "little") + struct.pack("<III", pk.n_vars, pk.n_public, pk.domain_size)
              + encode_g1s([pk.alpha_1, pk.beta_1]) + encode_g2s([pk.beta_2, pk.gamma_2])
              + encode_g1s([pk.delta_1]) + encode_g2s([pk.delta_2]))
    pack = struct.Struct("<III").pack
    w.section(4, struct.pack("<I", len(pk.coeffs)) + b"".join(
        pack(m, c, s) + (v * RR2 % R).to_bytes(32, "little") for m, c, s, v in pk.coeffs))
    w.section(3, encode_g1s(pk.ic))
    w.section(9, encode_g1s(pk.h_query))
    w.section(8, encode_g1s(pk.c_query))
    w.section(5, encode_g1s(pk.a_query))
    w.section(6, encode_g1s(pk.b1_query))
    w.section(7, encode_g2s(pk.b2_query))
    w.section(10, pk.cs_hash + pk.contributions)
    return w.bytes()


def write_zkey(path, pk: ProvingKey) -> None:
    write_atomic(path, zkey_to_bytes(pk))
