"""A FastAPI shift-roster service whose access tokens run out, for the scanner's identity health.

`POST /api/auth/login {"username", "password"}` answers `{"access_token", "token_type", "expires_in"}`.
A token is good for ROSTER_TOKEN_USES authenticated calls (default 40; a metered gateway plan in
front of the service) or ROSTER_TOKEN_TTL seconds, whichever ends first; then every call with it is
a 401 `{"detail": "token expired"}`. ROSTER_LOGIN_LIMIT=1 allows each user one sign-in only (the
second is a 429, "new device sign-in needs approval"), so an expired token cannot be renewed.

Everything under /api except the login needs a bearer token: `/api/me`, `/api/shifts`,
`/api/shifts/{id}`, `/api/teams`, and the team leads' `GET /api/admin/roster/rebuild` (documented
in the OpenAPI spec like any other GET; it drops every shift and rebuilds the roster from the
template, which is empty between planning rounds). Nothing here leaks (the rebuild refuses staff);
it is not a twin pair. `/__test__/state` is test bookkeeping: logins per user, calls answered per
token generation, rebuilds run.
"""
import os
import secrets
import threading
import time

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

USES = int(os.environ.get("ROSTER_TOKEN_USES", "40"))
TTL = float(os.environ.get("ROSTER_TOKEN_TTL", "3600"))
LOGIN_LIMIT = int(os.environ.get("ROSTER_LOGIN_LIMIT", "0"))

USERS = {"kim.staff": "Harbour-Lights-42", "lee.lead": "Quiet-Orchard-17"}
TEAMS = [{"team": "ward-4", "lead": "lee.lead"}, {"team": "ward-6", "lead": "lee.lead"}]
SHIFTS = [
    {"id": 301, "team": "ward-4", "starts": "2026-12-07T07:00", "ends": "2026-12-07T15:00", "staff": "kim.staff"},
    {"id": 302, "team": "ward-4", "starts": "2026-12-07T15:00", "ends": "2026-12-07T23:00", "staff": "lee.lead"},
    {"id": 303, "team": "ward-6", "starts": "2026-12-08T07:00", "ends": "2026-12-08T15:00", "staff": "kim.staff"},
]

lock = threading.Lock()
# token -> {user, generation, uses, issued}
TOKENS: dict[str, dict] = {}
LOGINS: dict[str, int] = {}
# generation (1 = first login of the user) -> authenticated calls answered
ANSWERED: dict[int, int] = {}
EXPIRED_CALLS = {"count": 0}
REBUILDS = {"count": 0}

app = FastAPI(title="Roster", version="2.3.0")


class Credentials(BaseModel):
    username: str
    password: str


@app.post("/api/auth/login")
def login(creds: Credentials):
    if USERS.get(creds.username) != creds.password:
        raise HTTPException(401, "invalid credentials")
    with lock:
        if LOGIN_LIMIT and LOGINS.get(creds.username, 0) >= LOGIN_LIMIT:
            raise HTTPException(429, "new device sign-in needs approval")
        LOGINS[creds.username] = LOGINS.get(creds.username, 0) + 1
        token = secrets.token_urlsafe(24)
        TOKENS[token] = {"user": creds.username, "generation": LOGINS[creds.username], "uses": 0,
                         "issued": time.monotonic()}
    return {"access_token": token, "token_type": "bearer", "expires_in": int(min(TTL, 3600))}


def current_user(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    with lock:
        entry = TOKENS.get(token)
        if entry is None:
            raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
        entry["uses"] += 1
        if entry["uses"] > USES or time.monotonic() - entry["issued"] > TTL:
            EXPIRED_CALLS["count"] += 1
            raise HTTPException(401, "token expired", headers={"WWW-Authenticate": "Bearer"})
        ANSWERED[entry["generation"]] = ANSWERED.get(entry["generation"], 0) + 1
        return entry["user"]


@app.get("/api/me")
def me(user: str = Depends(current_user)):
    teams = [t["team"] for t in TEAMS if t["lead"] == user] or ["ward-4"]
    return {"username": user, "teams": teams, "role": "lead" if user == "lee.lead" else "staff"}


@app.get("/api/shifts")
def shifts(user: str = Depends(current_user)):
    return [s for s in SHIFTS if s["staff"] == user]


@app.get("/api/shifts/{shift_id}")
def shift(shift_id: int, user: str = Depends(current_user)):
    for s in SHIFTS:
        if s["id"] == shift_id and s["staff"] == user:
            return s
    raise HTTPException(404, "no such shift")


@app.get("/api/teams")
def teams(user: str = Depends(current_user)):
    return TEAMS


@app.get("/api/admin/roster/rebuild")
def rebuild_roster(user: str = Depends(current_user)):
    if user != "lee.lead":
        raise HTTPException(403, "team leads only")
    with lock:
        SHIFTS.clear()
        REBUILDS["count"] += 1
    return {"status": "rebuilt", "shifts": 0}


@app.get("/__test__/state")
def test_state():
    with lock:
        return {"logins": dict(LOGINS), "answered_by_generation": {str(k): v for k, v in ANSWERED.items()},
                "expired_calls": EXPIRED_CALLS["count"], "rebuilds": REBUILDS["count"], "shifts": len(SHIFTS)}
