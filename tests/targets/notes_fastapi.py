"""Jotter: a FastAPI notes service with JWT logins, and the write-authorization mistakes it shipped with.

- `PUT /api/notes/{note_id}` loads the note by id and saves it: the owner check that
  `GET /api/notes/{note_id}` has was never copied to the update (anyone logged in edits anyone's note).
- `POST /api/notes {"owner": …}` (meant for shared notebooks) files the note under any user named in
  the body: anybody writes into anybody's notebook.
- `PUT /api/profile` saves the profile named by the body's `username`: the mobile client always sends
  the whole profile, so the handler "finds the profile to update" from it instead of from the token.
- `POST /api/register` takes a `NewAccount` model that was written for the admin console and reused for
  public sign-up: its `role` (enum `member`, `admin`) is honoured.

Logins: `POST /api/auth/login {"username", "password"}` → `{"access_token": <HS256 JWT>}`; the secret is
random per process and `exp` is enforced. NOTES_HARDENED=1 (see `notes_hardened.py`) is the fixed release:
owner checks on every write (a note for somebody else's notebook is refused), the profile from the
token, sign-up without `role` (answering the same whether or not a name is taken), and failed logins
throttled (429 after five per username and minute).

Every person is synthetic.
"""
import itertools
import os
import secrets
import threading
import time
from enum import Enum
from typing import Optional

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, status
from pydantic import BaseModel, Field

HARDENED = os.environ.get("NOTES_HARDENED") == "1"
SECRET = secrets.token_hex(32)

app = FastAPI(title="Jotter", version="2.3.0")
LOCK = threading.Lock()


class Role(str, Enum):
    member = "member"
    admin = "admin"


USERS: dict[str, dict] = {
    "alice": {"id": 1, "username": "alice", "email": "alice.moreau@proton.me", "display_name": "Alice Moreau",
              "bio": "Field notes from Lyon.", "role": "member", "password": "alice-pass-Jot-2291"},
    "bob": {"id": 2, "username": "bob", "email": "bob.okafor@fastmail.com", "display_name": "Bob Okafor",
            "bio": "Grocery lists, mostly.", "role": "member", "password": "bob-pass-Jot-7713"},
}
NOTES: dict[int, dict] = {
    1: {"id": 1, "owner": "alice", "title": "Dentist", "body": "Tuesday 9:30, bring the referral letter."},
    2: {"id": 2, "owner": "alice", "title": "Gift ideas", "body": "Pottery class voucher for Mum."},
    3: {"id": 3, "owner": "bob", "title": "Groceries", "body": "Oat milk, lentils, coriander."},
    4: {"id": 4, "owner": "bob", "title": "Landlord", "body": "Ask about the boiler before the 12th."},
}
NEXT_NOTE = itertools.count(5)
NEXT_USER = itertools.count(3)


