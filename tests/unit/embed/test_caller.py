"""The caller token: every claim checked, a stated company refused."""

from __future__ import annotations

import secrets
from typing import Any

import jwt
import pytest

from supersetctl.embed import Refused, sign_caller, verify_caller

NOW = 1_765_000_000.0


@pytest.fixture
def key() -> str:
    return secrets.token_urlsafe(40)


def _verify(token: str, key: str, **kw: Any) -> Any:
    opts: dict[str, Any] = {
        "secret": key,
        "issuer": "odoo",
        "audience": "supersetctl-embed",
        "max_lifetime": 300,
        "leeway": 10,
        "clock": lambda: NOW,
    }
    opts.update(kw)
    return verify_caller(token, **opts)


def _token(key: str, **kw: Any) -> str:
    opts: dict[str, Any] = {
        "secret": key,
        "issuer": "odoo",
        "audience": "supersetctl-embed",
        "user_id": 7,
        "login": "ana@example.com",
        "now": NOW,
    }
    opts.update(kw)
    return sign_caller(**opts)


def _code(token: str, key: str, **kw: Any) -> str:
    with pytest.raises(Refused) as info:
        _verify(token, key, **kw)
    assert info.value.status == 401
    assert token not in info.value.message
    return info.value.code


def test_a_good_token_names_the_user(key: str) -> None:
    who = _verify(_token(key, jti="abc"), key)
    assert (who.user_id, who.login, who.jti) == (7, "ana@example.com", "abc")


def test_expired_wrong_issuer_audience_or_key_are_refused(key: str) -> None:
    assert _code(_token(key, now=NOW - 400), key) == "caller_expired"
    assert _code(_token(key, issuer="other"), key) == "caller_issuer"
    assert _code(_token(key, audience="other"), key) == "caller_audience"
    assert _code(_token(secrets.token_urlsafe(40)), key) == "caller_invalid"


def test_a_company_claim_is_refused_whatever_its_value(key: str) -> None:
    for claim in ("company_id", "company", "allowed_company_ids", "cids"):
        token = _token(key, extra={claim: 1})
        assert _code(token, key) == "caller_company_claim"


def test_lifetime_future_and_subject_are_checked(key: str) -> None:
    assert _code(_token(key, lifetime=3600), key) == "caller_lifetime"
    assert _code(_token(key, now=NOW + 120), key) == "caller_future"
    assert _code(_token(key, extra={"sub": "admin"}), key) == "caller_subject"


def test_alg_none_and_missing_claims_are_refused(key: str) -> None:
    unsigned = jwt.encode(
        {"iss": "odoo", "aud": "supersetctl-embed", "sub": "7", "iat": NOW, "exp": NOW + 60},
        None,
        algorithm="none",
    )
    assert _code(unsigned, key) == "caller_invalid"
    no_exp = jwt.encode(
        {"iss": "odoo", "aud": "supersetctl-embed", "sub": "7", "iat": int(NOW)},
        key,
        algorithm="HS256",
    )
    assert _code(no_exp, key) == "caller_claims"
