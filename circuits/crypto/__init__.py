"""Cryptographic primitives outside circuits, compatible with circomlib/circomlibjs:
Poseidon (`poseidon`), Baby Jubjub (`babyjub`), EdDSA-Poseidon (`eddsa`, with BLAKE-512 key
derivation in `blake512`) and sparse Poseidon Merkle trees (`merkle`)."""
