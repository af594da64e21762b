"""A DA committee member as a process: `zkclear da member`.

    zkclear da member --store DIR --key KEYFILE --listen HOST:PORT --rpc-url URL [--rollup ADDR]

It wraps `member.Member` (check, store, sign) in an HTTP service the sequencer pushes
payloads to and owners read from, and keeps its store in step with the chain:

    POST /v1/genesis            {"rollup", "manifest", "payload"}: bind to a Rollup, store batch 0
    POST /v1/payloads           a batch's payload (BatchPayload JSON): check, store, answer the
                                EIP-712 attestation {"signer", "v", "r", "s", ...}
    GET  /v1/member             address, chain, rollup, last stored batch, root, pending batches
    GET  /v1/manifest           the store's manifest (tree shape, genesis root, sequencer key)
    GET  /v1/payloads/{n}       a stored payload: an owner replays 0..last (`zkclear exit`)
    GET  /health

Binding. Without `--rollup` the member learns the Rollup from the sequencer's genesis push
(the contract is deployed after its members exist) and accepts it only if the contract, on
the chain at `--rpc-url`, lists this member's address in its committee, and (while the
chain is at batch 0) its state root is the manifest's genesis root. The binding is kept in
DIR/member.json: any other Rollup is refused for good.

Stored vs pending. A payload is signed before its batch settles, and a batch the sequencer
abandons (a crash, an expired oracle round) is cut again, with another payload, under the
same number. So a member keeps what it signed for the next batch as *candidates*
(DIR/candidates/, one file per (batch, new root, commitment): the commitment covers the
writes only, so a re-cut under a later oracle round has the same one and another root; durable before the signature is
answered) and moves one into its append-only store (`store.PayloadStore`) only once the
chain has that batch: the one whose (new root, commitment) the chain's `BatchSubmitted` and
`BatchData` events carry. A payload for a batch the chain already has is stored at once if
it is the chain's. So the store only ever holds the chain's history, every signature this
member gave is backed by a payload on its disk, and the sequencer never meets "batch N is
stored with another payload" after a re-cut (at most 16 candidates a batch). The member
follows the chain in the background (every `--sync-interval` s), so the last batch before
the sequencer vanishes is stored too. Restart: the store is re-checked from genesis (`Member`), the candidates
re-checked against it.

Answers: 200 with the attestation; 409 `{"reason": "behind", "expected": k}` when the
payload is not the next batch it can check (the sequencer sends it batches k.. first); 422
`{"reason": "refused"}` for a payload that does not rebuild its root (nothing stored,
nothing signed); 409 `{"reason": "conflict"}` for a payload that contradicts what the chain
or the store has; 503 before the genesis push."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from .attest import Attestation, sign_batch_data
from .member import DAError, Member, check
from .payload import BatchPayload, commitment
from .store import MANIFEST, PayloadStore, StoreError

log = logging.getLogger("zkclear.da.member")
BINDING = "member.json"
CANDIDATES = "candidates"
MAX_CANDIDATES = 16  # per batch number: re-cuts are few; a sequencer cannot fill the member's disk


class Behind(Exception):
    def __init__(self, expected: int):
        super().__init__(f"expected batch {expected} first")
        self.expected = expected


class Conflict(Exception):
    pass


class Unbound(Exception):
    pass


def read_key(path: str | os.PathLike) -> bytes:
    """A secp256k1 private key file: 64 hex digits (0x optional)."""
    text = Path(path).read_text().strip().removeprefix("0x")
    key = bytes.fromhex(text)
    if len(key) != 32:
        raise ValueError(f"{path}: a member key is 32 bytes (64 hex digits)")
    return key


def attestation_json(att: Attestation) -> dict:
    return {"batch_number": att.batch_number, "new_root": str(att.new_root), "commitment": str(att.commitment),
            "signer": att.signer, "v": att.v, "r": str(att.r), "s": str(att.s)}


def attestation_from_json(d: dict) -> Attestation:
    return Attestation(int(d["batch_number"]), int(d["new_root"]), int(d["commitment"]), str(d["signer"]),
                       int(d["v"]), int(d["r"]), int(d["s"]))


class ChainView:
    """What a member reads from its chain: the Rollup's batch number and committee, and the
    (new root, DA commitment) of a settled batch from its events."""

    def __init__(self, rpc_url):
        """`rpc_url`: a node's URL, or a `verifier_contracts.evm.Chain` (tests)."""
        from verifier_contracts.evm import Chain

        self.chain = Chain.connect(rpc_url) if isinstance(rpc_url, str) else rpc_url
        self.chain_id = int(self.chain.w3.eth.chain_id)
        self._rollup = None

    def bind(self, rollup: str) -> None:
        from verifier_contracts.rollup import RollupClient

        if not self.chain.w3.eth.get_code(rollup):
            raise Conflict(f"no contract at {rollup} on chain {self.chain_id}")
        self._rollup = RollupClient.at(self.chain, rollup)

    @property
    def rollup(self):
        return self._rollup

    def batch_number(self) -> int:
        return int(self._rollup.rollup.functions.batchNumber().call())

    def state_root(self) -> int:
        return int(self._rollup.rollup.functions.stateRoot().call())

    def committee(self) -> tuple[list[str], int]:
        return self._rollup.da_committee()

    def settled(self, n: int) -> Optional[tuple[int, int]]:
        """(new root, DA commitment) of batch n from its events; None if the chain has none."""
        ev = self._rollup.rollup.events
        subs = ev.BatchSubmitted().get_logs(from_block=0, argument_filters={"batchNumber": n})
        if not subs:
            return None
        data = ev.BatchData().get_logs(from_block=0, argument_filters={"batchNumber": n})
        return int(subs[-1]["args"]["newRoot"]), (int(data[-1]["args"]["daCommitment"]) if data else 0)


