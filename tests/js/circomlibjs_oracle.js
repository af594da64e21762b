// Reads a JSON job from stdin, answers with circomlibjs's results on stdout (one process per batch).
// {"poseidon": [[..inputs..], ...], "sign": [{"prv": hex, "msg": dec}], "verify": [{"msg", "R8", "S", "A"}]}
const { buildPoseidon, buildEddsa, buildBabyjub } = require("circomlibjs");

(async () => {
  const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const poseidon = await buildPoseidon();
  const eddsa = await buildEddsa();
  const babyjub = await buildBabyjub();
  const F = poseidon.F;
  const big = (x) => F.toObject(x).toString();
  const out = {};
  out.poseidon = (job.poseidon || []).map((xs) => big(poseidon(xs.map(BigInt))));
  out.sign = (job.sign || []).map(({ prv, msg }) => {
    const key = Buffer.from(prv, "hex");
    const A = eddsa.prv2pub(key);
    const sig = eddsa.signPoseidon(key, F.e(BigInt(msg)));
    return { A: [big(A[0]), big(A[1])], R8: [big(sig.R8[0]), big(sig.R8[1])], S: sig.S.toString(),
             packed: Buffer.from(babyjub.packPoint(A)).toString("hex") };
  });
  out.verify = (job.verify || []).map(({ msg, R8, S, A }) =>
    eddsa.verifyPoseidon(F.e(BigInt(msg)), { R8: [F.e(BigInt(R8[0])), F.e(BigInt(R8[1]))], S: BigInt(S) },
                         [F.e(BigInt(A[0])), F.e(BigInt(A[1]))]));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
