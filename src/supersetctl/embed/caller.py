"""The caller's token: who the host's backend says the user is, and nothing more.

The host's backend (an Odoo controller) signs a short-lived HS256 JWT with a secret it shares
with the broker only::

    {"iss": "odoo", "aud": "supersetctl-embed", "sub": "7", "login": "ana@example.com",
     "iat": 1765000000, "exp": 1765000060, "jti": "..."}

Checked here: the signature (HS256 only: ``alg: none`` and RS/HS confusion are refused by
naming the one algorithm), ``iss``, ``aud``, ``exp`` and ``iat`` present and valid with a small
leeway, a lifetime (``exp - iat``) no longer than the configured maximum, ``iat`` not in the
future, ``sub`` an Odoo user id (digits). A token that states a company is refused: the
company comes from the server-side mapping only, so a forged or stale claim is never read.

PyJWT: the JWT library Superset itself uses, maintained since 2015, no dependency for HS256.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from .errors import Refused

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
# claims a caller must never send: the company is the broker's to find
COMPANY_CLAIMS = frozenset(
    {"company", "company_id", "company_ids", "companies", "allowed_company_ids", "cids"}
)


@dataclass(frozen=True)
class Identity:
    user_id: int
    login: str
    jti: str


def check_secret(secret: str, name: str) -> str:
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{name} is shorter than {MIN_SECRET_BYTES} bytes; generate one with "
            "`openssl rand -base64 42`"
        )
    return secret


def verify_caller(
    token: str,
    *,
    secret: str,
    issuer: str,
    audience: str,
    max_lifetime: int,
    leeway: int,
    clock: Callable[[], float] = time.time,
) -> Identity:
    """The identity ``token`` carries, or :class:`Refused` (401) saying why (never echoing
    the token)."""
    now = clock()
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            # exp and iat are checked below against ``clock`` (one clock for every check)
            options={
                "require": ["exp", "iat", "iss", "aud", "sub"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.ExpiredSignatureError:
        raise Refused(401, "caller_expired", "the caller token has expired") from None
    except jwt.InvalidAudienceError:
        raise Refused(401, "caller_audience", "the caller token is for another audience") from None
    except jwt.InvalidIssuerError:
        raise Refused(401, "caller_issuer", "the caller token has another issuer") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Refused(401, "caller_claims", f"the caller token lacks '{exc.claim}'") from None
    except jwt.InvalidTokenError:
        raise Refused(401, "caller_invalid", "the caller token is not valid") from None
    stated = sorted(COMPANY_CLAIMS.intersection(claims))
    if stated:
        raise Refused(
            401,
            "caller_company_claim",
            f"the caller token states {', '.join(stated)}: the company is never taken "
            "from the caller",
        )
    iat, exp = claims["iat"], claims["exp"]
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise Refused(401, "caller_claims", "iat and exp must be numbers")
    if exp <= now - leeway:
        raise Refused(401, "caller_expired", "the caller token has expired")
    if iat > now + leeway:
        raise Refused(401, "caller_future", "the caller token is issued in the future")
    if exp - iat > max_lifetime:
        raise Refused(
            401, "caller_lifetime", f"the caller token lives longer than {max_lifetime} s"
        )
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.isdigit() or int(sub) <= 0:
        raise Refused(401, "caller_subject", "sub must be the host user's numeric id")
    login = claims.get("login")
    jti = claims.get("jti")
    return Identity(
        user_id=int(sub),
        login=login if isinstance(login, str) else "",
        jti=jti if isinstance(jti, str) else "",
    )


def sign_caller(
    *,
    secret: str,
    issuer: str,
    audience: str,
    user_id: int,
    login: str = "",
    lifetime: int = 60,
    jti: str | None = None,
    extra: dict[str, object] | None = None,
    now: float | None = None,
) -> str:
    """A caller token as a host backend makes one (tests, the bench and the docs' example)."""
    import secrets

    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + lifetime,
        "jti": jti or secrets.token_hex(8),
    }
    if login:
        claims["login"] = login
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
