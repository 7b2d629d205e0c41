"""Payslip: an employee self-service API (FastAPI), the code every variant shares.

Employees log in with `POST /api/auth/login {"username", "password"}` and get a bearer JWT
(`sub`, `uid`, `role`, `ver`, `iat`, `exp`; 15 minutes). With it they read their profile
(`/api/me`), their payslips (`/api/me/payslips`, `/api/payslips/{payslip_id}`) and the team
directory; `/api/health` and `/api/holidays` are public. `POST /api/auth/logout {"everywhere"}`
revokes every token of the caller (it bumps the user's token version): a scan that calls it logs
its own identities out, so a default scan must never reach it (`/_bookkeeping/token-versions`, left
out of the spec, lets tests check that it did not). `POST /api/auth/forgot-password {"username"}`
starts a reset by SMS.

Each module that imports this one decides how tokens are decoded and how login and reset answer:
`payslip_jwt_verified` is the release done right, the others each ship one mistake.
"""
import hashlib
import time
from collections import defaultdict
from typing import Callable, Optional

from fastapi import Depends, FastAPI, HTTPException, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

TOKEN_TTL = 15 * 60

EMPLOYEES = {
    "alice": {
        "uid": 1042,
        "employee_no": "E-1042",
        "username": "alice",
        "full_name": "Alice Moreau",
        "email": "alice.moreau@payslip-demo.fr",
        "phone": "+33 6 12 34 56 78",
        "department": "Logistics",
        "role": "employee",
        "bank_account": "FR76 •••• •••• •••• •••• •••0 189",
        "salary_eur": 3450,
        "password": "Alice-Payroll-2024!",
    },
    "bob": {
        "uid": 1043,
        "employee_no": "E-1043",
        "username": "bob",
        "full_name": "Robert Lindqvist",
        "email": "robert.lindqvist@payslip-demo.se",
        "phone": "+46 70 123 45 67",
        "department": "Finance",
        "role": "employee",
        "bank_account": "SE45 •••• •••• •••• •••• 1234",
        "salary_eur": 4120,
        "password": "Bob-Payroll-2024!",
    },
    "hana": {
        "uid": 1001,
        "employee_no": "E-1001",
        "username": "hana",
        "full_name": "Hana Kowalczyk",
        "email": "hana.kowalczyk@payslip-demo.pl",
        "phone": "+48 512 345 678",
        "department": "People",
        "role": "hr",
        "bank_account": "PL61 •••• •••• •••• •••• •••• 8777",
        "salary_eur": 5210,
        "password": "Hana-Payroll-2024!",
    },
}
TOKEN_VERSION = {name: 1 for name in EMPLOYEES}
PAYSLIPS = {
    7001: {"id": 7001, "owner": "alice", "period": "2026-10", "gross_eur": 3450, "net_eur": 2691},
    7002: {"id": 7002, "owner": "alice", "period": "2026-11", "gross_eur": 3450, "net_eur": 2688},
    7003: {"id": 7003, "owner": "bob", "period": "2026-10", "gross_eur": 4120, "net_eur": 3077},
    7004: {"id": 7004, "owner": "bob", "period": "2026-11", "gross_eur": 4120, "net_eur": 3071},
    7005: {"id": 7005, "owner": "hana", "period": "2026-11", "gross_eur": 5210, "net_eur": 3790},
}
HOLIDAYS = [
    {"date": "2026-12-25", "name": "Christmas Day"},
    {"date": "2026-12-26", "name": "Boxing Day"},
    {"date": "2027-01-01", "name": "New Year's Day"},
]
RESET_PINS: dict[str, str] = {}


class Login(BaseModel):
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=128)


class ResetRequest(BaseModel):
    username: str = Field(..., max_length=64)


class Logout(BaseModel):
    everywhere: bool = True


# Failed attempts per account name and window (the rate-limited release only).
ATTEMPT_LIMIT = 10
ATTEMPT_WINDOW = 15 * 60
ATTEMPTS: dict[str, list[float]] = defaultdict(list)


def profile(employee: dict) -> dict:
    return {k: v for k, v in employee.items() if k not in ("password", "salary_eur")}


def claims_for(employee: dict) -> dict:
    now = int(time.time())
    return {
        "sub": employee["username"],
        "uid": employee["uid"],
        "role": employee["role"],
        "ver": TOKEN_VERSION[employee["username"]],
        "iat": now,
        "exp": now + TOKEN_TTL,
    }


