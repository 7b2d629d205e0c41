"""Payslip done right (the clean twin of every payslip_* target).

Tokens are HS256 with a 384-bit secret generated at start-up (in production: from the secret
store), decoded with the algorithm pinned and `exp`/`sub` required. Login failures all read
"Incorrect username or password"; a reset request always answers 202 "If the account exists…";
both are limited to ten attempts per account name per 15 minutes (`X-RateLimit-*` headers, then 429).
"""
import secrets

import jwt

from payslip_portal import create_app

SECRET = secrets.token_urlsafe(48)


def issue(claims: dict) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})


app = create_app("Payslip employee self-service", issue, decode, rate_limited=True)
