"""The sequencer's side of the DA committee: hand each batch's payload to the members
(`zkclear da member`, sequencer/da/service.py) and collect their signatures.

- `ensure_genesis()`: each member gets the manifest and the genesis payload (batch 0) before
  anything else; a member that is down gets it later, when it is caught up.
- `collect(payload, stop)`: POST the payload to every member at once and keep each valid
  attestation (its signer recovered from the EIP-712 digest, one of the contract's members,
  for this batch's number, root and commitment); returns once `threshold` distinct members
  signed. A member that is down, slow or refusing is asked again after a pause, the others'
  signatures kept, for as long as it takes: a batch never goes to the chain with fewer than
  `threshold` signatures (the contract would refuse it anyway), it waits. A member that
  answers "behind" (it restarted with an old store, or was down for some batches) is sent
  the payloads it misses first (`payload_of(n)`: the pipeline rebuilds them from the log).

Signatures are not persisted: after a restart the batch is cut again and signed again (a
member keeps every candidate it signed until the chain settles one: see service.py)."""
from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Optional, Sequence

import httpx

from ..da.attest import Attestation, recover_signer
from ..da.payload import BatchPayload, commitment
from ..da.service import attestation_from_json
from .faults import tamper_payload
from .prover import Stopped

log = logging.getLogger("zkclear.committee")


class MemberRefused(Exception):
    pass


class Committee:
    def __init__(self, urls: Sequence[str], *, threshold: int, members: Sequence[str], chain_id: int, rollup: str,
                 manifest: dict, genesis: BatchPayload, payload_of: Callable[[int], BatchPayload],
                 timeout: float = 30.0, retry_s: float = 2.0):
        if not 1 <= threshold <= len(urls):
            raise ValueError(f"a threshold of {threshold} needs at least that many member URLs (have {len(urls)})")
        self.urls = [u.rstrip("/") for u in urls]
        self.threshold, self.members = int(threshold), set(members)
        self.chain_id, self.rollup, self.manifest = int(chain_id), rollup, manifest
        self.genesis, self.payload_of = genesis, payload_of
        self.retry_s = retry_s
        self.http = httpx.Client(timeout=timeout)
        self.pool = ThreadPoolExecutor(max_workers=max(1, len(self.urls)), thread_name_prefix="da")

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    # --- one member -----------------------------------------------------------------------------
    def _post_genesis(self, url: str) -> None:
        r = self.http.post(f"{url}/v1/genesis", json={"rollup": self.rollup, "manifest": self.manifest,
                                                      "payload": json.loads(self.genesis.to_json())})
        if r.status_code != 200:
            raise MemberRefused(f"genesis: HTTP {r.status_code}: {r.text[:300]}")

    def ensure_genesis(self) -> None:
        for url in self.urls:
            try:
                self._post_genesis(url)
            except Exception as exc:  # caught up later
                log.warning("DA member %s: no genesis yet (%s)", url, exc)

    def _post(self, j: int, payload: BatchPayload) -> httpx.Response:
        sent = tamper_payload(j, payload)  # tests only: ZKCLEAR_DA_TAMPER (faults.py)
        return self.http.post(f"{self.urls[j]}/v1/payloads", content=sent.to_json(),
                              headers={"content-type": "application/json"})

    def ask(self, j: int, payload: BatchPayload) -> Attestation:
        """One member's valid attestation of `payload`, catching it up first if it is behind."""
        url = self.urls[j]
        for _ in range(3):
            r = self._post(j, payload)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            if r.status_code == 200:
                att = attestation_from_json(body)
                want = (payload.batch_number, payload.new_root, commitment(payload))
                if (att.batch_number, att.new_root, att.commitment) != want:
                    raise MemberRefused("signed something else")
                if recover_signer(att, chain_id=self.chain_id, rollup=self.rollup) != att.signer:
                    raise MemberRefused("a signature that does not recover to its signer")
                if att.signer not in self.members:
                    raise MemberRefused(f"{att.signer} is not a member of the Rollup's committee")
                return att
            if r.status_code == 503:  # no genesis yet
                self._post_genesis(url)
                continue
            if r.status_code == 409 and body.get("reason") == "behind":
                for n in range(int(body["expected"]), payload.batch_number):
                    if n == 0:
                        self._post_genesis(url)
                        continue
                    rr = self._post(j, self.payload_of(n))
                    if rr.status_code != 200:
                        raise MemberRefused(f"catching up batch {n}: HTTP {rr.status_code}: {rr.text[:300]}")
                log.info("DA member %s caught up to batch %d", url, payload.batch_number - 1)
                continue
            raise MemberRefused(f"HTTP {r.status_code}: {body.get('detail', r.text[:300])}")
        raise MemberRefused("still behind after catching up")

    # --- the committee ------------------------------------------------------------------------------
    def collect(self, payload: BatchPayload, stop: threading.Event) -> list[Attestation]:
        """`threshold` attestations of distinct members (waits as long as it takes; Stopped
        when the service stops)."""
        got: dict[str, Attestation] = {}
        waiting, tries = list(range(len(self.urls))), 0
        while True:
            futures = {self.pool.submit(self.ask, j, payload): j for j in waiting}
            failed, pending = [], set(futures)
            while pending and len(got) < self.threshold:  # members that are slow do not hold up the rest
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        att = fut.result()
                        got.setdefault(att.signer, att)
                    except Exception as exc:
                        failed.append(futures[fut])
                        if tries % 10 == 0:
                            log.warning("batch %d: DA member %s did not sign: %s", payload.batch_number,
                                        self.urls[futures[fut]], exc)
                if stop.is_set():
                    raise Stopped()
            if len(got) >= self.threshold:
                log.info("batch %d: %d DA signature(s), %d needed", payload.batch_number, len(got), self.threshold)
                return sorted(got.values(), key=lambda a: int(a.signer, 16))[:self.threshold]
            tries += 1
            waiting = failed
            if stop.wait(self.retry_s):
                raise Stopped()


def members_of(urls: Sequence[str], timeout: float = 60.0, stop: Optional[threading.Event] = None) -> list[str]:
    """The members' addresses (GET /v1/member), waiting up to `timeout` s for each to answer."""
    import time

    out = []
    for url in urls:
        deadline = time.monotonic() + timeout
        while True:
            try:
                out.append(httpx.get(f"{url.rstrip('/')}/v1/member", timeout=5).json()["address"])
                break
            except Exception as exc:
                if time.monotonic() > deadline or (stop is not None and stop.is_set()):
                    raise RuntimeError(f"DA member {url} does not answer: {exc}") from None
                time.sleep(0.5)
    return out


__all__ = ["Committee", "MemberRefused", "members_of"]