def reset_pin(username: str) -> str:
    """A six-digit PIN, as the SMS gateway sends it."""
    digest = hashlib.sha256(f"{username}:{time.time_ns()}".encode()).hexdigest()
    return f"{int(digest[:8], 16) % 1_000_000:06d}"


def create_app(
    title: str,
    issue: Callable[[dict], str],
    decode: Callable[[str], dict],
    enumerating_login: bool = False,
    reset_answers_pin: bool = False,
    rate_limited: bool = False,
) -> FastAPI:
    """The API with `issue(claims) -> token` and `decode(token) -> claims` (raising on a bad token)."""
    app = FastAPI(title=title, version="3.4.1")
    bearer = HTTPBearer(auto_error=False)

    def caller(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> dict:
        unauthorized = HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"}
        )
        if credentials is None:
            raise unauthorized
        try:
            claims = decode(credentials.credentials)
        except Exception:
            raise unauthorized
        employee = EMPLOYEES.get(str(claims.get("sub", "")))
        if employee is None or claims.get("ver") != TOKEN_VERSION[employee["username"]]:
            raise unauthorized
        return employee

    @app.get("/api/health")
    def health():
        return {"status": "ok"}

    @app.get("/api/holidays")
    def holidays():
        return HOLIDAYS

    def throttle(username: str, response: Response) -> dict:
        """Per account name: at most ATTEMPT_LIMIT attempts per window, advertised in headers (set
        on the answer, and returned for the error answers, which FastAPI builds anew)."""
        if not rate_limited:
            return {}
        now = time.time()
        recent = [t for t in ATTEMPTS[username.lower()] if t > now - ATTEMPT_WINDOW]
        ATTEMPTS[username.lower()] = recent
        left = ATTEMPT_LIMIT - len(recent)
        headers = {"X-RateLimit-Limit": str(ATTEMPT_LIMIT), "X-RateLimit-Remaining": str(max(left - 1, 0))}
        if left <= 0:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "Too many attempts, try again later", headers=headers)
        recent.append(now)
        response.headers.update(headers)
        return headers

    @app.post("/api/auth/login")
    def login(body: Login, response: Response):
        headers = throttle(body.username, response)
        employee = EMPLOYEES.get(body.username.lower())
        if enumerating_login and employee is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such user")
        if employee is None or employee["password"] != body.password:
            detail = "Incorrect password" if enumerating_login else "Incorrect username or password"
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=headers)
        return {"access_token": issue(claims_for(employee)), "token_type": "bearer", "expires_in": TOKEN_TTL}

    @app.post("/api/auth/forgot-password", status_code=202)
    def forgot_password(body: ResetRequest, response: Response):
        throttle(body.username, response)
        employee = EMPLOYEES.get(body.username.lower())
        if not reset_answers_pin:
            if employee is not None:
                RESET_PINS[employee["username"]] = reset_pin(employee["username"])
            return {"status": "If the account exists, we sent a reset code by SMS"}
        if employee is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such user")
        pin = reset_pin(employee["username"])
        RESET_PINS[employee["username"]] = pin
        # Left in from the SMS gateway integration: QA needed the code without a phone.
        return {"status": "sent", "channel": "sms", "phone_hint": employee["phone"].replace(" ", "")[-4:], "reset_pin": pin}

    @app.post("/api/auth/logout")
    def logout(body: Logout, employee: dict = Depends(caller)):
        TOKEN_VERSION[employee["username"]] += 1
        return {"status": "logged out everywhere" if body.everywhere else "logged out"}

    @app.get("/_bookkeeping/token-versions", include_in_schema=False)
    def token_versions():
        return TOKEN_VERSION

    @app.get("/api/me")
    def me(employee: dict = Depends(caller)):
        return profile(employee)

    @app.get("/api/me/payslips")
    def my_payslips(employee: dict = Depends(caller)):
        return [p for p in PAYSLIPS.values() if p["owner"] == employee["username"]]

    @app.get("/api/payslips/{payslip_id}")
    def payslip(payslip_id: int, employee: dict = Depends(caller)):
        slip = PAYSLIPS.get(payslip_id)
        if slip is None or (slip["owner"] != employee["username"] and employee["role"] != "hr"):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Payslip not found")
        return slip

    @app.get("/api/team")
    def team(employee: dict = Depends(caller)):
        return [
            {"username": e["username"], "full_name": e["full_name"], "department": e["department"]}
            for e in EMPLOYEES.values()
            if e["department"] == employee["department"] or employee["role"] == "hr"
        ]

    return app
