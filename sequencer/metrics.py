"""The service's Prometheus metrics, in a registry of their own (one per app, so that tests
can run several apps in one process). Reasons are the spec's refusal strings, a fixed set."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.accepted = Counter("zkclear_ops_accepted", "Ops accepted into the log", ["kind"],
                                registry=self.registry)
        self.refused = Counter("zkclear_ops_refused", "Ops refused at admission, by the spec's reason",
                               ["kind", "reason"], registry=self.registry)
        self.throttled = Counter("zkclear_ops_throttled", "Requests answered 429", ["why"], registry=self.registry)
        self.queue_depth = Gauge("zkclear_queue_depth", "Accepted ops not yet in a batch", ["queue"],
                                 registry=self.registry)
        self.request_latency = Histogram("zkclear_request_seconds", "HTTP request latency",
                                         ["method", "route", "status"], registry=self.registry,
                                         buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
        self.proof_seconds = Histogram("zkclear_proof_seconds", "Batch proof time (the prover alone)",
                                       registry=self.registry, buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600))
        self.batch_seconds = Histogram("zkclear_batch_seconds", "Batch latency: cut to settled",
                                       registry=self.registry, buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600))
        self.batches = Counter("zkclear_batches", "Batches by outcome", ["status"], registry=self.registry)

    def observe_proof(self, seconds: float) -> None:
        self.proof_seconds.observe(seconds)

    def observe_batch(self, seconds: float) -> None:
        self.batch_seconds.observe(seconds)
        self.batches.labels("settled").inc()
