"""Registration requests, owner login, account reads, viewing keys: only the owner (or a
viewing key it handed out) reads an account; anyone else gets 401 or 404 and learns
nothing (the same answer for an account that does not exist)."""
from sequencer.spec import TINY
from sequencer.spec.ops import AccountRequest, AuthChallenge, message_hash

from .conftest import COLLATERAL, address, key, sig_json, sign, trade_body


def _request(i: int, l1: str, signer=None) -> dict:
    pub = key(i).public_key
    msg = message_hash(AccountRequest(pubkey=pub, l1_address=int(l1, 16)), TINY.domain)
    return {"pubkey": {"x": str(pub[0]), "y": hex(pub[1])}, "l1_address": l1,
            "signature": sig_json(sign(signer if signer is not None else i, msg))}


def test_registration_request_answers_the_l1_call(world):
    world.services.chain["rollup"] = "0x" + "ab" * 20
    counts = world.counts()
    l1 = "0x" + "C0FFEE" * 6 + "0000"
    r = world.client.post("/v1/accounts", json=_request(20, l1))
    assert r.status_code == 200, r.text
    pub = key(20).public_key
    assert r.json() == {"call": "register", "pubkeyX": str(pub[0]), "pubkeyY": str(pub[1]), "from": l1.lower(),
                        "rollup": "0x" + "ab" * 20}
    assert world.counts() == counts  # the id comes from the chain: nothing recorded yet
    bad = world.client.post("/v1/accounts", json=_request(20, l1, signer=21))
    assert bad.status_code == 400 and bad.json()["reason"] == "bad signature"
    # signed for another address
    other = _request(20, l1)
    other["l1_address"] = "0x" + "11" * 20
    assert world.client.post("/v1/accounts", json=other).status_code == 400
    assert world.client.post("/v1/accounts", json={**_request(20, l1), "l1_address": "0x1234"}).status_code == 422
    assert world.counts() == counts


def test_upsert_account_is_the_directory(world):
    world.store.upsert_account(9, (5, 7), "0x" + "AB" * 20)
    world.store.upsert_account(9, (5, 8), "0x" + "AB" * 20)
    row = world.store.get_account(9)
    assert (row.pubkey_x, row.pubkey_y, row.l1_owner) == ("5", "8", "0x" + "ab" * 20)


