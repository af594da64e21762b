"""The pipeline and its DA committee, in this process, on a real anvil: the Rollup deployed by
`open_chain` with a 2-of-3 committee, members served over HTTP (`sequencer.da.service`, each
a uvicorn server in a thread), the pipeline's batcher, watchers, committee and submitter.
Proofs come from a synthetic key, as in test_reorg.py (the DA logic is what is tested here;
test_serve_da.py runs it all with the real prover as processes).

- with one member down, batches settle with the two others' signatures;
- the member that comes back late is sent genesis and every batch it missed (rebuilt from the
  log), signs again, and its store alone rebuilds an owner's leaf at the chain's root;
- a member restarted on its folder re-checks it and keeps its candidates; a payload the
  chain contradicts is refused; a member is never bound to a Rollup that does not list it;
- `zkclear exit` refuses to run before a freeze."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import replace

import httpx
import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.da.attest import addresses, dev_member_keys
from sequencer.da.owner import rebuild
from sequencer.da.payload import BatchPayload
from sequencer.da.service import ChainView, Conflict, MemberService, create_app
from sequencer.da.store import PayloadStore
from sequencer.pipeline.chain import free_port
from test_reorg import SyntheticProving, World

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]
KEYS = dev_member_keys("test-da-committee", 3)


class MemberServer:
    """One member's HTTP service in a thread, on a fixed port (so it can come back there)."""

    def __init__(self, directory, key, rpc_url, port):
        import uvicorn

        self.service = MemberService(directory, key, ChainView(rpc_url))
        self.stopping = threading.Event()
        self.service.follow(self.stopping, 0.2)
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.service), host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    def stop(self):
        self.stopping.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)


class DAWorld(World):
    """test_reorg's World with a DA committee of three, member 2 not started."""

    def __init__(self, tmp_path):
        from sequencer.api import Services
        from sequencer.oplog import Store
        from sequencer.pipeline.chain import LocalAnvil, open_chain
        from sequencer.pipeline.service import Pipeline
        from sequencer.spec import TINY

        self.anvil = LocalAnvil()
        self.store = Store(f"sqlite:///{tmp_path}/ops.db")
        self.proving = SyntheticProving(random.Random(5))
        self.handle = open_chain(self.store, self.anvil.url, TINY, self.proving.vk_jsons, reporters=True,
                                 da_members=lambda: addresses(KEYS), da_threshold=2)
        self.proving.rollup = self.rollup = self.handle.rollup
        self.w3 = self.handle.chain.w3
        self.services = Services.build(self.store, self.handle.genesis.state(TINY))
        self.ports = [free_port() for _ in KEYS]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.dirs = [tmp_path / f"member{j}" for j in range(3)]
        self.members = {j: MemberServer(self.dirs[j], KEYS[j], self.anvil.url, self.ports[j]) for j in (0, 1)}
        self.pipeline = Pipeline(self.store, self.services.admission, self.handle, self.proving, TINY, batch_age=0,
                                 poll_s=0.05, da_urls=self.urls)
        self.pipeline.committee.retry_s = 0.2
        self.pipeline.recover()
        self.k = 0

    def status(self, j):
        return httpx.get(f"{self.urls[j]}/v1/member").json()

    def close(self):
        for m in self.members.values():
            m.stop()
        super().close()


@pytest.fixture
def w(tmp_path):
    world = DAWorld(tmp_path)
    yield world
    world.close()


def test_two_of_three_settle_a_late_member_is_caught_up_and_its_store_rebuilds_the_chain(w):
    l1 = w.w3.eth.accounts
    w.pipeline.start()
    aid = w.register(b"committee-alice", l1[1])
    w.deposit(aid, 1000, l1[1])
    w.wait(lambda: w.settled.registration_index == 1, "batch 1 settles with members 0 and 1")
    w.register(b"committee-bob", l1[2])
    w.wait(lambda: w.settled.registration_index == 2, "batch 2 settles with members 0 and 1")
    head = w.rollup.state()["batchNumber"]
    assert head >= 2
    data = w.rollup.rollup.events.BatchData().get_logs(from_block=0)
    assert sorted(int(e["args"]["batchNumber"]) for e in data) == list(range(1, head + 1))

    # member 2 comes up (an empty folder): the next batch sends it genesis and batches 1..head first
    w.members[2] = MemberServer(w.dirs[2], KEYS[2], w.anvil.url, w.ports[2])
    w.deposit(aid, 500, l1[1])
    w.handle.committee.step()
    w.wait(lambda: w.settled.deposit_index == 2, "the next batch settles")
    head = w.rollup.state()["batchNumber"]
    for j in range(3):
        w.wait(lambda j=j: w.status(j)["last"] == head, f"member {j} stores batch {head}")
    # member 2's folder alone gives each owner its leaf at the chain's root (account 0: the
    # insurance fund, whose key is the genesis insurance key)
    root = w.rollup.state()["stateRoot"]
    got = rebuild(PayloadStore(w.dirs[2]), aid, PrivateKey.from_seed(b"committee-alice").secret, expected_root=root)
    assert got.account == w.settled.accounts[aid] and got.account.collateral == 1500
    fund = PrivateKey.from_seed(w.handle.genesis.insurance_seed)
    assert rebuild(PayloadStore(w.dirs[2]), 0, fund.secret, expected_root=root).account == w.settled.accounts[0]

    # a member restarted on its folder re-checks it and answers as before
    w.members[0].stop()
    w.members[0] = MemberServer(w.dirs[0], KEYS[0], w.anvil.url, w.ports[0])
    assert w.status(0)["last"] == head and w.status(0)["rollup"] == w.rollup.rollup.address
    # a payload the chain contradicts (batch 1 with another root) is refused, not stored
    svc = w.members[1].service
    stored = PayloadStore(w.dirs[1]).get(1)
    with pytest.raises(Conflict):
        svc.receive(replace(stored, globals=stored.globals[:-1] + (stored.globals[-1] + 1,)))
    r = httpx.get(f"{w.urls[1]}/v1/payloads/1")
    assert r.status_code == 200 and BatchPayload.from_json(r.text) == stored


def test_a_member_is_bound_only_to_a_rollup_that_lists_it_and_no_exit_before_a_freeze(w, tmp_path, capsys):
    from sequencer.cli import main

    stranger = dev_member_keys("not-a-member", 1)[0]
    svc = MemberService(tmp_path / "stranger", stranger, ChainView(w.anvil.url))
    manifest = w.pipeline.committee.manifest
    with pytest.raises(Conflict, match="not a DA member"):
        svc.genesis(w.rollup.rollup.address, manifest, w.pipeline.committee.genesis)
    assert svc.member is None and not (tmp_path / "stranger" / "member.json").exists()
    # an owner's exit opens only after a freeze (and `--freeze` sends none while nothing is overdue)
    keyfile = tmp_path / "owner.key"
    keyfile.write_text("seed:committee-alice")
    code = main(["exit", "--account", "1", "--key", str(keyfile), "--da-member", w.urls[0], "--rpc-url", w.anvil.url,
                 "--rollup", w.rollup.rollup.address, "--freeze"])
    assert code == 1 and "not frozen" in capsys.readouterr().err and not w.rollup.state()["frozen"]
