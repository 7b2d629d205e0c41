"""Payslip with a hand-written JWT decoder that honours `alg: none`.

The nightly batch jobs call the API with unsigned tokens, so the decoder skips verification when
the header says `none` (compared case-insensitively). Everything else is verified: HS256 with a
random secret, constant-time comparison, expiry checked.
"""
import base64
import hashlib
import hmac
import json
import secrets
import time

from payslip_portal import create_app

SECRET = secrets.token_bytes(48)


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(claims: dict) -> str:
    header = b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64encode(json.dumps(claims).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64encode(signature)}"


def decode(token: str) -> dict:
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64decode(header_b64))
    claims = json.loads(b64decode(payload_b64))
    if str(header.get("alg", "")).lower() == "none":
        # Internal batch jobs (payroll export) send unsigned tokens.
        return claims
    if header.get("alg") != "HS256":
        raise ValueError("unsupported algorithm")
    expected = hmac.new(SECRET, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64decode(signature_b64)):
        raise ValueError("bad signature")
    if claims.get("exp", 0) < time.time():
        raise ValueError("expired")
    return claims


app = create_app("Payslip employee self-service", issue, decode)
