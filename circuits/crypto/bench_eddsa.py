"""EdDSA-Poseidon verification speed: the Python reference against the native extension.

    python -m circuits.crypto.bench_eddsa [--rows 5000] [--python-rows 100] [--threads 1,2]

Prints verifications per second for the Python reference (`verify_poseidon_python`), the
native single call through `verify_poseidon` (Python argument handling included) and raw
(`_native.eddsa_poseidon_verify` on prepared bytes), and the batch (`verify_poseidon_many`,
and raw `eddsa_poseidon_verify_many`) with each rayon thread count asked for (each in a
child process, since rayon sizes its pool once per process). A co-signed trade needs two.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _signatures(k: int):
    from circuits.crypto.eddsa import PrivateKey
    from prover.field import R

    out = []
    for i in range(k):
        key = PrivateKey.from_seed(b"bench-%d" % i)
        msg = (0x9E3779B97F4A7C15 * (i + 1) ** 7) % R
        out.append((msg, key.sign(msg), key.public_key))
    return out


def _rate(fn, n: int, repeat: int = 3) -> float:
    """The best of `repeat` runs of fn() (which does n verifications), per second."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n / best


def _rows(items) -> bytes:
    return b"".join(v.to_bytes(32, "little") for msg, sig, pub in items for v in (msg, *pub, *sig.R8, sig.S))


def batch(rows: int) -> dict:
    """Batched rates in this process (RAYON_NUM_THREADS as set by the parent)."""
    from circuits.crypto import eddsa

    native = eddsa._native()
    sigs = _signatures(32)
    items = [sigs[i % len(sigs)] for i in range(rows)]
    buf = _rows(items)
    assert all(eddsa.verify_poseidon_many(items[:64]))
    return {"many": _rate(lambda: eddsa.verify_poseidon_many(items), rows),
            "many_raw": _rate(lambda: native.eddsa_poseidon_verify_many(buf), rows)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5000, help="signatures per batched run")
    ap.add_argument("--python-rows", type=int, default=100, help="signatures for the Python reference")
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}", help="rayon thread counts for the batch")
    ap.add_argument("--batch-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.batch_only:
        print(json.dumps(batch(args.rows)))
        return

    from circuits.crypto import eddsa

    native = eddsa._native()
    sigs = _signatures(32)
    py_items = [sigs[i % len(sigs)] for i in range(args.python_rows)]
    print(f"EdDSA-Poseidon verifications per second ({os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}); a co-signed trade needs 2")
    rate = _rate(lambda: [eddsa.verify_poseidon_python(*it) for it in py_items], len(py_items), repeat=1)
    print(f"  python reference  verify_poseidon_python        {rate:10.0f} /s")
    if native is None:
        print("  (prover._native has no EdDSA: nothing else to measure)")
        return
    n = min(args.rows, 5000)
    items = [sigs[i % len(sigs)] for i in range(n)]
    rate = _rate(lambda: [eddsa.verify_poseidon(*it) for it in items], n)
    print(f"  native, single    verify_poseidon               {rate:10.0f} /s")
    rows = [_rows([it]) for it in items]
    parts = [(r[:32], r[32:96], r[96:160], r[160:]) for r in rows]
    rate = _rate(lambda: [native.eddsa_poseidon_verify(*p) for p in parts], n)
    print(f"  native, single    _native.eddsa_poseidon_verify {rate:10.0f} /s")
    for threads in [int(t) for t in args.threads.split(",")]:
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, "-m", "circuits.crypto.bench_eddsa", "--batch-only",
                              "--rows", str(args.rows)], env=env, check=True, capture_output=True, text=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  native, batch {threads:2d}t verify_poseidon_many          {res['many']:10.0f} /s")
        print(f"  native, batch {threads:2d}t _native..._verify_many        {res['many_raw']:10.0f} /s")


if __name__ == "__main__":
    main()
