"""The reference oracle reporter and the local committee (sequencer.reporter)."""

from __future__ import annotations

import json
import threading

import pytest

from sequencer.reporter import RandomWalk, Reporter, ReporterCommittee, main, normalize
from verifier_contracts.evm import Chain
from verifier_contracts.oracle import DevCommittee, OracleError


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain.embedded()


def test_normalize_feeds():
    assert normalize({1: (20, -2), 0: (10, 1)}) == ([10, 20], [1, -2])
    assert normalize([(10, 1), (20, -2)], markets=2) == ([10, 20], [1, -2])
    with pytest.raises(ValueError):
        normalize([(10, 1)], markets=2)
    with pytest.raises(ValueError):
        normalize({0: (1, 1), 2: (1, 1)})


def test_reporters_with_their_own_feeds_post_a_round(chain):
    dev = DevCommittee.from_seed("feeds", n=3, quorum=2, big_quorum=3)
    o = dev.deploy(chain, 2, [100, 10])
    feeds = [iter([{0: (50_000 + i, 7), 1: (9_000, -1)}]) for i in range(3)]  # iterators
    feeds[2] = lambda: [(50_090, 9), (9_004, -3)]  # a callable
    reps = [Reporter(k, f).report_for(o) for k, f in zip(dev.keys, feeds)]
    assert {r.signer for r in reps} == set(dev.addresses)
    o.submit_round(reps)
    assert o.get_round_signed(1)[:2] == ([500, 900], [7, -1])
    wrong = Reporter(dev.keys[0], lambda: [(1, 1)])
    with pytest.raises(ValueError, match="the feed gave 1 markets"):
        wrong.report_for(o)


def test_random_walk_stays_on_the_ladder_and_in_band():
    w = RandomWalk([100, 100], seed=3, start=[2, 65534], max_move_bps=5000)
    for _ in range(50):
        before = list(w.ladder)
        w.step()
        assert all(2 <= g <= 65534 for g in w.ladder)
        assert all(abs(g - b) <= b // 2 for g, b in zip(w.ladder, before))


def test_committee_steps_and_runs(chain):
    c = ReporterCommittee.local(chain, 3, [100, 100, 1000], seed=11, n=5)
    assert c.step() == 1
    p, f, _ = c.oracle.get_round_signed(1)
    assert f == c.walk.funding  # funding is reported without noise
    assert all(abs(x - g) <= g * 5 // 10_000 + 1 for x, g in zip(p, c.walk.ladder))  # 5 bps noise
    stop = threading.Event()
    seen = []
    assert c.run(stop, interval=0, rounds=3, on_round=seen.append) == 3
    assert seen == [2, 3, 4] and c.oracle.latest_round() == 4
    t, stop = c.start(interval=0.05)  # eth-tester is not thread-safe: no chain reads while it runs
    while c.rounds_posted < 6 and t.is_alive():
        t.join(0.05)
    stop.set()
    t.join(10)
    assert not t.is_alive() and c.oracle.latest_round() == c.rounds_posted >= 6


def test_committee_refusal_surfaces(chain):
    c = ReporterCommittee.local(chain, 1, 100, seed=12, n=3, quorum=2, big_quorum=3, start=[500])
    c.step()
    c.reporters = c.reporters[:1]  # one reporter is below quorum
    with pytest.raises(OracleError, match="Oracle: too few reports"):
        c.step()


def test_cli_posts_rounds(capsys):
    assert main(["--rounds", "2", "--interval", "0", "--markets", "2", "--seed", "cli"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines[0]["reporters"]) == 5
    assert [x["round"] for x in lines[1:]] == [1, 2] and all(len(x["prices"]) == 2 for x in lines[1:])