def test_owner_reads_its_account(world):
    world.client.post("/v1/trades", json=trade_body(buyer=1, seller=2))
    token = world.login(1)
    r = world.client.get("/v1/accounts/1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["id"] == 1 and a["l1_address"] == address(1) and a["pubkey"] == [str(v) for v in key(1).public_key]
    assert a["leaf"]["collateral"] == COLLATERAL and a["leaf"]["positions"] == [0, 0]
    assert a["pending"]["positions"] == [1, 0]  # the accepted trade
    assert a["margin"]["tv"] == COLLATERAL and a["margin"]["mr"] == 0 and a["settled_batch"] == 0
    assert len(a["merkle_path"]) == TINY.depth and a["root"] == hex(world.services.settled.root())
    assert len(a["box"]) == TINY.num_markets
    ops = world.client.get("/v1/accounts/1/ops", headers={"Authorization": f"Bearer {token}"}).json()
    assert [o["kind"] for o in ops] == ["trade"]


def test_nobody_else_reads_an_account(world):
    token2 = world.login(2)
    counts = world.counts()
    for path in ("/v1/accounts/1", "/v1/accounts/1/ops", "/v1/accounts/1/viewing-keys"):
        assert world.client.get(path).status_code == 401
        assert world.client.get(path, headers={"Authorization": "Bearer zkt_" + "0" * 64}).status_code == 401
        assert world.client.get(path, headers={"Authorization": "Basic abc"}).status_code == 401
        # another owner's token: the same 404 as an account that does not exist
        r1 = world.client.get(path, headers={"Authorization": f"Bearer {token2}"})
        r9 = world.client.get(path.replace("/1", "/99"), headers={"Authorization": f"Bearer {token2}"})
        assert r1.status_code == r9.status_code == 404 and r1.json() == r9.json()
    assert world.client.post("/v1/accounts/1/viewing-keys", json={},
                             headers={"Authorization": f"Bearer {token2}"}).status_code == 404
    assert world.counts() == counts


def test_login_needs_the_key(world):
    ch = world.client.post("/v1/auth/challenge", json={"account": 1}).json()["challenge"]
    msg = message_hash(AuthChallenge(1, int(ch, 16)), TINY.domain)
    wrong = {"account": 1, "challenge": ch, "signature": sig_json(sign(2, msg))}
    assert world.client.post("/v1/auth/token", json=wrong).status_code == 401
    # another account's challenge, or a made-up one
    good = {"account": 1, "challenge": ch, "signature": sig_json(sign(1, msg))}
    assert world.client.post("/v1/auth/token", json={**good, "account": 2}).status_code == 401
    assert world.client.post("/v1/auth/token", json={**good, "challenge": "0" * 32}).status_code == 401
    assert world.client.post("/v1/auth/token", json=good).status_code == 200
    assert world.client.post("/v1/auth/token", json=good).status_code == 401  # one-time
    # a challenge for an account that does not exist looks the same and stores nothing
    counts = world.counts()
    r = world.client.post("/v1/auth/challenge", json={"account": 77})
    assert r.status_code == 200 and set(r.json()) == {"account", "challenge", "expires_in"}
    assert world.counts() == counts


def test_viewing_key_reads_until_revoked(world):
    owner = {"Authorization": f"Bearer {world.login(3)}"}
    world.client.post("/v1/trades", json=trade_body(buyer=3, seller=4))
    r = world.client.post("/v1/accounts/3/viewing-keys", json={"label": "auditor"}, headers=owner)
    assert r.status_code == 201, r.text
    vk = r.json()
    assert vk["key"].startswith("zkv_") and vk["account"] == 3
    viewer = {"Authorization": f"Bearer {vk['key']}"}
    assert world.client.get("/v1/accounts/3", headers=viewer).status_code == 200
    assert len(world.client.get("/v1/accounts/3/ops", headers=viewer).json()) == 1
    # read-only and for this account only
    assert world.client.post("/v1/accounts/3/viewing-keys", json={}, headers=viewer).status_code == 403
    assert world.client.get("/v1/accounts/4", headers=viewer).status_code == 404
    listed = world.client.get("/v1/accounts/3/viewing-keys", headers=owner).json()
    assert listed == [{"id": vk["id"], "account": 3, "label": "auditor", "key": None, "revoked": False}]
    assert world.client.delete(f"/v1/accounts/3/viewing-keys/{vk['id']}", headers=owner).status_code == 204
    assert world.client.delete(f"/v1/accounts/3/viewing-keys/{vk['id']}", headers=owner).status_code == 404
    assert world.client.get("/v1/accounts/3", headers=viewer).status_code == 401


def test_viewing_keys_revoked_on_the_collection(world):
    """DELETE /v1/accounts/{id}/viewing-keys?key_id=K revokes one key; without key_id, all of
    them. Only the owner may: a viewer's or a stranger's DELETE changes nothing."""
    owner = {"Authorization": f"Bearer {world.login(3)}"}
    made = [world.client.post("/v1/accounts/3/viewing-keys", json={"label": f"a{i}"}, headers=owner).json()
            for i in range(3)]
    viewer = {"Authorization": f"Bearer {made[0]['key']}"}
    stranger = {"Authorization": f"Bearer {world.login(4)}"}
    assert world.client.delete("/v1/accounts/3/viewing-keys", headers=viewer).status_code == 403
    assert world.client.delete("/v1/accounts/3/viewing-keys", headers=stranger).status_code in (403, 404)
    assert world.client.delete("/v1/accounts/3/viewing-keys?key_id=xyz", headers=owner).status_code == 422
    assert all(not k["revoked"] for k in world.client.get("/v1/accounts/3/viewing-keys", headers=owner).json())
    r = world.client.delete(f"/v1/accounts/3/viewing-keys?key_id={made[1]['id']}", headers=owner)
    assert r.status_code == 204
    revoked = {k["id"]: k["revoked"] for k in world.client.get("/v1/accounts/3/viewing-keys", headers=owner).json()}
    assert revoked == {made[0]["id"]: False, made[1]["id"]: True, made[2]["id"]: False}
    assert world.client.delete(f"/v1/accounts/3/viewing-keys?key_id={made[1]['id']}", headers=owner).status_code == 404
    assert world.client.get("/v1/accounts/3", headers=viewer).status_code == 200
    assert world.client.delete("/v1/accounts/3/viewing-keys", headers=owner).status_code == 204
    assert all(k["revoked"] for k in world.client.get("/v1/accounts/3/viewing-keys", headers=owner).json())
    assert world.client.get("/v1/accounts/3", headers=viewer).status_code == 401


def test_registered_on_l1_not_yet_settled(world):
    """An account the registration queue announced but no batch has written yet: its owner
    logs in with the directory's key and reads an account with no leaf."""
    world.store.upsert_account(9, key(9).public_key, address(9))
    token = world.login(9)
    a = world.client.get("/v1/accounts/9", headers={"Authorization": f"Bearer {token}"}).json()
    assert a["leaf"] is None and a["margin"] is None and a["pending"] is None
    assert a["l1_address"] == address(9) and a["pubkey"] == [str(v) for v in key(9).public_key]
    # it cannot trade before its leaf exists
    r = world.client.post("/v1/trades", json=trade_body(buyer=9, seller=1, buyer_nonce=1, seller_nonce=40))
    assert r.status_code == 400 and r.json()["reason"] == "unknown account"


def test_login_flood_does_not_accumulate(world):
    for _ in range(20):
        assert world.client.post("/v1/auth/challenge", json={"account": 1}).status_code == 200
    assert world.counts()["auth_tokens"] == world.store.MAX_LIVE_PER_ACCOUNT
    world.login(1)  # the newest challenges still work


def _shape(v):
    """The JSON value with every hex string replaced by "hash"."""
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_shape(x) for x in v]
    return "hash" if isinstance(v, str) and v.startswith("0x") else v


