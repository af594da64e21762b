"""EdDSA-Poseidon verification speed: the Python reference against the native extension.

    python -m circuits.crypto.bench_eddsa [--rows 5000] [--python-rows 100] [--threads 1,2]

Prints verifications per second for the Python reference (`verify_poseidon_python`, with the
native Poseidon and with the Python one), the
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
from contextlib import contextmanager


def _signatures(k: int):
    from circuits.crypto.eddsa import PrivateKey
    from prover.field import R

    out = []
    for i in range(k):
        key = PrivateKey.from_seed(b"bench-%d" % i)
        msg = (0x9E3779B97F4A7C15 * (i + 1) ** 7) % R
        out.append((msg, key.sign(msg), key.public_key))
    return out


def _rate(fn, n: int, repeat: int = 3) -> tuple[float, float]:
    """fn() does n verifications: (per wall-clock second, per CPU second of this process, all
    threads), each the best of `repeat` runs. On a shared machine the second is the steadier;
    on k idle cores a batch's wall-clock rate approaches k times it."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return n / wall, n / cpu


def _line(label: str, rates) -> None:
    print(f"  {label:54s} {rates[0]:9.0f} /s  {rates[1]:9.0f} /CPU-s")


def _rows(items) -> bytes:
    return b"".join(v.to_bytes(32, "little") for msg, sig, pub in items for v in (msg, *pub, *sig.R8, sig.S))


@contextmanager
def _python_poseidon(eddsa, poseidon):
    """verify_poseidon_python with the Python Poseidon too, as without the extension."""
    saved = eddsa.poseidon_hash
    eddsa.poseidon_hash = poseidon.poseidon_hash_python
    try:
        yield
    finally:
        eddsa.poseidon_hash = saved


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
    _line("python reference  verify_poseidon_python",
          _rate(lambda: [eddsa.verify_poseidon_python(*it) for it in py_items], len(py_items), repeat=1))
    from circuits.crypto import poseidon

    with _python_poseidon(eddsa, poseidon):
        _line("python reference, Python Poseidon (no extension)",
              _rate(lambda: [eddsa.verify_poseidon_python(*it) for it in py_items[:20]], 20, repeat=1))
    if native is None:
        print("  (prover._native has no EdDSA: nothing else to measure)")
        return
    n = min(args.rows, 5000)
    items = [sigs[i % len(sigs)] for i in range(n)]
    _line("native, single    verify_poseidon", _rate(lambda: [eddsa.verify_poseidon(*it) for it in items], n))
    rows = [_rows([it]) for it in items]
    parts = [(r[:32], r[32:96], r[96:160], r[160:]) for r in rows]
    _line("native, single    _native.eddsa_poseidon_verify",
          _rate(lambda: [native.eddsa_poseidon_verify(*p) for p in parts], n))
    for threads in [int(t) for t in args.threads.split(",")]:
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, "-m", "circuits.crypto.bench_eddsa", "--batch-only",
                              "--rows", str(args.rows)], env=env, check=True, capture_output=True, text=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        _line(f"native, batch {threads:2d}t verify_poseidon_many", res["many"])
        _line(f"native, batch {threads:2d}t _native.eddsa_poseidon_verify_many", res["many_raw"])


if __name__ == "__main__":
    main()
