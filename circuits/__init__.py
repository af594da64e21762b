"""zkclear's circuit DSL, gadget library and settlement circuits (R1CS over the BN254 scalar field)."""
