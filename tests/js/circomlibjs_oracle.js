// circomlibjs as an oracle for tests/circuits/test_crypto_*.py: reads one JSON job on stdin,
// writes the answers as JSON on stdout. Node starts slowly, so a job batches many cases, and
// only the circomlibjs objects a job needs are built. Field elements cross as decimal strings
// (JSON numbers would lose precision), bytes as hex.
//
// {"poseidon": [[x, ...], ...]}                       -> {"poseidon": [hash, ...]}
// {"sign": [{"prv": hex, "msg": x}, ...]}             -> {"sign": [{"A", "R8", "S", "packed"}]}
// {"verify": [{"msg", "R8": [x, y], "S", "A": [x, y]}]} -> {"verify": [bool, ...]}
// {"blake512": [hex, ...]}                            -> {"blake512": [hex, ...]}
// {"pack": [[x, y], ...]}                             -> {"pack": [hex, ...]}
// {"unpack": [hex, ...]}                              -> {"unpack": [[x, y] | null, ...]}
// {"mul_base8": [k, ...]}                             -> {"mul_base8": [[x, y], ...]}
// {"add": [[[x1, y1], [x2, y2]], ...]}                -> {"add": [[x, y], ...]}
// {"merkle": [{"arity": 2|4, "leaves": [x, ...]}]}    -> {"merkle": [root, ...]}
//   (a complete tree over the leaves, whose count is a power of the arity; node = poseidon(children))
const { buildPoseidon, buildEddsa, buildBabyjub } = require("circomlibjs");
const createBlakeHash = require("blake-hash");

(async () => {
  const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const out = {};
  const needs = (...keys) => keys.some((k) => job[k] !== undefined);

  if (needs("poseidon", "merkle")) {
    const poseidon = await buildPoseidon();
    const F = poseidon.F;
    const h = (xs) => poseidon(xs.map((x) => BigInt(x)));
    const str = (x) => F.toObject(x).toString();
    if (job.poseidon) out.poseidon = job.poseidon.map((xs) => str(h(xs)));
    if (job.merkle) {
      out.merkle = job.merkle.map(({ arity, leaves }) => {
        let level = leaves.map((x) => F.e(BigInt(x)));
        while (level.length > 1) {
          const next = [];
          for (let i = 0; i < level.length; i += arity) next.push(poseidon(level.slice(i, i + arity)));
          level = next;
        }
        return str(level[0]);
      });
    }
  }

  if (needs("sign", "verify")) {
    const eddsa = await buildEddsa();
    const bj = eddsa.babyJub;
    const F = bj.F;
    const str = (x) => F.toObject(x).toString();
    const pt = (p) => [F.e(BigInt(p[0])), F.e(BigInt(p[1]))];
    if (job.sign) {
      out.sign = job.sign.map(({ prv, msg }) => {
        const key = Buffer.from(prv, "hex");
        const A = eddsa.prv2pub(key);
        const sig = eddsa.signPoseidon(key, F.e(BigInt(msg)));
        return { A: [str(A[0]), str(A[1])], R8: [str(sig.R8[0]), str(sig.R8[1])], S: sig.S.toString(),
                 packed: Buffer.from(bj.packPoint(A)).toString("hex") };
      });
    }
    if (job.verify) {
      out.verify = job.verify.map(({ msg, R8, S, A }) =>
        eddsa.verifyPoseidon(F.e(BigInt(msg)), { R8: pt(R8), S: BigInt(S) }, pt(A)));
    }
  }

  if (needs("pack", "unpack", "mul_base8", "add")) {
    const bj = await buildBabyjub();
    const F = bj.F;
    const pt = (p) => [F.e(BigInt(p[0])), F.e(BigInt(p[1]))];
    const obj = (p) => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
    if (job.pack) out.pack = job.pack.map((p) => Buffer.from(bj.packPoint(pt(p))).toString("hex"));
    if (job.unpack) {
      out.unpack = job.unpack.map((hex) => {
        const p = bj.unpackPoint(Uint8Array.from(Buffer.from(hex, "hex")));
        return p === null ? null : obj(p);
      });
    }
    if (job.mul_base8) out.mul_base8 = job.mul_base8.map((k) => obj(bj.mulPointEscalar(bj.Base8, BigInt(k))));
    if (job.add) out.add = job.add.map(([p, q]) => obj(bj.addPoint(pt(p), pt(q))));
  }

  if (job.blake512) {
    out.blake512 = job.blake512.map((hex) =>
      createBlakeHash("blake512").update(Buffer.from(hex, "hex")).digest("hex"));
  }

  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
