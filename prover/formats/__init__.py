"""iden3/snarkjs file formats: .r1cs, .wtns, .zkey, .ptau and snarkjs JSON."""
