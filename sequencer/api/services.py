"""What the API's handlers work with, built once per app: the op log, admission, metrics,
and the chain settings clients need (filled in by the chain stage when it runs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..admission import Admission
from ..metrics import Metrics
from ..oplog import Store
from ..spec.constants import Preset
from ..spec.state import State


@dataclass
class Services:
    store: Store
    admission: Admission
    metrics: Metrics
    chain: dict = field(default_factory=dict)  # rpc_url, chain_id, rollup, oracle, ...

    @property
    def settled(self) -> State:
        return self.admission.settled

    @property
    def preset(self) -> Preset:
        return self.admission.preset

    @classmethod
    def build(cls, store: Store, settled: State, *, max_pending: int = 10_000, rate_per_s: float = 0,
              burst: float = 0, chain: Optional[dict] = None) -> "Services":
        metrics = Metrics()
        admission = Admission(store, settled, max_pending=max_pending, rate_per_s=rate_per_s, burst=burst,
                              metrics=metrics)
        return cls(store, admission, metrics, dict(chain or {}))
