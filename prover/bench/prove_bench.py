"""The prover benchmark: circomlib Poseidon chains at 2^12 .. 2^16 constraints, each proven by
zkclear (native, and python at small sizes), snarkjs, the arkworks-based groth16py wheel and,
when its binary is given, iden3's rapidsnark — whole processes on the same .zkey and .wtns.
Two more columns time a proof inside a process that keeps its key loaded: zkclear's resident
prover (`prover.resident`, the proving worker's path; `prover.bench.resident_run`) and, when
its binary is given, gnark's `Prove()` (the gnark-zkey tool: a snarkjs key converted to
gnark's, proven by gnark v0.16's unmodified groth16.Prove); gnark's whole process too.
`--zkey/--wtns/--vk/--r1cs` bench a given key (e.g. a circomlib circuit) instead of the chains.

Per size: compile with circom2 --O2, compute the witness with circom's wasm calculator, make one
development key with `zkclear setup --dev-unsafe` (every prover reads that same .zkey), then
run each prover `repeat` times and keep the median wall time and peak RSS. Each proof is checked
with `zkclear verify`, so a fast wrong prover cannot win. zkclear's native prover also reports
its phases (load, witness products, h(x) FFTs, each MSM) when ZKCLEAR_PROFILE=1.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from prover.bench.poseidon_chain import write_circuit
from prover.bench.processes import median, run_process

REPO = Path(__file__).resolve().parents[2]
NODE_BIN = REPO / "node_modules" / ".bin"
CIRCOMLIB = REPO / "node_modules" / "circomlib" / "circuits"
PROFILE_TAG = "ZKCLEAR_PROFILE "


@dataclass
class CircuitFiles:
    power: int
    constraints: int
    r1cs: Path
    wasm: Path | None
    wtns: Path
    zkey: Path
    vk: Path
    gnark_dir: Path | None = None  # the key converted for gnark (when --gnark is given)


@dataclass
class Prover:
    name: str
    command: Callable[[CircuitFiles, Path, Path], list[str]]
    max_power: int = 30
    env: dict = field(default_factory=dict)
    output: str = "snarkjs-json"  # or "self-checked": the command verifies its own proof
    # in-process timing: the seconds a run reports on its stdout (None: the process's wall time)
    reported: Callable[[str], float] | None = None


@dataclass
class Measurement:
    prover: str
    power: int
    constraints: int
    seconds: float
    runs: list[float]
    peak_rss_mb: float
    verified: bool
    phases: dict = field(default_factory=dict)
    error: str = ""
    in_process: bool = False  # seconds of a proof in a process that keeps the key, not a whole process


def zkclear_cmd() -> list[str]:
    return [sys.executable, "-m", "sequencer.cli"]


def _groth16py_script() -> str:
    # Import the .zkey (arkworks' circom-compat reader), prove from the .wtns, check the proof
    # with groth16py's own verifier against the public signals circom put in the witness.
    return (
        "import sys, json, groth16py\n"
        "pk, vk = groth16py.import_zkey(sys.argv[1])\n"
        "proof = groth16py.prove_wtns(pk, sys.argv[2])\n"
        "public = [int(x) for x in json.load(open(sys.argv[3]))]\n"
        "ok = groth16py.Verifier(vk).verify(proof, public)\n"
        "sys.exit(0 if ok else 3)\n"
    )


def _reported(tag: str, scale: float = 1.0) -> Callable[[str], float]:
    """Parse `TAG median=X ...` from a run's stdout: X·scale seconds."""
    def parse(stdout: str) -> float:
        for line in stdout.splitlines():
            if line.startswith(tag):
                return float(line.split("median=")[1].split()[0]) * scale
        raise ValueError(f"no {tag} line in the output")
    return parse


