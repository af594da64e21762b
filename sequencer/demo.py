"""`zkclear demo`: the main job end to end on embedded defaults.

1. The clearing house: two institutions register on L1 and deposit (L1 queue entries the
   spec consumes in order), then the sequencer's batch
   builder cuts a batch around their co-signed perpetual trade (touching both accounts to
   give them boxes that hold their new positions) and the executable spec (`sequencer.spec`)
   applies it: the state root moves and every account stays above maintenance margin.
2. The batch is proven with the settlement circuit (preset tiny: every op slot, both
   signatures, the tree writes, the root-box check, the SHA-256 of the batch message whose
   digest is the one public input): built with the DSL, solved from the spec's witness, set
   up once (development key, UNSAFE, kept under the data dir: `sequencer.proving`), proven
   with the native prover, and verified by zkclear, by snarkjs when node tools are installed, and by the Solidity
   verifier on an in-process EVM (eth-tester), or on the node given with --rpc-url.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _step(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def settle_trade(log=print):
    """Genesis, two institutions, deposits and one co-signed trade through the spec."""
    from circuits.crypto.eddsa import PrivateKey
    from sequencer.spec import TINY, Deposit, Register, State, Trade, build_batch, message_hash, process_batch, process_op

    keys = {i: PrivateKey.from_seed(b"zkclear-demo-institution-%d" % i) for i in range(3)}
    base = 0xD3110000000000000000000000000000000000
    state = State.genesis(TINY, keys[0].public_key, base, (1000, 1000))
    genesis_root = state.root()
    for i in (1, 2):  # the L1 registration and deposit queues' entries, consumed in order
        reg = Register(index=state.registration_index, pubkey=keys[i].public_key, l1_address=base + i)
        process_op(state, reg)
        process_op(state, Deposit(index=state.deposit_index, account=reg.account, amount=50_000_000_000))
    unsigned = Trade(market=0, size=10, price=1_000_000, buyer=1, seller=2, buyer_nonce=1, seller_nonce=1,
                     expiry=100, fee=1_000)
    msg = message_hash(unsigned, TINY.domain)
    trade = Trade(*[getattr(unsigned, f) for f, _, _ in Trade.FIELDS],
                  buyer_signature=keys[1].sign(msg), seller_signature=keys[2].sign(msg))
    log(f"    genesis root          {genesis_root:#066x}")
    log(f"    after registrations   {state.root():#066x}")
    # the sequencer's batch builder touches both institutions first: writes keep an account's
    # box, and a touch gives each one a box that holds its position after the trade
    built = build_batch(state, [trade], prices=(1000, 1000), oracle_round=1)
    assert not built.refused, built.refused
    record = process_batch(state, built.batch)
    log(f"    batch {state.batch_number} settled 1 trade: root {state.root():#066x}")
    log(f"    buyer position {state.accounts[1].positions[0]:+d} lots, seller {state.accounts[2].positions[0]:+d} lots")
    return keys[1], msg, trade.buyer_signature, record


def run_demo(out: Path, rpc_url: str | None = None, log=print, data_dir: Path | None = None) -> int:
    from prover.formats.r1cs import write_r1cs
    from prover.formats.snarkjs_json import proof_to_json, read_proof, vk_to_json, write_vk
    from sequencer.proving import DEFAULT_DATA_DIR, BatchProver
    from sequencer.spec import TINY

    out.mkdir(parents=True, exist_ok=True)
    _step("Settling a co-signed trade through the executable spec (preset TINY)")
    _, _, _, record = settle_trade(log)

    _step("Building the settlement circuit (preset tiny)")
    start = time.perf_counter()
    prover = BatchProver(TINY, data_dir or DEFAULT_DATA_DIR)
    circuit = prover.circuit
    write_r1cs(out / "settlement.r1cs", circuit.r1cs)
    log(f"    {circuit.r1cs.n_constraints} constraints ({time.perf_counter() - start:.1f} s)")

    backend = prover.backend
    _step(f"Development key (UNSAFE: toxic waste from local randomness), set up once and kept under "
          f"{prover.data_dir / 'keys'}; proof with backend {backend.name}")
    start = time.perf_counter()
    _, vk, zkey_path = prover.key()
    log(f"    key {zkey_path.name} ready in {time.perf_counter() - start:.1f} s")
    write_vk(out / "settlement.vk.json", vk)
    proved = prover.prove(record, out)
    log(f"    witness in {proved.witness_s:.2f} s, proved in {proved.prove_s:.2f} s")
    public = [int(x) for x in proved.public]
    assert public == [record.digest]  # sha256(batch message) >> 3: old/new roots, prices, queues, withdrawals
    proof = read_proof(out / "proof.json")

    _step("Verifying (one public input: the SHA-256 digest of the batch message, which holds the old and new "
          "roots, batch, oracle round, prices, funding, queue entries, withdrawals)")
    ok = backend.verify(vk, public, proof)
    log(f"    zkclear verifier: {'valid' if ok else 'INVALID'}")
    from dataclasses import replace

    from sequencer.spec.public import batch_digest
    tampered = [batch_digest(replace(record.public, new_root=record.public.new_root + 1), TINY)]
    rejected = not backend.verify(vk, tampered, proof)
    log(f"    same proof for another new root: {'rejected' if rejected else 'ACCEPTED (bug)'}")
    snarkjs = REPO / "node_modules" / ".bin" / "snarkjs"
    if snarkjs.exists():
        done = subprocess.run([str(snarkjs), "groth16", "verify", str(out / "settlement.vk.json"),
                               str(out / "public.json"), str(out / "proof.json")], capture_output=True, text=True)
        log(f"    snarkjs groth16 verify: {'OK' if done.returncode == 0 else 'FAILED ' + done.stdout[-200:]}")
    onchain = _verify_on_chain(vk_to_json(vk), proof_to_json(proof), [str(x) for x in public], rpc_url, log)
    good = ok and rejected and onchain is not False
    _step("Done: " + ("every check passed" if good else "a check FAILED") + f"; files in {out}")
    return 0 if good else 1


def _verify_on_chain(vk_json: dict, proof_json: dict, public_json: list, rpc_url: str | None, log):
    from verifier_contracts.build import node_available

    if not node_available():
        log("    Solidity verifier: skipped (node tools not installed; run `make setup`)")
        return None
    from verifier_contracts.evm import Chain, deploy_verifier, verify_proof

    chain = Chain.connect(rpc_url) if rpc_url else Chain.embedded()
    contract = deploy_verifier(chain, vk_json)
    ok, gas = verify_proof(contract, proof_json, public_json)
    where = rpc_url or "embedded EVM (eth-tester)"
    log(f"    Solidity verifier on {where}: {'valid' if ok else 'INVALID'}, {gas} gas")
    return ok
