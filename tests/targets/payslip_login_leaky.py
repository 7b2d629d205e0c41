"""Payslip whose login and password reset tell who works here.

Tokens are handled properly (as in payslip_jwt_verified), but login answers 404 "No such user" for
an unknown name and 401 "Incorrect password" for a known one, and the reset endpoint answers 404 for
unknown names and, for known ones, the reset PIN it just sent by SMS (left in for QA).
"""
import secrets

import jwt

from payslip_portal import create_app

SECRET = secrets.token_urlsafe(48)


def issue(claims: dict) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})


app = create_app("Payslip employee self-service", issue, decode, enumerating_login=True, reset_answers_pin=True)