def peers(rapidsnark: str | None, python_max_power: int, gnark: str | None = None,
          resident_runs: int = 5) -> list[Prover]:
    """The provers to compare, in table order."""
    from prover.resident import resident_available

    provers = [
        Prover(
            "zkclear-native",
            lambda f, proof, public: zkclear_cmd()
            + ["prove", "--backend", "native", "--zkey", str(f.zkey), "--wtns", str(f.wtns),
               "--proof", str(proof), "--public", str(public)],
            env={"ZKCLEAR_PROFILE": "1"},
        ),
        *([Prover(
            "zkclear-resident",
            lambda f, proof, public: [sys.executable, "-m", "prover.bench.resident_run", str(f.zkey), str(f.wtns),
                                      str(proof), str(public), "--runs", str(resident_runs)],
            reported=_reported("RESIDENT_PROVE_S"),
        )] if resident_available() else []),
        Prover(
            "zkclear-python",
            lambda f, proof, public: zkclear_cmd()
            + ["prove", "--backend", "python", "--zkey", str(f.zkey), "--wtns", str(f.wtns),
               "--proof", str(proof), "--public", str(public)],
            max_power=python_max_power,
        ),
        Prover(
            "snarkjs",
            lambda f, proof, public: [str(NODE_BIN / "snarkjs"), "groth16", "prove", str(f.zkey),
                                      str(f.wtns), str(proof), str(public)],
        ),
    ]
    if _has_groth16py():
        provers.append(
            Prover(
                "groth16py (arkworks)",
                lambda f, proof, public: [sys.executable, "-c", _groth16py_script(), str(f.zkey),
                                          str(f.wtns), str(public)],
                output="self-checked",
            )
        )
    if gnark:
        ncpu = str(os.cpu_count())
        provers += [
            Prover("gnark (whole process)",
                   lambda f, proof, public: [gnark, "prove", str(f.gnark_dir), str(f.r1cs), "0", "1", str(proof)],
                   env={"GOMAXPROCS": ncpu}, output="gnark"),
            Prover("gnark Prove() in-process",
                   lambda f, proof, public: [gnark, "prove", str(f.gnark_dir), str(f.r1cs), "1", str(resident_runs),
                                             str(proof)],
                   env={"GOMAXPROCS": ncpu}, output="gnark", reported=_reported("GNARK_PROVE_MS", 1e-3)),
        ]
    if rapidsnark:
        provers.append(
            Prover(
                "rapidsnark",
                lambda f, proof, public: [rapidsnark, str(f.zkey), str(f.wtns), str(proof), str(public)],
            )
        )
    return provers


def _has_groth16py() -> bool:
    try:
        import groth16py  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_peer_packages() -> list[str]:
    """Install the benchmark-only packages (groth16py, matplotlib) into this environment.
    They are never dependencies of zkclear itself. Returns notes on what could not be had."""
    notes = []
    for package, module in (("groth16py", "groth16py"), ("matplotlib", "matplotlib")):
        try:
            __import__(module)
            continue
        except ImportError:
            pass
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", package],
                              capture_output=True, text=True)
        if done.returncode != 0:
            notes.append(f"{package} could not be installed: {done.stderr.strip()[-200:]}")
    return notes


def prepare_circuit(work: Path, power: int) -> CircuitFiles:
    """Compile, solve and key one Poseidon-chain circuit of about 2^power constraints."""
    work.mkdir(parents=True, exist_ok=True)
    source, inputs = write_circuit(work, power)
    name = source.stem
    subprocess.run([str(NODE_BIN / "circom2"), str(source), "--O2", "--r1cs", "--wasm",
                    "-l", str(CIRCOMLIB), "-o", str(work)], check=True, capture_output=True)
    input_path = work / f"{name}.input.json"
    input_path.write_text(json.dumps(inputs))
    wasm = work / f"{name}_js" / f"{name}.wasm"
    wtns = work / f"{name}.wtns"
    subprocess.run(["node", str(work / f"{name}_js" / "generate_witness.js"), str(wasm),
                    str(input_path), str(wtns)], check=True, capture_output=True)
    r1cs = work / f"{name}.r1cs"
    zkey = work / f"{name}.zkey"
    vk = work / f"{name}.vk.json"
    subprocess.run(zkclear_cmd() + ["setup", "--r1cs", str(r1cs), "--dev-unsafe", "--zkey", str(zkey),
                                    "--vk", str(vk), "--backend", "native"],
                   check=True, capture_output=True, cwd=REPO)
    from prover.formats.r1cs import read_r1cs

    constraints = read_r1cs(r1cs).n_constraints
    return CircuitFiles(power, constraints, r1cs, wasm, wtns, zkey, vk)


def _parse_profile(stderr: str) -> dict:
    for line in stderr.splitlines():
        if line.startswith(PROFILE_TAG):
            return json.loads(line[len(PROFILE_TAG):])
    return {}


def measure(prover: Prover, files: CircuitFiles, work: Path, repeat: int) -> Measurement:
    return measure_all([prover], files, work, repeat)[0]