class Login(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class NoteIn(BaseModel):
    title: str = Field(..., max_length=120)
    body: str = Field("", max_length=4000)
    # Shared notebooks: the web client posts into a notebook on its owner's behalf.
    owner: Optional[str] = None


class NoteOut(BaseModel):
    id: int
    owner: str
    title: str
    body: str


class ProfileIn(BaseModel):
    username: str
    display_name: str = Field(..., max_length=80)
    bio: str = Field("", max_length=500)


class ProfileOut(BaseModel):
    id: int
    username: str
    email: str
    display_name: str
    bio: str
    role: Role


class NewAccount(BaseModel):
    username: str = Field(..., min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    email: str = Field(..., max_length=254, json_schema_extra={"format": "email"})
    password: str = Field(..., min_length=10)
    role: Role = Role.member


class SignUp(BaseModel):
    username: str = Field(..., min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    email: str = Field(..., max_length=254, json_schema_extra={"format": "email"})
    password: str = Field(..., min_length=10)


def profile(user: dict) -> dict:
    return {k: user[k] for k in ("id", "username", "email", "display_name", "bio", "role")}


def current_user(authorization: str = Header("")) -> dict:
    token = authorization[7:] if authorization.startswith("Bearer ") else ""
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated", {"WWW-Authenticate": "Bearer"})
    user = USERS.get(claims.get("sub", ""))
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated", {"WWW-Authenticate": "Bearer"})
    return user


@app.get("/api/health")
def health():
    return {"status": "ok"}


FAILED_LOGINS: dict[str, list[float]] = {}
MAX_FAILURES = 5  # per username and minute, in the hardened release


@app.post("/api/auth/login", response_model=Token)
def login(body: Login):
    if HARDENED:
        recent = [t for t in FAILED_LOGINS.get(body.username, []) if t > time.time() - 60]
        FAILED_LOGINS[body.username] = recent
        if len(recent) >= MAX_FAILURES:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many attempts", {"Retry-After": "1"})
    user = USERS.get(body.username)
    if user is None or not secrets.compare_digest(user["password"], body.password):
        FAILED_LOGINS.setdefault(body.username, []).append(time.time())
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid username or password")
    now = int(time.time())
    token = jwt.encode({"sub": user["username"], "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256")
    return Token(access_token=token)


def register_account(username: str, email: str, password: str, role: Role) -> dict:
    with LOCK:
        if username in USERS:
            raise HTTPException(status.HTTP_409_CONFLICT, "username taken")
        user = {"id": next(NEXT_USER), "username": username, "email": email.lower(), "display_name": username,
                "bio": "", "role": role.value, "password": password}
        USERS[username] = user
    return profile(user)


if HARDENED:

    @app.post("/api/register", status_code=202)
    def register(body: SignUp):
        # The same answer whether or not the name is taken: the e-mail says the rest.
        if body.username not in USERS:
            register_account(body.username, body.email, body.password, Role.member)
        return {"status": "pending", "detail": "check your e-mail to confirm the account"}

else:

    @app.post("/api/register", status_code=201, response_model=ProfileOut)
    def register(body: NewAccount):
        return register_account(body.username, body.email, body.password, body.role)


@app.get("/api/me", response_model=ProfileOut)
def me(user: dict = Depends(current_user)):
    return profile(user)


@app.get("/api/profile", response_model=ProfileOut)
def get_profile(user: dict = Depends(current_user)):
    return profile(user)


@app.put("/api/profile", response_model=ProfileOut)
def update_profile(body: ProfileIn, user: dict = Depends(current_user)):
    if HARDENED:
        if body.username != user["username"]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "you can only edit your own profile")
        target = user
    else:
        target = USERS.get(body.username)
        if target is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such profile")
    target["display_name"] = body.display_name
    target["bio"] = body.bio
    return profile(target)


@app.get("/api/notes", response_model=list[NoteOut])
def list_notes(user: dict = Depends(current_user)):
    return [n for n in NOTES.values() if n["owner"] == user["username"]]


@app.post("/api/notes", status_code=201, response_model=NoteOut)
def create_note(body: NoteIn, user: dict = Depends(current_user)):
    owner = user["username"]
    if body.owner and body.owner != owner:
        if HARDENED:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "you can only add notes to your own notebook")
        if body.owner not in USERS:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such notebook")
        owner = body.owner
    with LOCK:
        note = {"id": next(NEXT_NOTE), "owner": owner, "title": body.title, "body": body.body}
        NOTES[note["id"]] = note
    return note


def own_note(note_id: int, user: dict) -> dict:
    note = NOTES.get(note_id)
    if note is None or note["owner"] != user["username"]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "note not found")
    return note


@app.get("/api/notes/{note_id}", response_model=NoteOut)
def get_note(note_id: int, user: dict = Depends(current_user)):
    return own_note(note_id, user)


@app.put("/api/notes/{note_id}", response_model=NoteOut)
def update_note(note_id: int, body: NoteIn, user: dict = Depends(current_user)):
    if HARDENED:
        note = own_note(note_id, user)
    else:
        note = NOTES.get(note_id)
        if note is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "note not found")
    note["title"] = body.title
    note["body"] = body.body
    return note


@app.delete("/api/notes/{note_id}", status_code=204)
def delete_note(note_id: int, user: dict = Depends(current_user)):
    own_note(note_id, user)
    del NOTES[note_id]


@app.get("/__test__/state", include_in_schema=False)
def test_state():
    """Bookkeeping for the tests (not linked anywhere): every note and profile as stored."""
    return {"notes": {str(k): v for k, v in NOTES.items()},
            "users": {k: {f: v for f, v in u.items() if f != "password"} for k, u in USERS.items()}}
