const { buildEddsa, buildPoseidon } = require(process.env.CIRCOMLIBJS || "circomlibjs");
(async () => {
  const eddsa = await buildEddsa(); const P = await buildPoseidon(); const F = P.F;
  const D = 24, price = 3n, size = 5n, bal = [1000000n, 2000000n];
  const keys = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
  const pubs = keys.map(k => eddsa.prv2pub(k));
  const leaf = [0, 1].map(k => P([pubs[k][0], pubs[k][1], bal[k]]));
  // leaf 0 at index 0, leaf 1 at index 1; higher siblings are zero subtrees
  const zeros = [F.zero]; for (let i = 1; i < D; i++) zeros.push(P([zeros[i-1], zeros[i-1]]));
  let node = P([leaf[0], leaf[1]]);
  for (let i = 1; i < D; i++) node = P([node, zeros[i]]);
  const oldRoot = node;
  const order = P([price, size, oldRoot]);
  const sigs = keys.map(k => eddsa.signPoseidon(k, order));
  const path = [[leaf[1], ...zeros.slice(1)], [leaf[0], ...zeros.slice(1)]];
  const s = x => F.toObject(x).toString();
  const input = { oldRoot: s(oldRoot), price: price.toString(), size: size.toString(),
    ax: pubs.map(p => s(p[0])), ay: pubs.map(p => s(p[1])),
    r8x: sigs.map(g => s(g.R8[0])), r8y: sigs.map(g => s(g.R8[1])), s: sigs.map(g => g.S.toString()),
    bal: bal.map(String), path: path.map(p => p.map(s)), bits: [Array(D).fill("0"), ["1", ...Array(D-1).fill("0")]] };
  require("fs").writeFileSync("input.json", JSON.stringify(input));
})();
