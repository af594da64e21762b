"""Ray against Dask distributed for the proving pool, measured on this machine:

    python -m sequencer.engine_compare [--workers 2] [--tasks 200] [--engines dask,ray] [--json]

For each engine: start-up (a local cluster of N one-thread workers, until a task has run on
each), memory (RSS of each worker process, and of the engine's own processes: scheduler and
nanny threads live in the caller for Dask; GCS, raylet, dashboard agents for Ray), task
overhead (round trip of an empty task, median of `--tasks`, sequential), and a dead worker
(a task that runs 4 s, its worker SIGKILLed after 1 s: seconds until the result comes from
another worker, and whether it came). The proving pool (`sequencer.pipeline.pool`) uses the
engine this chose; the figures are in the README ("Proving on a pool of workers")."""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import threading
import time


def _rss_mb(pid: int) -> float:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


def _pid() -> int:
    return os.getpid()


def _slow(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _noop(x):
    return x


def measure_dask(workers: int, tasks: int) -> dict:
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    addrs = list(client.scheduler_info()["workers"])
    pids = [client.submit(_pid, pure=False, workers=[a]).result() for a in addrs]
    startup = time.perf_counter() - t0
    worker_mb = [_rss_mb(p) for p in pids]
    rtt = []
    for i in range(tasks):
        t = time.perf_counter()
        client.submit(_noop, i, pure=False).result()
        rtt.append(time.perf_counter() - t)
    # a dead worker: the task is re-run elsewhere by the scheduler
    fut = client.submit(_slow, 4.0, pure=False, workers=[addrs[0]], allow_other_workers=True)
    victim = pids[0]
    time.sleep(1.0)
    t = time.perf_counter()
    os.kill(victim, signal.SIGKILL)
    try:
        ran_on = fut.result(timeout=120)
        recovered = ran_on != victim
    except Exception as exc:  # noqa: BLE001 - reported
        recovered = f"{type(exc).__name__}: {exc}"
    dead_s = time.perf_counter() - t
    caller_mb = _rss_mb(os.getpid())
    client.close()
    cluster.close()
    return {"engine": "dask", "workers": workers, "startup_s": round(startup, 2),
            "worker_rss_mb": [round(m) for m in worker_mb], "engine_procs_rss_mb": 0,
            "caller_rss_mb": round(caller_mb), "task_rtt_ms_p50": round(1000 * statistics.median(rtt), 2),
            "dead_worker": {"recovered": recovered, "result_after_kill_s": round(dead_s, 2)}}


def measure_ray(workers: int, tasks: int) -> dict:
    import psutil
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)

    @ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)
    class Worker:
        def pid(self):
            return os.getpid()

        def noop(self, x):
            return x

        def slow(self, seconds):
            time.sleep(seconds)
            return os.getpid()

    actors = [Worker.remote() for _ in range(workers)]
    pids = ray.get([a.pid.remote() for a in actors])
    startup = time.perf_counter() - t0
    worker_mb = [_rss_mb(p) for p in pids]
    me = psutil.Process()
    engine = [p for p in me.children(recursive=True) if p.pid not in pids]
    engine_mb = sum(_rss_mb(p.pid) for p in engine)
    rtt = []
    for i in range(tasks):
        t = time.perf_counter()
        ray.get(actors[i % workers].noop.remote(i))
        rtt.append(time.perf_counter() - t)
    # a dead worker: an actor restarted (max_restarts) and its task retried (max_task_retries)
    ref = actors[0].slow.remote(4.0)
    time.sleep(1.0)
    t = time.perf_counter()
    os.kill(pids[0], signal.SIGKILL)
    try:
        ran_on = ray.get(ref, timeout=120)
        recovered = ran_on != pids[0]
    except Exception as exc:  # noqa: BLE001 - reported
        recovered = f"{type(exc).__name__}: {exc}"
    dead_s = time.perf_counter() - t
    caller_mb = _rss_mb(os.getpid())
    ray.shutdown()
    return {"engine": "ray", "workers": workers, "startup_s": round(startup, 2),
            "worker_rss_mb": [round(m) for m in worker_mb], "engine_procs_rss_mb": round(engine_mb),
            "caller_rss_mb": round(caller_mb), "task_rtt_ms_p50": round(1000 * statistics.median(rtt), 2),
            "dead_worker": {"recovered": recovered, "result_after_kill_s": round(dead_s, 2)}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sequencer.engine_compare", description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--engines", default="dask,ray")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for name in args.engines.split(","):
        t = time.perf_counter()
        row = {"dask": measure_dask, "ray": measure_ray}[name](args.workers, args.tasks)
        row["import_and_run_s"] = round(time.perf_counter() - t, 1)
        row["loadavg"] = [round(x, 1) for x in os.getloadavg()]
        rows.append(row)
        if not args.json:
            print(row, flush=True)
    if args.json:
        print(json.dumps({"rows": rows}))
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda a: None
    raise SystemExit(main())
