import secrets
from typing import Optional

from fastapi import APIRouter, HTTPException, Query, Response

from circuits.crypto.eddsa import verify_poseidon

from ...spec import cross_margin as xm
from ...spec import margin
from ...spec.constants import BPS
from ...spec.ops import AccountRequest, message_hash
from ...spec.state import Account
from ...spec.transition import OpRefused
from ..deps import VIEWING_KEY_PREFIX, AccountIdPath, KeyIdPath, OwnerDep, ReaderDep, ServicesDep, token_hash
from ..models import (AccountPublic, AccountRequestIn, ErrorOut, Leaf, MarginOut, OpPublic, OptionSlot,
                      PathLevelOut, RegistrationCall, ViewingKeyIn, ViewingKeyOut)
from .common import op_public, signature

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
PRIVATE = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}}


@router.post("", response_model=RegistrationCall, response_model_by_alias=True,
             responses={400: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def request_account(body: AccountRequestIn, services: ServicesDep) -> RegistrationCall:
    """Check a registration request (the key signs spec.ops.AccountRequest(l1_address)) and
    answer the L1 call its owner makes: Rollup.register(pubkeyX, pubkeyY) from `l1_address`.
    The contract assigns the id; the service learns it from the registration queue."""
    pub = (body.pubkey.x, body.pubkey.y)
    req = AccountRequest(pubkey=pub, l1_address=int(body.l1_address, 16))
    if not verify_poseidon(message_hash(req, services.preset.domain), signature(body.signature), pub):
        raise OpRefused("bad signature")
    return RegistrationCall(pubkeyX=str(pub[0]), pubkeyY=str(pub[1]), **{"from": body.l1_address},
                            rollup=services.chain.get("rollup"))


def _leaf(a: Account) -> Leaf:
    return Leaf(nonce_hi=a.nonce_hi, nonce_bitmap=a.nonce_bitmap, collateral=a.collateral,
                positions=list(a.positions), snapshots=list(a.snapshots), salt=hex(a.salt),
                options=[OptionSlot(series=sid, size=n) for sid, n in a.option_slots])


def _margin(settled, leaf: Account) -> Optional[MarginOut]:
    preset, g, f = settled.preset, settled.prices, settled.funding
    if settled.options is None:
        return MarginOut(tv=margin.total_value(leaf, preset, g, f),
                         mr=-(-margin.requirement_scaled(leaf, preset, g, "maintenance") // BPS),
                         ir=-(-margin.requirement_scaled(leaf, preset, g, "initial") // BPS),
                         maintenance_surplus_bps=margin.maintenance_surplus(leaf, preset, g, f),
                         initial_surplus_bps=margin.initial_surplus(leaf, preset, g, f))
    if settled.options.figures is None:  # options preset before its first batch: no figures yet
        return None
    tv = xm.total_value(settled, leaf)
    ms, is_ = xm.marks_surplus(settled, leaf, "maintenance"), xm.marks_surplus(settled, leaf, "initial")
    return MarginOut(tv=tv, mr=-(-(BPS * tv - ms) // BPS), ir=-(-(BPS * tv - is_) // BPS),
                     maintenance_surplus_bps=ms, initial_surplus_bps=is_)


@router.get("/{account_id}", response_model=AccountPublic, responses=PRIVATE)
def get_account(account_id: AccountIdPath, reader: ReaderDep, services: ServicesDep) -> AccountPublic:
    """The account's settled leaf, box, margin at the settled prices, Merkle path at the
    settled root, and its leaf with the pending ops applied. Owner or viewing key only."""
    settled = services.settled
    leaf = settled.accounts.get(account_id)
    row = services.store.get_account(account_id)
    if leaf is None and row is None:
        raise HTTPException(404, "account not found")
    out = dict(id=account_id, settled_batch=settled.batch_number, leaf=None, box=None, margin=None,
               merkle_path=None, root=None, pending=None,
               pubkey=[row.pubkey_x, row.pubkey_y] if row else [str(v) for v in leaf.pubkey],
               l1_address=row.l1_owner if row else None)
    if leaf is not None:
        out.update(
            leaf=_leaf(leaf), box=[list(b) for b in leaf.box], root=hex(settled.root()),
            margin=_margin(settled, leaf),
            merkle_path=[PathLevelOut(position=lv.position, sibling_hashes=[hex(h) for h in lv.sibling_hashes],
                                      box_commitment=hex(lv.box_commitment))
                         for lv in settled.tree.path(account_id)])
        if out["l1_address"] is None:
            out["l1_address"] = "0x%040x" % leaf.l1_address
    pending = services.admission.pending.accounts.get(account_id)
    if pending is not None:
        out["pending"] = _leaf(pending)
    return AccountPublic(**out)


@router.get("/{account_id}/ops", response_model=list[OpPublic], responses=PRIVATE)
def account_ops(account_id: AccountIdPath, reader: ReaderDep, services: ServicesDep,
                limit: int = Query(100, ge=1, le=1000)) -> list[OpPublic]:
    """The account's ops, newest first (owner or viewing key)."""
    return [op_public(r) for r in services.store.ops_of_account(account_id, limit)]


@router.post("/{account_id}/viewing-keys", status_code=201, response_model=ViewingKeyOut, responses=PRIVATE)
def create_viewing_key(account_id: AccountIdPath, owner: OwnerDep, services: ServicesDep,
                       body: Optional[ViewingKeyIn] = None) -> ViewingKeyOut:
    """A read-only key for this account (shown once): whoever holds it reads the account and
    its op history until the owner revokes it."""
    if services.store.get_account(account_id) is None:
        raise HTTPException(404, "account not found")
    key_id, key = secrets.token_hex(16), VIEWING_KEY_PREFIX + secrets.token_hex(32)
    label = body.label if body else None
    services.store.add_viewing_key(key_id, account_id, token_hash(key), label)
    return ViewingKeyOut(id=key_id, account=account_id, label=label, key=key)


@router.get("/{account_id}/viewing-keys", response_model=list[ViewingKeyOut], responses=PRIVATE)
def list_viewing_keys(account_id: AccountIdPath, owner: OwnerDep, services: ServicesDep) -> list[ViewingKeyOut]:
    return [ViewingKeyOut(id=r.id, account=r.account, label=r.label, revoked=r.revoked)
            for r in services.store.viewing_keys(account_id)]


@router.delete("/{account_id}/viewing-keys", status_code=204, responses=PRIVATE)
def revoke_viewing_keys(account_id: AccountIdPath, owner: OwnerDep, services: ServicesDep,
                        key_id: Optional[str] = Query(None, pattern=r"^[0-9a-f]{32}$",
                                                      description="the key to revoke; without it, every key")
                        ) -> Response:
    """Revoke the viewing key `?key_id=` (404 if it is not a live key of this account), or
    every live viewing key of the account when no `key_id` is given."""
    if key_id is not None:
        return revoke_viewing_key(account_id, key_id, owner, services)
    for row in services.store.viewing_keys(account_id):
        if not row.revoked:
            services.store.revoke_viewing_key(account_id, row.id)
    return Response(status_code=204)


@router.delete("/{account_id}/viewing-keys/{key_id}", status_code=204, responses=PRIVATE)
def revoke_viewing_key(account_id: AccountIdPath, key_id: KeyIdPath, owner: OwnerDep,
                       services: ServicesDep) -> Response:
    if not services.store.revoke_viewing_key(account_id, key_id):
        raise HTTPException(404, "viewing key not found")
    return Response(status_code=204)
