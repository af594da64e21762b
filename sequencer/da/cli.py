"""`zkclear da member`: the command line of a DA committee member (sequencer/da/service.py).

Only the options live here, so that building the `zkclear` parser (every command, `zkclear
prove` included) imports none of the member's dependencies (web3, eth_account, FastAPI)."""
from __future__ import annotations

MEMBER_DESCRIPTION = ("A data-availability committee member: an HTTP service that checks each batch's payload "
                      "against its own copy of the tree, stores it, and only then signs the batch for the Rollup "
                      "(README: Data availability).")


def _run_member(args) -> int:
    from .service import run_member

    return run_member(args)


def register(sub) -> None:
    da = sub.add_parser("da", help="data availability: run a DA committee member",
                        description="Data availability committee (README: Data availability).")
    da_sub = da.add_subparsers(dest="da_command", required=True, metavar="ACTION")
    p = da_sub.add_parser("member", help="run a DA committee member: check, store and sign batch payloads",
                          description=MEMBER_DESCRIPTION)
    p.add_argument("--store", required=True, help="the member's folder (payloads, candidates, its binding)")
    p.add_argument("--key", required=True, help="file with the member's secp256k1 private key (64 hex digits)")
    p.add_argument("--listen", default="127.0.0.1:8100", help="HOST:PORT (port 0: a free one)")
    p.add_argument("--rpc-url", required=True, help="the Ethereum node the Rollup is on")
    p.add_argument("--rollup", default=None,
                   help="the Rollup's address (default: learnt from the sequencer's genesis push, once)")
    p.add_argument("--sync-interval", type=float, default=2.0,
                   help="seconds between reads of the chain (store what it settled)")
    p.set_defaults(func=_run_member)
