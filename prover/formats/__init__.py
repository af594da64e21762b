"""iden3/snarkjs file formats: .r1cs, .wtns, .sym, .zkey, .ptau and snarkjs JSON.

Every reader takes a path or the file's bytes and raises `FormatError` (a ValueError) on a
truncated or corrupt file; every writer writes atomically (temporary file, then rename).
Binary formats store integers little-endian; .zkey/.ptau points are in Montgomery form.
"""
from prover.formats.binfile import FormatError
from prover.formats.r1cs import R1CS, read_r1cs, r1cs_to_bytes, write_r1cs
from prover.formats.sym import read_sym, write_sym
from prover.formats.wtns import read_wtns, write_wtns, wtns_to_bytes

__all__ = ["FormatError", "R1CS", "read_r1cs", "write_r1cs", "r1cs_to_bytes", "read_wtns", "write_wtns",
           "wtns_to_bytes", "read_sym", "write_sym",
           # in submodules (they import prover.groth16.keys): zkey.read_zkey / write_zkey,
           # ptau.read_ptau, snarkjs_json.read_vk / write_vk / read_proof / write_proof / ...
           ]