class MemberService:
    """The member behind the routes: one lock around the store, the tree and the candidates."""

    def __init__(self, directory: str | os.PathLike, key: bytes, chain: ChainView, rollup: Optional[str] = None):
        from eth_account import Account
        from web3 import Web3

        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / CANDIDATES).mkdir(exist_ok=True)
        self.key, self.chain = key, chain
        self.address = Account.from_key(key).address
        self.lock = threading.RLock()
        self.member: Optional[Member] = None
        self.rollup: Optional[str] = None
        self.candidates: dict[int, dict[tuple[int, int], BatchPayload]] = {}  # n -> (root, commitment) -> payload
        binding = self.dir / BINDING
        if binding.exists():
            b = json.loads(binding.read_text())
            if rollup is not None and Web3.to_checksum_address(rollup) != b["rollup"]:
                raise Conflict(f"{self.dir} belongs to Rollup {b['rollup']}, not {rollup}")
            if int(b["chain_id"]) != chain.chain_id:
                raise Conflict(f"{self.dir} belongs to chain {b['chain_id']}, the node is chain {chain.chain_id}")
            self._bind(b["rollup"])
        elif rollup is not None:
            self._bind(Web3.to_checksum_address(rollup))
            self._write(binding, json.dumps({"rollup": self.rollup, "chain_id": chain.chain_id}))
        if self.rollup is not None and (self.dir / MANIFEST).exists():
            self._open()

    # --- start ----------------------------------------------------------------------------------
    def _bind(self, rollup: str) -> None:
        self.chain.bind(rollup)
        members, _ = self.chain.committee()
        if self.address not in members:
            raise Conflict(f"{self.address} is not a DA member of Rollup {rollup}")
        self.rollup = rollup

    def _open(self) -> None:
        """Re-check the whole store (Member's constructor), then each candidate against it."""
        self.member = Member(PayloadStore(self.dir), self.key, chain_id=self.chain.chain_id, rollup=self.rollup)
        for path in sorted((self.dir / CANDIDATES).glob("batch_*.json")):
            payload = BatchPayload.from_json(path.read_text())
            try:
                if payload.batch_number != self.member.batch_number + 1:
                    raise DAError("not the next batch")
                check(payload, self.member.tree, self.member.root)
            except DAError as exc:
                log.warning("candidate %s dropped: %s", path.name, exc)
                path.unlink()
                continue
            self.candidates.setdefault(payload.batch_number, {})[(payload.new_root, commitment(payload))] = payload
        log.info("store %s: batches 0..%d, %d candidate(s)", self.dir, self.member.batch_number,
                 sum(len(c) for c in self.candidates.values()))
        self.sync()

    @staticmethod
    def _write(path: Path, text: str) -> None:
        PayloadStore._write(path, text)

    # --- genesis ----------------------------------------------------------------------------------
    def genesis(self, rollup: str, manifest: dict, payload: BatchPayload) -> dict:
        from web3 import Web3

        rollup = Web3.to_checksum_address(rollup)
        with self.lock:
            if self.rollup is None:
                self._bind(rollup)
                self._write(self.dir / BINDING, json.dumps({"rollup": rollup, "chain_id": self.chain.chain_id}))
            elif rollup != self.rollup:
                raise Conflict(f"this member serves Rollup {self.rollup}, not {rollup}")
            if payload.batch_number != 0:
                raise DAError("the genesis payload is batch 0")
            if int(manifest["genesis_root"]) != payload.new_root:
                raise DAError("the manifest's genesis root is not the genesis payload's root")
            if self.chain.batch_number() == 0 and self.chain.state_root() != payload.new_root:
                raise Conflict("the genesis root is not the Rollup's state root")
            if self.member is not None and self.member.batch_number >= 0:
                if self.member.store.get(0).to_json() != payload.to_json():
                    raise Conflict("another genesis payload is stored")
                return self.status()
            try:
                store = PayloadStore.create(self.dir, arity=int(manifest["arity"]), depth=int(manifest["depth"]),
                                            num_markets=int(manifest["num_markets"]),
                                            genesis_root=int(manifest["genesis_root"]),
                                            sequencer_public_key=tuple(int(v) for v in manifest["sequencer_public_key"]))
            except StoreError as exc:
                raise Conflict(str(exc)) from None
            member = Member(store, self.key, chain_id=self.chain.chain_id, rollup=self.rollup)
            member.receive(payload)
            self.member = member
            log.info("genesis stored: Rollup %s, root %#x", self.rollup, payload.new_root)
            return self.status()

    # --- payloads ---------------------------------------------------------------------------------
    def _require(self) -> Member:
        if self.member is None:
            raise Unbound("no genesis yet: POST /v1/genesis first")
        return self.member

    def _sign(self, payload: BatchPayload) -> Attestation:
        return sign_batch_data(self.key, payload.batch_number, payload.new_root, commitment(payload),
                               chain_id=self.chain.chain_id, rollup=self.rollup)

    def receive(self, payload: BatchPayload) -> Attestation:
        with self.lock:
            member = self._require()
            self._sync_locked()
            n, last = payload.batch_number, member.batch_number
            if n <= last:
                if member.store.get(n).to_json() != payload.to_json():
                    raise Conflict(f"batch {n} is stored with another payload (the chain's)")
                return self._sign(payload)  # a resend: the same signature
            if n != last + 1:
                raise Behind(last + 1)
            check(payload, member.tree, member.root)  # DAError: refused, nothing kept
            c = commitment(payload)
            on_chain = self.chain.settled(n) if self.chain.batch_number() >= n else None
            if on_chain is not None:  # the chain has this batch: only its own payload is stored
                if on_chain != (payload.new_root, c):
                    raise Conflict(f"batch {n} is on chain with another root or commitment")
                member.receive(payload)
                self._drop_candidates(n)
                return self._sign(payload)
            if (payload.new_root, c) not in self.candidates.get(n, {}):
                if len(self.candidates.get(n, {})) >= MAX_CANDIDATES:
                    raise Conflict(f"batch {n} already has {MAX_CANDIDATES} candidates: wait for the chain")
                name = f"batch_{n:08d}_{payload.new_root:064x}_{c:064x}.json"
                self._write(self.dir / CANDIDATES / name, payload.to_json())
                self.candidates.setdefault(n, {})[(payload.new_root, c)] = payload
                log.info("batch %d: candidate %#x checked, kept and signed", n, c)
            return self._sign(payload)

    def _drop_candidates(self, upto: int) -> None:
        for n in [k for k in self.candidates if k <= upto]:
            del self.candidates[n]
        for path in (self.dir / CANDIDATES).glob("batch_*.json"):
            if int(path.stem.split("_")[1]) <= upto:
                path.unlink()

    def sync(self) -> int:
        """Store the candidates the chain settled; the last stored batch."""
        with self.lock:
            return self._sync_locked()

    def follow(self, stop: threading.Event, interval: float = 2.0) -> threading.Thread:
        """`sync` every `interval` s in a thread until `stop`: the batch the chain settles last
        is stored even if nobody sends this member anything again."""
        def loop():
            while not stop.wait(interval):
                try:
                    self.sync()
                except Exception as exc:  # the node may be down for a while: try again later
                    log.warning("sync with the chain failed: %s", exc)
        thread = threading.Thread(target=loop, name="da-sync", daemon=True)
        thread.start()
        return thread

    def _sync_locked(self) -> int:
        member = self.member
        if member is None:
            return -1
        head = self.chain.batch_number()
        while member.batch_number < head:
            n = member.batch_number + 1
            cands = self.candidates.get(n)
            if not cands:
                break
            on_chain = self.chain.settled(n)
            payload = cands.get(on_chain) if on_chain is not None else None
            if payload is None:
                log.warning("batch %d is on chain but not among this member's candidates: waiting for it", n)
                break
            member.receive(payload)
            self._drop_candidates(n)
            log.info("batch %d settled on chain: stored", n)
        return member.batch_number

    # --- reads -------------------------------------------------------------------------------------
    def status(self) -> dict:
        m = self.member
        return {"address": self.address, "chain_id": self.chain.chain_id, "rollup": self.rollup,
                "initialized": m is not None and m.batch_number >= 0,
                "last": m.batch_number if m is not None else -1,
                "root": str(m.root) if m is not None and m.root is not None else None,
                "pending": sorted(self.candidates)}

    def manifest(self) -> dict:
        return self._require().store.manifest()

    def payload(self, n: int) -> Optional[str]:
        member = self._require()
        path = member.store._path(n)
        return path.read_text() if path.exists() else None