def test_owner_path_is_hashes_only(world):
    """The route's Merkle path is the spec's owner path (`BoxTree.path`): per level a position
    and hashes; the leaf carries its salt, so the owner can prove its exit. Rewriting another
    account (collateral, positions, box) changes hash values in the answer and nothing else."""
    from dataclasses import replace

    from sequencer.spec.state import account_hash
    from sequencer.spec.tree import path_root

    token = world.login(1)
    headers = {"Authorization": f"Bearer {token}"}
    a = world.client.get("/v1/accounts/1", headers=headers).json()
    settled = world.services.settled
    spec_path = settled.tree.path(1)
    assert a["merkle_path"] == [{"position": lv.position, "sibling_hashes": [hex(h) for h in lv.sibling_hashes],
                                 "box_commitment": hex(lv.box_commitment)} for lv in spec_path]
    assert a["leaf"]["salt"] == hex(settled.accounts[1].salt)
    assert path_root(TINY.arity, account_hash(settled.accounts[1]), 1, spec_path) == settled.tree.root
    other = settled.accounts[0]  # the sibling of account 1
    settled.write_account(0, replace(other, collateral=other.collateral + 777,
                                     positions=tuple(q + 3 for q in other.positions),
                                     box=tuple((900, 1100, -5, 5) for _ in other.box)))
    b = world.client.get("/v1/accounts/1", headers=headers).json()
    assert _shape(b) == _shape(a) and b["leaf"] == a["leaf"] and b["margin"] == a["margin"]
    assert b["merkle_path"] != a["merkle_path"] and b["root"] != a["root"]
