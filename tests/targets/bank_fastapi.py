"""Northwind Bank's retail API (FastAPI on uvicorn): customers sign in and read their accounts.

`POST /auth/token {"username", "password"}` answers `{"access_token": <JWT>, "token_type": "bearer"}`
(HS256, `sub` = the username). Accounts are addressed by their account number, never by a numeric
id: `GET /accounts` lists the caller's (`ACC-10023`, …), `GET /accounts/{account_number}` shows one
with its holder, e-mail, IBAN and balance, `GET /accounts/{account_number}/transactions` its
movements. FastAPI serves the OpenAPI document at `/openapi.json`.

The bug: the account routes load the account by number and never compare its owner with the
token's subject. `bank_fastapi_hardened` answers 404 for an account that is not the caller's and
masks the IBAN.

`GET /demo/reset` restores the demo data set (and wipes every account's transactions): a
state-changing GET declared in the spec, which no default scan may call.
"""
import os
import time

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

SECRET = os.urandom(32)

CUSTOMERS = {
    "alice": {"password": "Hq2-x9Lm4-pW3v", "full_name": "Alice Moreau", "email": "alice.moreau@proton.me"},
    "bob": {"password": "Vn3-s8Jd2-QwZ6", "full_name": "Bob Lindqvist", "email": "b.lindqvist@fastmail.com"},
    "chen": {"password": "Pz5-t1Yc8-Rb0e", "full_name": "Chen Wei", "email": "chen.wei@posteo.net"},
}

ACCOUNTS = {
    "ACC-10023": {"owner": "alice", "type": "checking", "iban": "FR9252601815908301661318609", "balance": "2 310.55"},
    "ACC-10024": {"owner": "alice", "type": "savings", "iban": "FR8213909960308246281948219", "balance": "9 800.00"},
    "ACC-20417": {"owner": "bob", "type": "checking", "iban": "DE46935181909378657975", "balance": "1 045.12"},
    "ACC-31188": {"owner": "chen", "type": "checking", "iban": "DE47432319487574911862", "balance": "66.40"},
}

TRANSACTIONS = {
    "ACC-10023": [{"booked": "2026-11-03", "text": "Rent November", "amount": "-1250.00"}],
    "ACC-10024": [{"booked": "2026-11-30", "text": "Standing order", "amount": "200.00"}],
    "ACC-20417": [{"booked": "2026-11-28", "text": "Payroll Nordlys AB", "amount": "2980.00"}],
    "ACC-31188": [{"booked": "2026-11-12", "text": "Grocer", "amount": "-86.10"}],
}


class Login(BaseModel):
    username: str
    password: str


def create_app(check_owner: bool) -> FastAPI:
    app = FastAPI(title="Northwind Bank retail API", version="2.3.0")
    bearer = HTTPBearer(auto_error=False)
    transactions = {k: list(v) for k, v in TRANSACTIONS.items()}

    def customer(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> str:
        if credentials is None:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
        if claims.get("sub") not in CUSTOMERS:
            raise HTTPException(401, "Unknown subject")
        return claims["sub"]

    def account_of(account_number: str, username: str) -> dict:
        account = ACCOUNTS.get(account_number)
        if account is None or (check_owner and account["owner"] != username):
            raise HTTPException(404, "Account not found")
        return account

    @app.post("/auth/token")
    def token(login: Login):
        known = CUSTOMERS.get(login.username)
        if known is None or known["password"] != login.password:
            raise HTTPException(401, "Incorrect username or password")
        now = int(time.time())
        claims = {"sub": login.username, "iat": now, "exp": now + 3600, "scope": "accounts:read"}
        return {"access_token": jwt.encode(claims, SECRET, algorithm="HS256"), "token_type": "bearer"}

    @app.get("/me")
    def me(username: str = Depends(customer)):
        c = CUSTOMERS[username]
        return {"username": username, "full_name": c["full_name"], "email": c["email"]}

    @app.get("/accounts")
    def accounts(username: str = Depends(customer)):
        return [
            {"account_number": number, "type": a["type"], "currency": "EUR"}
            for number, a in ACCOUNTS.items()
            if a["owner"] == username
        ]

    @app.get("/accounts/{account_number}")
    def account(account_number: str, username: str = Depends(customer)):
        a = account_of(account_number, username)
        holder = CUSTOMERS[a["owner"]]
        return {
            "account_number": account_number,
            "owner": a["owner"],
            "holder_name": holder["full_name"],
            "email": holder["email"],
            "iban": f"{a['iban'][:4]} •••• {a['iban'][-4:]}" if check_owner else a["iban"],
            "type": a["type"],
            "balance": a["balance"],
            "currency": "EUR",
        }

    @app.get("/accounts/{account_number}/transactions")
    def account_transactions(account_number: str, username: str = Depends(customer)):
        account_of(account_number, username)
        return {"account_number": account_number, "transactions": transactions[account_number]}

    @app.get("/demo/reset")
    def reset_demo():
        for number in transactions:
            transactions[number] = []
        return {"status": "demo data reset"}

    return app


app = create_app(check_owner=False)
