"""Compiled circuits cached on disk, keyed by the circuit's source and parameters.

    cc = cached_compile("settlement", {"preset": "mainnet"}, build, cache_dir)

`build()` makes and compiles the circuit; its result (the R1CS in flat arrays, the witness
program, the names the errors use) is pickled to `cache_dir/<name>-<key[:16]>.circuit`, and a
later call with the same key loads it instead of building. The key is the SHA-256 of:
the cache format, the Python version (hint functions are stored as code objects), the
circuit's name and parameters, and every source file the circuit can depend on (`SOURCES`:
the DSL, the gadgets, the settlement circuits, the spec they mirror, the field). Any edit
to those files, or another parameter, misses the cache; stale entries are left in place
(each is one file; delete the folder to clean it).

Hint functions: a gadget's lambda (`lambda v: [(v >> i) & 1 for i in range(n)]`) cannot be
pickled by name, so it is stored as its module, marshalled code, defaults and captured
values, and rebuilt on load with that module's globals; a hint capturing something that
cannot be pickled makes the entry unwritable (the circuit is then built every time, and
`cached_compile` says why in `CompiledCircuit.cache_note`).
"""
from __future__ import annotations

import hashlib
import io
import marshal
import os
import pickle
import struct
import sys
import types
from array import array
from pathlib import Path
from typing import Callable

FORMAT = 2
ROOT = Path(__file__).resolve().parents[2]
# what a circuit built from this tree can depend on (folders: every .py file below them)
SOURCES = ("circuits/dsl", "circuits/gadgets", "circuits/settlement", "circuits/crypto", "circuits/registry.py",
           "sequencer/spec", "prover/field.py", "prover/formats/r1cs.py")


def default_cache_dir() -> Path:
    """$ZKCLEAR_CIRCUIT_CACHE, else $XDG_CACHE_HOME/zkclear/circuits (~/.cache/zkclear/circuits)."""
    env = os.environ.get("ZKCLEAR_CIRCUIT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zkclear" / "circuits"


def source_files(root: Path = ROOT, sources=SOURCES) -> list[Path]:
    files: list[Path] = []
    for s in sources:
        p = root / s
        if p.is_dir():
            files += sorted(q for q in p.rglob("*.py") if "__pycache__" not in q.parts)
        elif p.exists():
            files.append(p)
    return files


def source_digest(root: Path = ROOT, sources=SOURCES) -> str:
    """SHA-256 over the relative paths and contents of the circuit's source files."""
    h = hashlib.sha256()
    for f in source_files(root, sources):
        h.update(str(f.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def cache_key(name: str, params: dict, root: Path = ROOT, sources=SOURCES) -> str:
    h = hashlib.sha256()
    h.update(f"zkclear-circuit-cache/{FORMAT}/py{sys.version_info[0]}.{sys.version_info[1]}\0".encode())
    h.update(name.encode() + b"\0" + repr(sorted(params.items())).encode() + b"\0")
    h.update(source_digest(root, sources).encode())
    return h.hexdigest()


def cache_path(cache_dir: Path | str, name: str, key: str) -> Path:
    return Path(cache_dir) / f"{name}-{key[:16]}.circuit"


# --- pickling the witness program's hint functions -------------------------------------------
def _rebuild_function(module: str, code: bytes, name: str, defaults, cells):
    import importlib

    g = importlib.import_module(module).__dict__
    closure = tuple(types.CellType(v) for v in cells) if cells is not None else None
    return types.FunctionType(marshal.loads(code), g, name, defaults, closure)


def _array_from(typecode: str, buf) -> array:
    a = array(typecode)
    a.frombytes(buf)
    if isinstance(buf, bytearray):  # the unpickler's memo keeps the argument tuple: free its bytes now
        buf.clear()
    return a


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is array:  # the flat arrays go out of band, each written once, raw
            return _array_from, (obj.typecode, pickle.PickleBuffer(obj))
        if type(obj) is types.FunctionType:
            import importlib

            try:  # a module-level function pickles by name
                owner = importlib.import_module(obj.__module__)
                target = owner
                for part in obj.__qualname__.split("."):
                    target = getattr(target, part)
                if target is obj:
                    return NotImplemented
            except (ImportError, AttributeError):
                pass
            cells = None if obj.__closure__ is None else tuple(c.cell_contents for c in obj.__closure__)
            return _rebuild_function, (obj.__module__, marshal.dumps(obj.__code__), obj.__name__,
                                       obj.__defaults__, cells)
        return NotImplemented


def dump(compiled, f) -> None:
    """Write `compiled` to the open file `f`: the pickle of its Python objects, then the raw
    bytes of each flat array (out of band: a mainnet entry is ~2.3 GB, and neither writing
    nor loading it holds a second copy of the arrays)."""
    buffers: list = []
    main = io.BytesIO()
    _Pickler(main, protocol=5, buffer_callback=buffers.append).dump(compiled)
    f.write(struct.pack("<Q", main.tell()))
    f.write(main.getbuffer())
    del main
    f.write(struct.pack("<Q", len(buffers)))
    for b in buffers:
        raw = b.raw()
        f.write(struct.pack("<Q", raw.nbytes))
        f.write(raw)


def load_from(f):
    """What `dump` wrote, the arrays read one at a time."""
    (n,) = struct.unpack("<Q", f.read(8))
    main = f.read(n)
    (count,) = struct.unpack("<Q", f.read(8))

    def buffers():
        for _ in range(count):
            (size,) = struct.unpack("<Q", f.read(8))
            b = bytearray(size)
            if f.readinto(b) != size:
                raise EOFError("truncated cache entry")
            yield b

    return pickle.loads(main, buffers=buffers())


# --- the cache -----------------------------------------------------------------------------
def load(path: Path, key: str):
    """The compiled circuit stored at `path` under `key`, or None (absent, other key, unreadable)."""
    try:
        with open(path, "rb") as f:
            stored_key = pickle.load(f)
            if stored_key != key:
                return None
            return load_from(f)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or incompatible entry is rebuilt and overwritten
        return None


def store(path: Path, key: str, compiled) -> str | None:
    """Write the entry (temporary name, then renamed); returns why not, or None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            pickle.dump(key, f, protocol=pickle.HIGHEST_PROTOCOL)
            dump(compiled, f)
    except Exception as exc:  # e.g. a hint capturing an unpicklable value
        tmp.unlink(missing_ok=True)
        return f"not cached: {type(exc).__name__}: {exc}"
    os.replace(tmp, path)
    return None


def cached_compile(name: str, params: dict, build: Callable[[], object], cache_dir: Path | str | None = None,
                   root: Path = ROOT, sources=SOURCES):
    """The compiled circuit from the cache, else `build()` and stored. `cache_dir=None`:
    `default_cache_dir()`. The result's `cache_note` says "hit", "stored" or why not stored."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(name, params, root, sources)
    path = cache_path(cache_dir, name, key)
    compiled = load(path, key)
    if compiled is not None:
        compiled.cache_note = f"hit: {path}"
        return compiled
    compiled = build()
    why = store(path, key, compiled)
    compiled.cache_note = why or f"stored: {path}"
    return compiled
