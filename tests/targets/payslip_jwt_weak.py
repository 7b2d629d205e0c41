"""Payslip signing its tokens with the key from the FastAPI security tutorial.

`SECRET_KEY` was copied from "OAuth2 with Password (and hashing), Bearer with JWT tokens" and never
replaced: whoever has one token cracks it offline and mints tokens for anyone. The signature and
algorithm are checked properly, but expiry is not: `verify_exp` was switched off when the mobile
app's clock skew logged people out.
"""
import jwt

from payslip_portal import create_app

# to get a string like this run: openssl rand -hex 32
SECRET_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
ALGORITHM = "HS256"


def issue(claims: dict) -> str:
    return jwt.encode(claims, SECRET_KEY, algorithm=ALGORITHM)


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM], options={"verify_exp": False})


app = create_app("Payslip employee self-service", issue, decode)
