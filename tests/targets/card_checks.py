"""A payments helper API on FastAPI: card-number validation (Luhn + brand) and an account lookup by
e-mail used by the sign-up form. Both answer with the value they were given — an echo of the
request, not a leak. With CARD_CHECKS_LEAKY=1 the lookup also returns what the caller did not send
(the account's phone number and birthday): that is a leak."""
import os
import sqlite3
import time
from collections import defaultdict, deque
from typing import Optional

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel

LEAKY = os.environ.get("CARD_CHECKS_LEAKY") == "1"

app = FastAPI(title="Payments helpers", version="2.1.0")

db = sqlite3.connect(":memory:", check_same_thread=False)
db.executescript(
    """
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT UNIQUE, phone TEXT, birth_date TEXT, status TEXT);
    INSERT INTO accounts VALUES (1, 'priya.raman@fastmail.fm', '+44 20 7946 0831', '1988-03-14', 'active');
    INSERT INTO accounts VALUES (2, 'lucas.moreau@orange.fr', '+33 1 42 68 53 00', '1979-11-02', 'active');
    """
)


class CardCheck(BaseModel):
    number: str
    valid: bool
    brand: Optional[str]


class AccountLookup(BaseModel):
    email: str
    registered: bool
    status: Optional[str] = None
    phone: Optional[str] = None
    birth_date: Optional[str] = None


class RateLimit:
    """Per-client sliding window, as the sign-up form's lookup must not become an oracle."""

    def __init__(self, limit: int, window_seconds: int):
        self.limit, self.window = limit, window_seconds
        self.seen = defaultdict(deque)

    def __call__(self, request: Request):
        now = time.monotonic()
        hits = self.seen[request.client.host if request.client else "?"]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry = max(1, int(self.window - (now - hits[0])))
            raise HTTPException(status_code=429, detail="too many lookups", headers={"Retry-After": str(retry)})
        hits.append(now)


lookup_limit = RateLimit(limit=6, window_seconds=2)


def luhn(number: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(number)):
        v = int(c) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def brand(number: str) -> Optional[str]:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"}:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return None


@app.get("/api/cards/{number}/validate", response_model=CardCheck)
def validate_card(number: str = Path(..., openapi_examples={"visa": {"value": "4485275742308327"}})):
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise HTTPException(status_code=422, detail="card number must be 12 to 19 digits")
    return CardCheck(number=digits, valid=luhn(digits), brand=brand(digits))


@app.get("/api/accounts/lookup", response_model=AccountLookup, response_model_exclude_none=True,
         dependencies=[Depends(lookup_limit)])
def lookup_account(email: str = Query(..., openapi_examples={"registered": {"value": "priya.raman@fastmail.fm"}})):
    row = db.execute("SELECT email, status, phone, birth_date FROM accounts WHERE email = ?", (email.lower(),)).fetchone()
    if row is None:
        return AccountLookup(email=email, registered=False)
    found = AccountLookup(email=row[0], registered=True, status=row[1])
    if LEAKY:
        found.phone, found.birth_date = row[2], row[3]
    return found
