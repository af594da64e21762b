"""`zkclear serve`: the sequencer service (HTTP API + the pipeline + its chain).

    zkclear serve [--db URL] [--rpc-url URL] [--preset tiny|demo|mainnet] [--host H] [--port N]
                  [--batch-age S] [--max-pending N] [--dev-reporters] [--data-dir DIR]
                  [--background-nice N] [--provers N] [--cluster ADDRESS]

Defaults that work on a fresh clone: SQLite under ./zkclear_data/, the tiny preset, and a
chain of its own: anvil (node_modules/.bin/anvil) on a free loopback port, its state kept in
DATA/anvil_state.json, with the Rollup (committee oracle, TestStablecoin collateral,
verifiers from the development keys) deployed and the reference reporters posting a round
every few seconds. With --rpc-url it uses that node: the contracts are deployed once and
their addresses kept in the database (a restart finds them); --dev-reporters posts rounds
there too (local chains only: the reporter keys are public). `--background-nice N` runs
the proving worker (from its first proof on: the key is set up at full priority) and the
local anvil N below the API's CPU priority: on a machine of its own with few cores, a proof
then takes the CPU the requests leave rather than delaying their answers. It is off (0) by
default: on a machine shared with other busy processes a niced prover can starve, and
batches then settle minutes late.

`--provers N` proves on a local Dask cluster of N workers (each a process with the key
loaded), `--cluster ADDRESS` on a running one (scale out: start `dask worker ADDRESS
--nthreads 1` on more machines); up to that many batches prove at once and settle in batch
order, and a worker that dies mid-proof has its batch proven by another
(`pipeline/pool.py`). The default is today's single worker process.

Prints one line `listening on http://HOST:PORT` when ready. SIGTERM/SIGINT: the HTTP server
stops, the pipeline leaves the batch in hand (abandoned and re-proved after a restart, or
settled then if the chain has it), the proving worker is killed, and the chain it started is
stopped; exit code 0. A SIGKILL leaves nothing running either: the worker and anvil get a
parent-death signal. Crash safety and the fault-injection hook: `pipeline/service.py`,
`pipeline/faults.py`."""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("zkclear.serve")


def run_serve(args) -> int:
    import uvicorn

    from prover.errors import CliError

    from .api import Services, Settings, create_app
    from .oplog import Store
    from .pipeline.chain import LocalAnvil, open_chain
    from .pipeline.prover import ProvingStage
    from .pipeline.service import Pipeline
    from .spec.constants import PRESETS

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("signal %d: shutting down", signum)
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = args.db or f"sqlite:///{data_dir / 'zkclear.db'}"
    preset = PRESETS[args.preset]
    settings = Settings(db_url=db_url, preset=preset.name, max_pending=args.max_pending)
    anvil = proving = pipeline = server = thread = services = None
    store = Store(db_url)
    try:
        rpc_url, reporters = args.rpc_url, args.dev_reporters
        if rpc_url is None:
            anvil = LocalAnvil(state=data_dir / "anvil_state.json", nice=args.background_nice)
            rpc_url, reporters = anvil.url, True
            log.info("local chain: anvil at %s", rpc_url)
        proving = ProvingStage(preset, data_dir, args.zkey, nice=args.background_nice,
                               provers=getattr(args, "provers", 1), cluster=getattr(args, "cluster", None))
        warm = proving.worker.warm()  # build the circuit and load (or set up) the key meanwhile
        try:
            handle = open_chain(store, rpc_url, preset, lambda: proving.vk_jsons(stop), reporters)
        except Exception as exc:
            if stop.is_set():
                return 0
            raise CliError(f"cannot open the chain at {rpc_url}: {type(exc).__name__}: {exc}", 1) from None
        services = Services.build(store, handle.genesis.state(preset), max_pending=settings.max_pending,
                                  chain=handle.info(rpc_url))
        pipeline = Pipeline(store, services.admission, handle, proving, preset, batch_age=args.batch_age,
                            confirmations=args.confirmations, metrics=services.metrics)
        pipeline.recover()
        app = create_app(settings, services)
        config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                                lifespan="off")
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # ours, above
        thread = threading.Thread(target=server.run, name="http", daemon=True)
        thread.start()
        while not server.started:
            if stop.is_set() or not thread.is_alive():
                raise CliError(f"the HTTP server did not start on {args.host}:{args.port}", 1)
            time.sleep(0.05)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        pipeline.start_reporters(args.round_interval)
        pipeline.start()
        print(f"listening on http://{host}:{port}", flush=True)
        warm.add_done_callback(lambda f: log.info("prover ready: %s", f.result() if not f.exception()
                                                  else f.exception()))
        while not stop.wait(0.5):
            if pipeline.error is not None:
                log.error("the pipeline stopped: shutting down")
                return 1
        return 0
    finally:
        if server is not None:
            server.should_exit = True
        if pipeline is not None:
            pipeline.close()
        if proving is not None:
            proving.close()
        if thread is not None:
            thread.join(timeout=10)
        if services is not None:
            services.admission.close()
        store.close()
        if anvil is not None:
            anvil.stop()
        log.info("stopped")


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the sequencer service: HTTP API, batcher, prover, submitter",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default=None, help="database URL (default sqlite:///DATA/zkclear.db; postgresql://...)")
    p.add_argument("--rpc-url", default=None, help="an Ethereum node (default: start anvil)")
    p.add_argument("--preset", default="tiny", choices=("tiny", "demo", "mainnet"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0: a free port")
    p.add_argument("--batch-age", type=float, default=5.0, help="cut a batch when its oldest op is this old (s)")
    p.add_argument("--max-pending", type=int, default=10_000, help="accepted ops not yet batched; beyond: 429")
    p.add_argument("--dev-reporters", action="store_true",
                   help="post oracle rounds with the public development reporters (local chains only)")
    p.add_argument("--round-interval", type=float, default=3.0, help="seconds between the reporters' rounds")
    p.add_argument("--confirmations", type=int, default=0, help="blocks deep an L1 entry must be before it is acted on, and a batch before it is "
                        "settled (a batch a reorg drops meanwhile is sent again)")
    p.add_argument("--data-dir", default="zkclear_data", help="keys, SQLite file, local chain state")
    p.add_argument("--background-nice", type=int, default=0,
                   help="CPU priority the proving worker and the local anvil give up (os.nice; default 0: "
                        "none), so that proving does not delay the API's answers on a machine of its own")
    p.add_argument("--zkey", default=None, help="a ceremony's .zkey for the settlement circuit (default: dev key)")
    p.add_argument("--provers", type=int, default=1,
                   help="proving workers on this machine (default 1: one worker process; more: a local Dask "
                        "cluster, that many batches proving at once, settled in batch order)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="prove on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786) instead: its "
                        "workers (one thread each) read the key from the same --zkey/--data-dir paths")
    p.set_defaults(func=run_serve)
