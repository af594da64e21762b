"""Groth16 over BN254, the readable Python reference (Groth 2016, https://eprint.iacr.org/2016/260).

Modules follow arkworks's groth16 crate:
  qap     R1CS -> QAP: domain, Lagrange evaluation at tau, h on the odd coset (shared by setup and prove)
  setup   key generation: UNSAFE dev setup from local randomness, phase 2 on a .ptau
  prove   the prover (prove samples r, s; prove_with_randomness takes them)
  verify  the verifier (the pairing equation)
  keys    ProvingKey, VerifyingKey, Proof, each field documented by its formula
  curve   fast G1/G2 arithmetic and multi-exponentiation on plain ints
"""
