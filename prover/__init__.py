"""zkclear's Groth16 prover over BN254: a readable Python backend and a native (arkworks) backend."""
