"""The snarkjs powers-of-tau .ptau format (snarkjs src/powersoftau_*.js), read only.

Sections (magic "ptau", version 1); points as in .zkey (LE Montgomery affine):
   1  u32 n8q, q, u32 power, u32 ceremonyPower
   2  tau^i * G1,        i < 2^(power+1) - 1
   3  tau^i * G2,        i < 2^power
   4  alpha*tau^i * G1,  i < 2^power       5  beta*tau^i * G1, i < 2^power
   6  beta * G2          7  contributions
  12..15  (after `snarkjs powersoftau prepare phase2`) the same four families in the Lagrange
      basis: for p = 0, 1, ..., the 2^p points L^{2^p}_j(tau) * G (times alpha, beta for 14, 15)
      of the domain of size 2^p start at point index 2^p - 1. Section 12 goes up to p = power+1
      (its top tau power replaced by zero, harmless for degree < 2^(power+1) - 1), 13..15 to power.
"""
from __future__ import annotations

from prover.field import Q
from prover.formats.binfile import BinFile, FormatError, PathOrBytes, load_bytes
from prover.formats.zkey import decode_g1s, decode_g2s

PTAU_MAGIC = b"ptau"
TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2 = 2, 3, 4, 5, 6
LAGRANGE = {TAU_G1: 12, TAU_G2: 13, ALPHA_TAU_G1: 14, BETA_TAU_G1: 15}
_NAMES = {2: "tauG1", 3: "tauG2", 4: "alphaTauG1", 5: "betaTauG1", 6: "betaG2",
          12: "lagrange tauG1", 13: "lagrange tauG2", 14: "lagrange alphaTauG1", 15: "lagrange betaTauG1"}


class Ptau:
    """A parsed .ptau: header eagerly, points on demand (a 2^20 file holds millions)."""

    def __init__(self, path_or_bytes: PathOrBytes):
        data = load_bytes(path_or_bytes, "ptau")
        self.bf = BinFile(data, PTAU_MAGIC, "ptau", max_version=1)
        h = self.bf.section(1, "header")
        n8 = h.u32()
        if n8 != 32 or h.int_le(32) != Q:
            raise FormatError("ptau header: not a BN254 (bn128) ceremony")
        self.power = h.u32()
        self.ceremony_power = h.u32()
        h.expect_end()
        if not 1 <= self.power <= 28:
            raise FormatError(f"ptau header corrupt: power {self.power}")
        for sec, count, size in ((2, 2 ** (self.power + 1) - 1, 64), (3, 2 ** self.power, 128),
                                 (4, 2 ** self.power, 64), (5, 2 ** self.power, 64), (6, 1, 128)):
            s = self.bf.section(sec, _NAMES[sec])
            if s.remaining() != count * size:
                raise FormatError(f"ptau {_NAMES[sec]} section has {s.remaining()} bytes, expected {count * size}")
        self.prepared = all(self.bf.has(s) for s in (12, 13, 14, 15))
        if self.prepared:
            for sec, top in ((12, self.power + 1), (13, self.power), (14, self.power), (15, self.power)):
                size = 128 if sec == 13 else 64
                s = self.bf.section(sec, _NAMES[sec])
                if s.remaining() != (2 ** (top + 1) - 1) * size:
                    raise FormatError(f"ptau {_NAMES[sec]} section has {s.remaining()} bytes, "
                                      f"expected {(2 ** (top + 1) - 1) * size}")

    def _points(self, sec: int, start: int, count: int) -> list:
        s = self.bf.section(sec, _NAMES[sec])
        size = 128 if sec in (3, 6, 13) else 64
        if (start + count) * size > s.remaining():
            raise FormatError(f"ptau {_NAMES[sec]} section too short for points {start}..{start + count}")
        dec = decode_g2s if size == 128 else decode_g1s
        return dec(s.data, s.pos + start * size, count, f"ptau {_NAMES[sec]}")

    def powers(self, family: int, count: int) -> list:
        """The first `count` points of section 2..6 (tau^i * G1, tau^i * G2, ...)."""
        return self._points(family, 0, count)

    @property
    def alpha_1(self):
        return self._points(ALPHA_TAU_G1, 0, 1)[0]

    @property
    def beta_1(self):
        return self._points(BETA_TAU_G1, 0, 1)[0]

    @property
    def beta_2(self):
        return self._points(BETA_G2, 0, 1)[0]

    def lagrange(self, family: int, domain_size: int) -> list:
        """L^{domain_size}_j(tau) * G for j < domain_size, family one of TAU_G1, TAU_G2,
        ALPHA_TAU_G1, BETA_TAU_G1 (needs a prepared file)."""
        if not self.prepared:
            raise FormatError("ptau file is not prepared for phase 2: run `snarkjs powersoftau prepare phase2`")
        n = domain_size
        top = self.power + 1 if family == TAU_G1 else self.power
        if n & (n - 1) or n > 2 ** top:
            raise FormatError(f"ptau of power {self.power} has no Lagrange basis of size {n}")
        return self._points(LAGRANGE[family], n - 1, n)


def read_ptau(path_or_bytes: PathOrBytes) -> Ptau:
    return Ptau(path_or_bytes)