def measure_all(provers: list[Prover], files: CircuitFiles, work: Path, repeat: int) -> list[Measurement]:
    """Each prover `repeat` times, in rounds (one run of every prover per round), so that a
    machine's changing load falls on all of them alike; median per prover."""
    @dataclass
    class State:
        prover: Prover
        proof: Path
        public: Path
        env: dict
        runs: list = field(default_factory=list)
        peaks: list = field(default_factory=list)
        phases: list = field(default_factory=list)
        error: str = ""

    states = []
    for prover in provers:
        proof = work / f"proof.{prover.name.split()[0]}{'.ip' if prover.reported else ''}.json"
        public = work / f"public.{prover.name.split()[0]}{'.ip' if prover.reported else ''}.json"
        if prover.output == "self-checked":
            # groth16py checks its proof against circom's public signals; write them once.
            subprocess.run(zkclear_cmd() + ["prove", "--backend", "native", "--zkey", str(files.zkey),
                                            "--wtns", str(files.wtns), "--proof", str(proof),
                                            "--public", str(public)], check=True, capture_output=True)
        if prover.output == "gnark":  # gnark-zkey wrote the public signals when it converted the key
            shutil.copyfile(files.gnark_dir / "public.json", public)
        states.append(State(prover, proof, public, dict(os.environ, **prover.env)))
    for _ in range(repeat):
        for st in states:
            if st.error:
                continue
            run = run_process(st.prover.command(files, st.proof, st.public), env=st.env, cwd=str(REPO))
            if run.returncode != 0:
                error = (run.stderr.strip() or run.stdout.strip()).splitlines()[-1:] or ["failed"]
                st.error = f"exit {run.returncode}: {error[0][:200]}"
                continue
            try:
                st.runs.append(st.prover.reported(run.stdout) if st.prover.reported else run.seconds)
            except ValueError as exc:
                st.error = str(exc)
                continue
            st.peaks.append(run.peak_rss_mb)
            profile = _parse_profile(run.stderr)
            if profile:
                st.phases.append(profile)
    out = []
    for st in states:
        verified, error = False, st.error
        if not error:
            if st.prover.output == "self-checked":
                verified = True
            else:
                check = subprocess.run(zkclear_cmd() + ["verify", "--vk", str(files.vk), "--proof", str(st.proof),
                                                        "--public", str(st.public)], capture_output=True, text=True,
                                       cwd=REPO)
                verified = check.returncode == 0
                if not verified:
                    error = f"proof rejected: {check.stderr.strip() or check.stdout.strip()}"
        median_phases = {}
        if st.phases:
            for key in st.phases[0]:
                median_phases[key] = median([p[key] for p in st.phases if key in p])
        out.append(Measurement(st.prover.name, files.power, files.constraints,
                               median(st.runs) if st.runs else float("nan"), st.runs,
                               max(st.peaks) if st.peaks else float("nan"), verified, median_phases, error,
                               in_process=st.prover.reported is not None))
    return out


def prepare_key(work: Path, zkey: Path, wtns: Path, vk: Path, r1cs: Path) -> CircuitFiles:
    """A given key (e.g. a circomlib circuit's): its domain's power labels the row."""
    from prover.formats.r1cs import read_r1cs
    from prover.formats.zkey import read_zkey

    work.mkdir(parents=True, exist_ok=True)
    power = read_zkey(zkey).domain_size.bit_length() - 1
    return CircuitFiles(power, read_r1cs(r1cs).n_constraints, Path(r1cs), None, Path(wtns), Path(zkey), Path(vk))


def convert_for_gnark(gnark: str, files: CircuitFiles, work: Path) -> None:
    """gnark-zkey convert (once per key: the converted key is kept under work/gnark with the
    digest of the .zkey, .r1cs and .wtns it was made from; a run that made a new key (a chain's
    setup is random) or another witness converts again)."""
    d = work / "gnark"
    digest = hashlib.blake2b(digest_size=16)
    for f in (files.zkey, files.r1cs, files.wtns):
        with open(f, "rb") as fh:
            digest.update(hashlib.file_digest(fh, "blake2b").digest())
    stamp = d / "source.digest"
    if not (d / "pk.bin").exists() or not stamp.exists() or stamp.read_text() != digest.hexdigest():
        subprocess.run([gnark, "convert", str(files.zkey), str(files.r1cs), str(files.wtns), str(d)],
                       check=True, capture_output=True)
        stamp.write_text(digest.hexdigest())
    files.gnark_dir = d


