"""The executable spec of a settlement batch (consensus-specs style, plain Python).

Modules, one per concern:

- `constants`  units, bit bounds, market parameters, presets TINY / DEMO / MAINNET
- `hashing`    Poseidon (circomlib) with nesting above 16 inputs
- `box`        safe boxes: per market a ladder interval of price and an interval of funding
- `tree`       the state tree: Poseidon Merkle tree (arity 2 or 4) whose nodes bind their
               children's boxes; the root's box is the intersection of all leaf boxes
- `state`      account leaves, global fields, the state root, journal and witness log
- `margin`     TV, MR, IR, the worst case over a box, `choose_box` (and the solvency argument)
- `options`    European options (options presets): series, the oracle committee's figures and
               rows, the scenario-grid margin, the option safe box (and its argument), expiry
- `cross_margin` an account's margin in the state: margin.py's, or with options
- `ops`        op dataclasses, op codes, field widths, signed-message hashes, nonce window
- `transition` `process_batch`, `process_<op>`, `OpRefused`, `build_batch`
- `public`     the batch message (`BatchPublic`) and its sha256 digest, the proof's one public input
- `witness`    `BatchRecord`: the message contents, the digest, the per-op witness the prover consumes
- `bench_tree` `python -m sequencer.spec.bench_tree`: the tree at 2^20 accounts

For the batch circuit (which mirrors `process_<op>` one by one): the leaves each op touches,
in witness order (`BatchRecord.ops[k].updates`, each with pre/post leaf and path), and the
ops in the kind order `ops.KIND_ORDER`:

    Register   [account]                 id FIRST_L1_ACCOUNT + queue index; old leaf empty (hash 0, full box)
    Deposit    [account]                 the leaf exists; a write, or a read when bounced (overflow)
    ForcedWithdraw [account]             re-boxed when executed; a read when consumed with no effect
                                         (the leaf may be empty: registration not consumed yet)
    Funding    []                        F_j += delta, |delta| <= max_funding_delta_j
    Touch      [account]                 re-boxed: the box the sequencer chose
    Liquidate  [target, receiver, fund]  [target, fund] when the receiver is the fund; the
                                         target (flat) gets the full box
    Withdraw   [account]
    Trade      [buyer, seller]           distinct, neither is the fund; fees accrue to `State.fees`
    Deleverage [fund, account]
    OptionTrade [buyer, seller]          options presets only (after the deleverages)
    (closing)  [fund]                    `BatchRecord.settle`: credit the fees, re-box the fund, checked

Every write: funding settled, range checks; the box is kept unless said otherwise above and
the account must be solvent everywhere in its box (`box_surplus >= 0`; the fund's writes
inside ops are exempt, its closing write is not). End of batch: prices and funding indices
in the root box (`BatchRecord.root_box`, from the closing write's path).
"""
from .constants import DEMO, MAINNET, PRESETS, TINY, MarketParams, Preset
from .ops import (Deleverage, Deposit, ForcedWithdraw, Funding, Liquidate, Register, Touch, Trade, Withdraw,
                  message_hash, use_nonce)
from .state import Account, State, account_hash
from .transition import (Batch, BuiltBatch, OpRefused, build_batch, process_batch, process_deleverage,
                         process_deposit, process_forced_withdrawal, process_funding, process_liquidation, process_op,
                         process_register, process_touch, process_trade, process_withdrawal)
from .tree import BoxTree, compute_root, path_root
from .public import FIRST_L1_ACCOUNT, BatchPublic, batch_digest, batch_message
from .witness import BatchRecord

__all__ = [
    "TINY", "DEMO", "MAINNET", "PRESETS", "MarketParams", "Preset",
    "Register", "Deposit", "ForcedWithdraw", "Withdraw", "Trade", "Funding", "Touch", "Liquidate", "Deleverage",
    "message_hash", "use_nonce",
    "Account", "State", "account_hash",
    "Batch", "BuiltBatch", "OpRefused", "build_batch", "process_batch", "process_op",
    "process_register", "process_deposit", "process_forced_withdrawal", "process_withdrawal", "process_trade",
    "process_funding", "process_touch", "process_liquidation", "process_deleverage",
    "BoxTree", "compute_root", "path_root",
    "BatchRecord", "BatchPublic", "FIRST_L1_ACCOUNT", "batch_digest", "batch_message",
]
