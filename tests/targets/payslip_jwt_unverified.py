"""Payslip with tokens decoded but never verified.

The token is issued properly (HS256, random secret), but the auth dependency was "simplified" when
the API moved behind the gateway, which was supposed to verify tokens — and the gateway was never
configured for this route: PyJWT's `verify_signature: False` accepts any signature, none at all,
`alg: none`, and claims anybody edits (`sub` of a colleague).
"""
import secrets

import jwt

from payslip_portal import create_app

SECRET = secrets.token_urlsafe(48)


def issue(claims: dict) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def decode(token: str) -> dict:
    # The API gateway verifies signatures before requests reach us.
    return jwt.decode(token, options={"verify_signature": False})


app = create_app("Payslip employee self-service", issue, decode)