def markdown_table(results: list[Measurement]) -> str:
    """One row per size: each prover's median seconds and peak MB, and zkclear-native's speed-up."""
    names = list(dict.fromkeys(m.prover for m in results))
    powers = sorted({m.power for m in results})
    head = ("| constraints | " + " | ".join(names)
            + " | native vs snarkjs | native vs fastest peer | native vs rapidsnark | resident vs gnark Prove() |")
    rule = "|---" * (len(names) + 5) + "|"
    lines = [head, rule]
    for power in powers:
        row = {m.prover: m for m in results if m.power == power}
        constraints = next(iter(row.values())).constraints
        cells = []
        for name in names:
            m = row.get(name)
            if m is None:
                cells.append("–")
            elif m.error:
                cells.append("failed")
            else:
                cells.append(f"{m.seconds:.2f} s / {m.peak_rss_mb:.0f} MB")
        native = row.get("zkclear-native")
        snark = row.get("snarkjs")
        ratio_snarkjs = (f"{snark.seconds / native.seconds:.1f}x" if native and snark and not native.error
                         and not snark.error else "–")
        peer_times = [m.seconds for n, m in row.items()
                      if not n.startswith("zkclear") and not m.error and not m.in_process]
        ratio_best = (f"{min(peer_times) / native.seconds:.2f}x" if native and peer_times and not native.error
                      else "–")

        def ratio(mine, theirs):  # time / time: below 1 is faster
            a, b = row.get(mine), row.get(theirs)
            return f"{a.seconds / b.seconds:.2f}x" if a and b and not a.error and not b.error else "–"

        lines.append(f"| {constraints} (2^{power}) | " + " | ".join(cells) + f" | {ratio_snarkjs} | {ratio_best} | "
                     f"{ratio('zkclear-native', 'rapidsnark')} | "
                     f"{ratio('zkclear-resident', 'gnark Prove() in-process')} |")
    phase_rows = [m for m in results if m.phases and m.prover == "zkclear-native"]
    if phase_rows:
        keys = list(phase_rows[0].phases)
        lines += ["", "zkclear-native phases (median seconds):", "",
                  "| constraints | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for m in phase_rows:
            lines.append(f"| 2^{m.power} | " + " | ".join(f"{m.phases.get(k, float('nan')):.3f}" for k in keys) + " |")
    return "\n".join(lines) + "\n"


def plot(results: list[Measurement], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in dict.fromkeys(m.prover for m in results):
        points = sorted((m.constraints, m.seconds) for m in results if m.prover == name and not m.error)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("constraints (circomlib Poseidon chain)")
    ax.set_ylabel("median proving time, whole process (s)")
    ax.set_title(f"Groth16 BN254 proving on {os.cpu_count()} cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def run_benchmark(out: Path, powers: list[int], repeat: int, rapidsnark: str | None,
                  python_max_power: int, install_peers: bool = True, log=print, gnark: str | None = None,
                  key: tuple[Path, Path, Path, Path] | None = None, resident_runs: int = 5,
                  only: list[str] | None = None) -> list[Measurement]:
    """`key` = (zkey, wtns, vk, r1cs) benches that key instead of the Poseidon chains; `only`
    keeps the provers whose names start with one of its entries."""
    out.mkdir(parents=True, exist_ok=True)
    notes = ensure_peer_packages() if install_peers else []
    for note in notes:
        log(f"note: {note}")
    if rapidsnark and not shutil.which(rapidsnark) and not Path(rapidsnark).is_file():
        log(f"note: rapidsnark binary {rapidsnark} not found; skipped")
        rapidsnark = None
    if gnark and not shutil.which(gnark) and not Path(gnark).is_file():
        log(f"note: gnark-zkey binary {gnark} not found; skipped")
        gnark = None
    provers = peers(rapidsnark, python_max_power, gnark, resident_runs)
    if only:
        provers = [p for p in provers if any(p.name.startswith(o) for o in only)]
    results: list[Measurement] = []
    for power in ([None] if key else powers):
        if key:
            work = out / "key"
            files = prepare_key(work, *key)
        else:
            work = out / f"2^{power}"
            files = prepare_circuit(work, power)
        if gnark:
            convert_for_gnark(gnark, files, work)
        log(f"2^{files.power}: {files.constraints} constraints")
        for m in measure_all([p for p in provers if files.power <= p.max_power], files, work, repeat):
            results.append(m)
            status = m.error or ("verified" if m.verified else "NOT verified")
            log(f"  {m.prover:26s} {m.seconds:8.3f} s  {m.peak_rss_mb:7.0f} MB  {status}")
    (out / "results.json").write_text(json.dumps({
        "machine": {"cpus": os.cpu_count()},
        "repeat": repeat,
        "notes": notes,
        "results": [asdict(m) for m in results],
    }, indent=2))
    table = markdown_table(results)
    (out / "results.md").write_text(table)
    if plot(results, out / "results.png"):
        log(f"plot: {out / 'results.png'}")
    log(table)
    return results
