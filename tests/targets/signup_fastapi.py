"""A FastAPI SaaS sign-up service whose register endpoint answers with the whole account record.

`POST /api/v1/register` (pydantic model: `email`, `password`, `plan` enum, optional `company`)
answers 201 with the stored account — the password as sent and a freshly minted live API key —
because the handler returns the ORM row instead of a response model. Only a well-formed request
reaches the handler: anything else is a 422 from validation.

`POST /api/v1/password-reset {"email"}` answers with the reset PIN it just mailed — a debugging
aid that shipped.

SIGNUP_RESPONSE_MODEL=1 is the fixed release: `response_model=Created` answers `{"id": …}` only,
and the reset answers `{"status": "sent"}`.
"""
import itertools
import os
import secrets
from enum import Enum
from typing import Optional

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, Field, field_validator

FIXED = os.environ.get("SIGNUP_RESPONSE_MODEL") == "1"

app = FastAPI(title="Ledgerly accounts", version="1.8.2")


class Plan(str, Enum):
    starter = "starter"
    growth = "growth"
    enterprise = "enterprise"


class Registration(BaseModel):
    email: str = Field(..., json_schema_extra={"format": "email"}, max_length=254)
    password: str = Field(..., min_length=10)
    plan: Plan
    company: Optional[str] = None

    @field_validator("email")
    @classmethod
    def looks_like_email(cls, v: str) -> str:
        if "@" not in v or "." not in v.split("@")[-1]:
            raise ValueError("not an e-mail address")
        return v.lower()


class Created(BaseModel):
    id: int


class ResetRequest(BaseModel):
    email: str = Field(..., json_schema_extra={"format": "email"}, max_length=254)


RESET_PINS: dict[str, str] = {}


ACCOUNTS: dict[str, dict] = {}
NEXT_ID = itertools.count(1001)


@app.get("/api/v1/health")
def health():
    return {"status": "ok"}


@app.get("/api/v1/plans")
def plans():
    return [
        {"plan": "starter", "seats": 3, "price_usd": 0},
        {"plan": "growth", "seats": 25, "price_usd": 49},
        {"plan": "enterprise", "seats": None, "price_usd": None},
    ]


def create_account(reg: Registration) -> dict:
    if reg.email in ACCOUNTS:
        raise HTTPException(status.HTTP_409_CONFLICT, "an account with this e-mail already exists")
    account = {
        "id": next(NEXT_ID),
        "email": reg.email,
        "password": reg.password,
        "plan": reg.plan.value,
        "company": reg.company,
        "api_key": "lk_live_" + secrets.token_hex(16),
    }
    ACCOUNTS[reg.email] = account
    return account


if FIXED:

    @app.post("/api/v1/register", status_code=201, response_model=Created)
    def register(reg: Registration):
        return create_account(reg)

else:

    @app.post("/api/v1/register", status_code=201)
    def register(reg: Registration):
        return create_account(reg)


@app.post("/api/v1/password-reset", status_code=202)
def request_password_reset(req: ResetRequest):
    # Same answer whether or not the account exists: no user enumeration here.
    pin = f"{secrets.randbelow(10**6):06d}"
    RESET_PINS[req.email.lower()] = pin
    if FIXED:
        return {"status": "sent"}
    return {"status": "sent", "channel": "email", "reset_pin": pin}
