pragma circom 2.0.0;
// A circomlib-style co-signed trade: two EdDSA-Poseidon signatures over the order hash,
// two account leaves proven in and rewritten in a Poseidon Merkle tree (depth D), range checks.
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/switcher.circom";

template MerkleRoot(D) {
    signal input leaf; signal input path[D]; signal input bits[D]; signal output root;
    component sw[D]; component h[D];
    for (var i = 0; i < D; i++) {
        sw[i] = Switcher();
        sw[i].sel <== bits[i];
        sw[i].L <== i == 0 ? leaf : h[i-1].out;
        sw[i].R <== path[i];
        h[i] = Poseidon(2);
        h[i].inputs[0] <== sw[i].outL; h[i].inputs[1] <== sw[i].outR;
    }
    root <== h[D-1].out;
}

template Trade(D) {
    signal input oldRoot; signal input price; signal input size;
    signal input ax[2]; signal input ay[2]; signal input r8x[2]; signal input r8y[2]; signal input s[2];
    signal input bal[2]; signal input path[2][D]; signal input bits[2][D];
    signal output newRoot;
    component order = Poseidon(3);
    order.inputs[0] <== price; order.inputs[1] <== size; order.inputs[2] <== oldRoot;
    component sig[2]; component leaf[2]; component nleaf[2]; component mr[2]; component nr[2];
    component rng[2]; component ge[2];
    signal delta; delta <== price * size;
    for (var k = 0; k < 2; k++) {
        sig[k] = EdDSAPoseidonVerifier();
        sig[k].enabled <== 1; sig[k].Ax <== ax[k]; sig[k].Ay <== ay[k];
        sig[k].R8x <== r8x[k]; sig[k].R8y <== r8y[k]; sig[k].S <== s[k]; sig[k].M <== order.out;
        leaf[k] = Poseidon(3);
        leaf[k].inputs[0] <== ax[k]; leaf[k].inputs[1] <== ay[k]; leaf[k].inputs[2] <== bal[k];
        mr[k] = MerkleRoot(D);
        mr[k].leaf <== leaf[k].out;
        for (var i = 0; i < D; i++) { mr[k].path[i] <== path[k][i]; mr[k].bits[i] <== bits[k][i]; }
        mr[k].root === oldRoot;
        rng[k] = Num2Bits(64); rng[k].in <== bal[k] + (k == 0 ? -delta : delta) + (1 << 63);
        ge[k] = GreaterEqThan(64); ge[k].in[0] <== bal[k] + (k == 0 ? -delta : delta) + (1 << 63); ge[k].in[1] <== (1 << 63);
        ge[k].out === 1;
        nleaf[k] = Poseidon(3);
        nleaf[k].inputs[0] <== ax[k]; nleaf[k].inputs[1] <== ay[k]; nleaf[k].inputs[2] <== bal[k] + (k == 0 ? -delta : delta);
        nr[k] = MerkleRoot(D);
        nr[k].leaf <== nleaf[k].out;
        for (var i = 0; i < D; i++) { nr[k].path[i] <== path[k][i]; nr[k].bits[i] <== bits[k][i]; }
    }
    component sizeBits = Num2Bits(236); sizeBits.in <== size;
    newRoot <== nr[1].root;
}
component main {public [oldRoot, price]} = Trade(24);
