// @zk-kit/poseidon-cipher as an oracle for tests/circuits/test_poseidon_cipher.py: reads one
// JSON job on stdin, writes the answers as JSON on stdout (field elements as decimal strings).
//
// {"encrypt": [{"msg": [x, ...], "key": [k0, k1], "nonce": n}, ...]} -> {"encrypt": [[c, ...], ...]}
// {"decrypt": [{"ct": [c, ...], "key": [k0, k1], "nonce": n, "length": L}]} -> {"decrypt": [[x, ...] | null, ...]}
const { poseidonEncrypt, poseidonDecrypt } = require("@zk-kit/poseidon-cipher");

const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
const big = (xs) => xs.map((x) => BigInt(x));
const out = {};
if (job.encrypt) {
  out.encrypt = job.encrypt.map(({ msg, key, nonce }) => poseidonEncrypt(big(msg), big(key), BigInt(nonce)).map(String));
}
if (job.decrypt) {
  out.decrypt = job.decrypt.map(({ ct, key, nonce, length }) => {
    try {
      return poseidonDecrypt(big(ct), big(key), BigInt(nonce), length).map(String);
    } catch (e) {
      return null;
    }
  });
}
process.stdout.write(JSON.stringify(out));
