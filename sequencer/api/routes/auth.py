import secrets

from fastapi import APIRouter, HTTPException

from circuits.crypto.eddsa import verify_poseidon

from ...spec.ops import AuthChallenge, message_hash
from ..deps import TOKEN_PREFIX, ServicesDep, SettingsDep, token_hash
from ..models import ChallengeIn, ChallengeOut, ErrorOut, TokenIn, TokenOut
from .common import signature

router = APIRouter(prefix="/v1/auth", tags=["auth"])


def account_key(services, account_id: int):
    leaf = services.settled.accounts.get(account_id)
    if leaf is not None:
        return leaf.pubkey
    row = services.store.get_account(account_id)
    return None if row is None else (int(row.pubkey_x), int(row.pubkey_y))


@router.post("/challenge", response_model=ChallengeOut)
def challenge(body: ChallengeIn, services: ServicesDep, settings: SettingsDep) -> ChallengeOut:
    """A one-time challenge; sign spec.ops.AuthChallenge(account, int(challenge, 16)). The
    answer is the same for an account that does not exist (nothing is stored for it)."""
    value = secrets.token_hex(16)
    if account_key(services, body.account) is not None:
        services.store.add_auth(value, "challenge", body.account, settings.challenge_ttl_s)
    return ChallengeOut(account=body.account, challenge=value, expires_in=settings.challenge_ttl_s)


@router.post("/token", response_model=TokenOut, responses={401: {"model": ErrorOut}})
def token(body: TokenIn, services: ServicesDep, settings: SettingsDep) -> TokenOut:
    """Trade a signed challenge for a bearer token that reads the account (token_ttl_s)."""
    pub = account_key(services, body.account)
    msg = message_hash(AuthChallenge(body.account, int(body.challenge, 16)), services.preset.domain)
    ok = pub is not None and verify_poseidon(msg, signature(body.signature), pub)
    # the challenge is consumed only by a valid signature: a bad one cannot burn another's
    if not ok or not services.store.take_challenge(body.challenge, body.account):
        raise HTTPException(401, "authentication failed", headers={"WWW-Authenticate": "Bearer"})
    value = TOKEN_PREFIX + secrets.token_hex(32)
    services.store.add_auth(token_hash(value), "token", body.account, settings.token_ttl_s)
    return TokenOut(token=value, expires_in=settings.token_ttl_s)
