"""Signed shopper identity tokens: only a token this installation signed with HS256, still
valid, naming a customer by a decimal ``sub``, identifies a shopper; everything else is
anonymous (None), and nothing raises.

Hostile tokens are built by hand here (base64url + HMAC), the way an attacker would, so
the checks do not depend on any JWT library; interoperability with PyJWT is proved in the
Rasa environment (tests/web/test_identity.py)."""

import base64
import hashlib
import hmac
import json
import stat
from datetime import datetime, timezone

import pytest

from bot.identity import secrets as identity_secrets
from bot.identity.tokens import (DEFAULT_TTL_SECONDS, LEEWAY_SECONDS, MAX_TOKEN_CHARS, Identity, mint,
                                 verify)

SECRET = "test-identity-secret-" + "x" * 24
OTHER = "another-installation-secret-" + "y" * 16
NOW = 1_747_234_800  # 2025-05-14 15:00 UTC


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def segment(obj) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def forge(header, claims, key=SECRET, digest=hashlib.sha256, raw_claims=None) -> str:
    """A compact JWS signed by hand (any header, any claims, any key and hash)."""
    body = raw_claims if raw_claims is not None else segment(claims)
    signing_input = f"{segment(header)}.{body}"
    mac = hmac.new(key.encode("utf-8"), signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{b64(mac)}"


def claims_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


HS256 = {"alg": "HS256", "typ": "JWT"}


@pytest.fixture(autouse=True)
def identity_secret(monkeypatch):
    monkeypatch.setenv("SHOPBOT_IDENTITY_SECRET", SECRET)


def test_a_minted_token_names_the_customer_until_it_expires():
    token = mint(42, ttl_seconds=600, now=NOW)
    assert claims_of(token) == {"sub": "42", "iat": NOW, "exp": NOW + 600}  # sub: a string, RFC 7519
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    identity = verify(token, now=NOW + 1)
    assert identity == Identity(customer_id=42, expires_at=datetime.fromtimestamp(NOW + 600, tz=timezone.utc))
    assert isinstance(identity.customer_id, int)
    assert verify(token, now=NOW + 599).customer_id == 42
    assert verify(mint(7, now=NOW), now=NOW + DEFAULT_TTL_SECONDS - 1).customer_id == 7


def test_expired_tokens_are_anonymous_after_the_documented_leeway():
    token = mint(42, ttl_seconds=600, now=NOW)
    # clocks of the shop's site and of the server may differ a little
    assert verify(token, now=NOW + 600 + LEEWAY_SECONDS).customer_id == 42
    assert verify(token, now=NOW + 600 + LEEWAY_SECONDS + 1) is None
    assert verify(token, now=NOW + 86_400) is None
    # issued in the future (beyond the leeway), or not valid yet
    assert verify(mint(42, now=NOW + LEEWAY_SECONDS + 5), now=NOW) is None
    assert verify(mint(42, now=NOW + LEEWAY_SECONDS - 5), now=NOW).customer_id == 42
    assert verify(forge(HS256, {"sub": "42", "exp": NOW + 600, "nbf": NOW + 120}), now=NOW) is None
    assert verify(forge(HS256, {"sub": "42", "exp": NOW + 600, "nbf": NOW + 120}), now=NOW + 120).customer_id == 42


def test_a_token_of_another_key_is_forged():
    assert verify(mint(42, now=NOW, secret=OTHER), now=NOW) is None
    assert verify(mint(42, now=NOW, secret=OTHER), now=NOW, secret=OTHER).customer_id == 42
    assert verify(forge(HS256, {"sub": "42", "exp": NOW + 60}, key=OTHER), now=NOW) is None
    assert verify(forge(HS256, {"sub": "42", "exp": NOW + 60}, key=""), now=NOW) is None


def test_a_changed_payload_or_signature_is_forged():
    token = mint(42, ttl_seconds=600, now=NOW)
    header, _, signature = token.split(".")
    for claims in ({"sub": "1", "iat": NOW, "exp": NOW + 600},           # someone else
                   {"sub": "42", "iat": NOW, "exp": NOW + 10 ** 9}):     # longer life
        assert verify(f"{header}.{segment(claims)}.{signature}", now=NOW) is None
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert verify(f"{header}.{token.split('.')[1]}.{flipped}", now=NOW) is None
    assert verify(token[:-1], now=NOW) is None                              # truncated signature
    assert verify(f"{header}.{token.split('.')[1]}.", now=NOW) is None     # no signature at all


@pytest.mark.parametrize("header", [
    {"alg": "none", "typ": "JWT"},
    {"alg": "None"},
    {"alg": "NONE"},
    {"typ": "JWT"},
    {"alg": "hs256"},
    {"alg": "HS512"},
    {"alg": "HS384"},
    {"alg": "RS256"},
    {"alg": ["HS256"]},
    {"alg": "HS256", "typ": "JOSE+JSON"},
    {"alg": "HS256", "crit": ["exp"]},
])
def test_only_hs256_is_accepted(header):
    claims = {"sub": "42", "iat": NOW, "exp": NOW + 600}
    # unsigned, as "alg: none" tokens come
    assert verify(f"{segment(header)}.{segment(claims)}.", now=NOW) is None
    # signed with the right key, by the hash the header names (or HS256 where it names none)
    digest = {"HS512": hashlib.sha512, "HS384": hashlib.sha384}.get(str(header.get("alg")), hashlib.sha256)
    assert verify(forge(header, claims, digest=digest), now=NOW) is None


def test_hs512_with_the_right_key_is_still_refused():
    claims = {"sub": "42", "iat": NOW, "exp": NOW + 600}
    assert verify(forge({"alg": "HS512", "typ": "JWT"}, claims, digest=hashlib.sha512), now=NOW) is None
    # a header that names HS512 over an HS256 signature: the header is never believed either
    assert verify(forge({"alg": "HS512", "typ": "JWT"}, claims), now=NOW) is None
    assert verify(forge(HS256, claims), now=NOW).customer_id == 42  # the same claims as HS256: fine


@pytest.mark.parametrize("token", [None, "", 42, 4.2, b"a.b.c", ["a", "b", "c"], {"identity": "x"}, True])
def test_missing_or_not_a_string_is_anonymous(token):
    assert verify(token) is None


def test_malformed_tokens_are_anonymous():
    good = mint(42, now=NOW)
    header, claims, signature = good.split(".")
    for bad in ("x", "a.b", "a.b.c", "a.b.c.d", f"{good}.{signature}", f"{header}.{claims}",
                f"{header}=.{claims}.{signature}", f"{header}.{claims}=.{signature}", f" {good}", f"{good}\n",
                f"{header}.{claims}.{signature}==", f"{header}.{claims}.{signature}+", "..", "€.€.€",
                f"{b64(b'not json')}.{claims}.{signature}", f"{segment([1, 2])}.{claims}.{signature}"):
        assert verify(bad, now=NOW) is None, bad
    # claims that are not a JSON object, or not JSON, even when signed
    assert verify(forge(HS256, None, raw_claims=b64(b"[1, 2]")), now=NOW) is None
    assert verify(forge(HS256, None, raw_claims=b64(b"\xff\xfe")), now=NOW) is None
    assert verify(forge(HS256, None, raw_claims=b64(b'{"sub": "42", "exp": NaN}')), now=NOW) is None
    assert verify(forge(HS256, None, raw_claims=b64(b"[" * 1000 + b"]" * 1000)), now=NOW) is None
    # one claim twice: which one counts is ambiguous, so none does
    twice = b64(('{"sub": "42", "exp": %d, "exp": %d}' % (NOW - 10 ** 6, NOW + 600)).encode())
    assert verify(forge(HS256, None, raw_claims=twice), now=NOW) is None


@pytest.mark.parametrize("claims", [
    {"sub": "42"},                                   # no exp: never valid
    {"sub": "42", "exp": str(NOW + 600)},
    {"sub": "42", "exp": None},
    {"sub": "42", "exp": True},
    {"sub": "42", "exp": NOW + 600, "iat": "yesterday"},
    {"sub": "42", "exp": NOW + 600, "nbf": [0]},
    {"sub": "abc", "exp": NOW + 600},
    {"sub": "", "exp": NOW + 600},
    {"sub": "0", "exp": NOW + 600},
    {"sub": "-1", "exp": NOW + 600},
    {"sub": "4.2", "exp": NOW + 600},
    {"sub": "042", "exp": NOW + 600},
    {"sub": " 42", "exp": NOW + 600},
    {"sub": "42\n", "exp": NOW + 600},
    {"sub": "4" * 25, "exp": NOW + 600},
    {"sub": 42, "exp": NOW + 600},                   # RFC 7519: sub is a string
    {"sub": None, "exp": NOW + 600},
    {"exp": NOW + 600},
    {"sub": "42", "exp": 10 ** 20},                  # beyond any date
])
def test_claims_that_do_not_name_a_customer_are_anonymous(claims):
    assert verify(forge(HS256, claims), now=NOW) is None


def test_a_shops_extra_claims_are_fine_but_the_length_is_capped():
    claims = {"sub": "42", "iat": NOW, "exp": NOW + 600, "iss": "https://shop.example", "name": "Jane"}
    assert verify(forge(HS256, claims), now=NOW).customer_id == 42
    assert verify(forge({"alg": "HS256"}, claims), now=NOW).customer_id == 42  # typ is optional
    padded = dict(claims, pad="p" * 1000)
    assert len(forge(HS256, padded)) < MAX_TOKEN_CHARS and verify(forge(HS256, padded), now=NOW).customer_id == 42
    huge = dict(claims, pad="p" * MAX_TOKEN_CHARS)
    assert verify(forge(HS256, huge), now=NOW) is None  # correctly signed, and still too long


def test_mint_refuses_what_is_no_customer_id_or_lifetime():
    for bad in (0, -3, True, "42", 4.0, None, 2 ** 63):
        with pytest.raises(ValueError):
            mint(bad)
    for ttl in (0, -1, 1.5, None, True):
        with pytest.raises(ValueError):
            mint(42, ttl_seconds=ttl)


def test_the_secret_comes_from_the_environment_else_a_private_file(tmp_path, monkeypatch):
    from_env = mint(42, now=NOW)
    assert verify(from_env, now=NOW, secret=SECRET).customer_id == 42

    monkeypatch.delenv("SHOPBOT_IDENTITY_SECRET")
    monkeypatch.setenv("SHOPBOT_SECRETS_DIR", str(tmp_path / "secrets"))
    from_file = mint(42, now=NOW)
    path = tmp_path / "secrets" / "identity"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text().strip()
    assert len(stored) >= 32 and stored != SECRET
    assert verify(from_file, now=NOW).customer_id == 42
    assert verify(from_file, now=NOW, secret=stored).customer_id == 42
    assert verify(from_env, now=NOW) is None  # another installation's key
    assert identity_secrets.get_secret("identity") == stored