def create_app(service: MemberService):
    from fastapi import Body, FastAPI
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title="zkclear DA member", version="1")

    def refusal(status: int, detail: str, reason: str, **extra) -> JSONResponse:
        return JSONResponse({"detail": detail, "reason": reason, **extra}, status_code=status)

    def guarded(fn):
        try:
            return fn()
        except Behind as exc:
            return refusal(409, str(exc), "behind", expected=exc.expected)
        except Conflict as exc:
            log.warning("conflict: %s", exc)
            return refusal(409, str(exc), "conflict")
        except (DAError, ValueError, KeyError, TypeError) as exc:
            log.warning("refused: %s", exc)
            return refusal(422, f"refused: {exc}", "refused")
        except Unbound as exc:
            return refusal(503, str(exc), "no genesis")

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/v1/member")
    def member():
        try:
            service.sync()
        except Exception as exc:  # the chain is unreachable: answer what is stored
            log.warning("sync with the chain failed: %s", exc)
        return service.status()

    @app.post("/v1/genesis")
    def genesis(body: dict = Body(...)):
        return guarded(lambda: service.genesis(str(body["rollup"]), dict(body["manifest"]),
                                               BatchPayload.from_json(json.dumps(body["payload"]))))

    @app.post("/v1/payloads")
    def payloads(body: dict = Body(...)):
        return guarded(lambda: attestation_json(service.receive(BatchPayload.from_json(json.dumps(body)))))

    @app.get("/v1/manifest")
    def manifest():
        return guarded(service.manifest)

    @app.get("/v1/payloads/{n}")
    def payload(n: int):
        def get():
            service.sync()
            text = service.payload(n)
            if text is None:
                return refusal(404, f"batch {n} is not stored", "not stored")
            return Response(text, media_type="application/json")
        return guarded(get)

    return app


def run_member(args) -> int:
    import uvicorn

    from prover.errors import CliError

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    host, _, port = args.listen.rpartition(":")
    try:
        service = MemberService(args.store, read_key(args.key), ChainView(args.rpc_url), args.rollup)
    except (Conflict, DAError, StoreError, ValueError, OSError, ConnectionError) as exc:
        raise CliError(f"{type(exc).__name__}: {exc}", 1) from None
    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    server = uvicorn.Server(uvicorn.Config(create_app(service), host=host or "127.0.0.1", port=int(port),
                                           log_level="warning", access_log=False, lifespan="off"))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise CliError(f"the HTTP server did not start on {args.listen}", 1)
        time.sleep(0.05)
    h, p = server.servers[0].sockets[0].getsockname()[:2]
    print(f"listening on http://{h}:{p} as {service.address}", flush=True)
    service.follow(stop, args.sync_interval)
    try:
        stop.wait()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return 0


__all__ = ["MemberService", "ChainView", "create_app", "run_member", "read_key", "attestation_json",
           "attestation_from_json"]
