"""The two BN254 fields. Every other module takes its moduli from here."""

# r: order of the BN254 (alt_bn128) G1/G2 subgroup; the scalar field Fr in which circuits compute.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
# q: the base field Fq over which G1 and G2 coordinates live.
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
# Fr's multiplicative group has order r - 1 = 2^28 * odd; 5 generates it.
FR_GENERATOR = 5
FR_TWO_ADICITY = 28
