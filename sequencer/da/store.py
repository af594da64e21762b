"""A member's payload store: an append-only folder, one JSON file per batch
(`batch_00000001.json`, written to a temporary name, flushed and renamed, so a crash leaves
whole files only) and `manifest.json` (tree shape, genesis root, the sequencer's public
encryption key).

Why files and not SQLite (sequencer/oplog): payloads are written once, read in order, and
are what a member hands out; a folder is trivially copied, mirrored, served over HTTP or
pinned elsewhere, and an owner's rebuild needs nothing but the files. A batch number is
written at most once: a second, different payload for it is refused (an equivocating
sequencer is caught, not obeyed)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from .payload import BatchPayload

MANIFEST = "manifest.json"


class StoreError(RuntimeError):
    pass


class PayloadStore:
    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)

    @classmethod
    def create(cls, directory: str | os.PathLike, *, arity: int, depth: int, num_markets: int, genesis_root: int,
               sequencer_public_key: tuple[int, int]) -> "PayloadStore":
        store = cls(directory)
        store.dir.mkdir(parents=True, exist_ok=True)
        manifest = {"arity": arity, "depth": depth, "num_markets": num_markets, "genesis_root": str(genesis_root),
                    "sequencer_public_key": [str(v) for v in sequencer_public_key]}
        path = store.dir / MANIFEST
        if path.exists():
            if json.loads(path.read_text()) != manifest:
                raise StoreError(f"{path} exists with another manifest")
        else:
            store._write(path, json.dumps(manifest))
        return store

    def manifest(self) -> dict:
        path = self.dir / MANIFEST
        if not path.exists():
            raise StoreError(f"no {MANIFEST} in {self.dir}")
        return json.loads(path.read_text())

    def _path(self, batch_number: int) -> Path:
        return self.dir / f"batch_{batch_number:08d}.json"

    @staticmethod
    def _write(path: Path, text: str) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def append(self, payload: BatchPayload) -> None:
        path = self._path(payload.batch_number)
        text = payload.to_json()
        if path.exists():
            if path.read_text() != text:
                raise StoreError(f"batch {payload.batch_number} is stored with another payload")
            return
        self._write(path, text)

    def numbers(self) -> list[int]:
        return sorted(int(p.stem.split("_")[1]) for p in self.dir.glob("batch_*.json"))

    def last_number(self) -> int:
        ns = self.numbers()
        return ns[-1] if ns else -1

    def get(self, batch_number: int) -> BatchPayload | None:
        path = self._path(batch_number)
        return BatchPayload.from_json(path.read_text()) if path.exists() else None

    def __iter__(self) -> Iterator[BatchPayload]:
        """Payloads 0, 1, 2, ... in order; StoreError on a gap."""
        for expected, n in enumerate(self.numbers()):
            if n != expected:
                raise StoreError(f"{self.dir}: batch {expected} is missing")
            yield self.get(n)


__all__ = ["PayloadStore", "StoreError", "MANIFEST"]
