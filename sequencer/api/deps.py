"""The handlers' dependencies as `Annotated` aliases.

Authentication (reads of private data). An account's owner logs in with its Baby Jubjub
key: `POST /v1/auth/challenge` gives a one-time 128-bit challenge, the owner signs
`spec.ops.AuthChallenge(account, challenge)` and `POST /v1/auth/token` trades the signature
for a bearer token (`zkt_...`, `Settings.token_ttl_s`). A viewing key (`zkv_...`) is a
bearer token too, read-only, for one account, until its owner revokes it. Both are sent as
`Authorization: Bearer <token>` and stored only as their sha256.

Answers never tell accounts apart: no or a bad token is 401 whatever the account; a good
token for another account is 404, as for an account that does not exist."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal, Optional

from fastapi import Depends, Header, HTTPException, Path, Request

from ..admission import Admission
from ..oplog import Store
from .config import Settings
from .models import ACCOUNT_ID_BITS
from .services import Services

TOKEN_PREFIX, VIEWING_KEY_PREFIX = "zkt_", "zkv_"


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


# (async: FastAPI runs a plain-def dependency in its thread pool, a hop per request)
ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_store(services: ServicesDep) -> Store:
    return services.store


async def get_admission(services: ServicesDep) -> Admission:
    return services.admission


StoreDep = Annotated[Store, Depends(get_store)]
AdmissionDep = Annotated[Admission, Depends(get_admission)]

AccountIdPath = Annotated[int, Path(ge=0, lt=1 << ACCOUNT_ID_BITS, description="account id")]
OpIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="op id (32 hex digits)")]
KeyIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="viewing key id")]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    account: int
    role: Literal["owner", "viewer"]


def _unauthorized() -> HTTPException:
    return HTTPException(401, "authentication required: Authorization: Bearer <token or viewing key>",
                         headers={"WWW-Authenticate": "Bearer"})


def get_principal(store: StoreDep,
                  authorization: Annotated[Optional[str], Header(max_length=200)] = None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise _unauthorized()
    token = authorization[len("Bearer "):].strip()
    account = None
    if token.startswith(TOKEN_PREFIX):
        account, role = store.token_account(token_hash(token)), "owner"
    elif token.startswith(VIEWING_KEY_PREFIX):
        account, role = store.viewing_key_account(token_hash(token)), "viewer"
    if account is None:
        raise _unauthorized()
    return Principal(account, role)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def reader_of(account_id: AccountIdPath, principal: PrincipalDep) -> Principal:
    """The owner or a viewing key of the account in the path; 404 for anyone else."""
    if principal.account != account_id:
        raise HTTPException(404, "account not found")
    return principal


def owner_of(principal: Annotated[Principal, Depends(reader_of)]) -> Principal:
    """The owner of the account in the path (a viewing key may only read)."""
    if principal.role != "owner":
        raise HTTPException(403, "a viewing key may only read")
    return principal


ReaderDep = Annotated[Principal, Depends(reader_of)]
OwnerDep = Annotated[Principal, Depends(owner_of)]
