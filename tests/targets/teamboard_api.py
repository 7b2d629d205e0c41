"""Teamboard: a Flask team-workspace API (SQLite, personal access tokens) with write-authorization bugs.

- `PUT /api/users/<username>/role` and `DELETE /api/users/<username>` are admin-console functions
  whose views only have `@login_required`: any member can promote anyone (themselves included) or
  remove a member. Roles are upper case, as the console's enum has them: `MEMBER`, `MAINTAINER`, `ADMIN`.
- `PATCH /api/users/<username>` (a member's own account page) saves every column the body names, so
  a member sets their own `role` (mass assignment); the spec declares only `display_name`.
- `PATCH /api/settings?account=TB-…` updates the settings of the account named in the query string
  (support staff use it for customers); only the read (`GET /api/settings?account=…`) checks that the
  account is the caller's.
- The OpenAPI document at `/openapi.json` declares all of it.

TEAMBOARD_HARDENED=1 (see `teamboard_hardened.py`) is the fixed release: an admin role check on the
console functions (403 for members), an allow-list on the account update, and the ownership check on
the settings update too.

Tokens are fixed strings (tests pass them as identities). Every person is synthetic.
"""
import os
import sqlite3
import tempfile
import threading
from functools import wraps

from flask import Flask, abort, g, jsonify, request

HARDENED = os.environ.get("TEAMBOARD_HARDENED") == "1"
HIDE_SERVER_VERSION = HARDENED

TOKENS = {
    "tb_pat_priya_5Kq8Zr2Wm7Xc": "priya",
    "tb_pat_jonas_3Hv6Nb9Pd1Ls": "jonas",
    "tb_pat_ops_8Yt4Gf2Qa6Jw": "ops",
}
ROLES = ["MEMBER", "MAINTAINER", "ADMIN"]

SEED_USERS = [
    ("priya", "Priya Raman", "MEMBER", "TB-20417"),
    ("jonas", "Jonas Becker", "MEMBER", "TB-20533"),
    ("ops", "Ops Desk", "ADMIN", "TB-10001"),
    ("mei", "Mei Tanaka", "MAINTAINER", "TB-20688"),
]
SEED_SETTINGS = [
    ("TB-20417", "daily", "Europe/London", "Heads down until Friday."),
    ("TB-20533", "weekly", "Europe/Berlin", "On call this week."),
    ("TB-10001", "never", "UTC", ""),
    ("TB-20688", "daily", "Asia/Tokyo", "Ask me about the roadmap."),
]

DB_PATH = os.path.join(tempfile.mkdtemp(prefix="teamboard-"), "teamboard.db")
LOCAL = threading.local()


def db() -> sqlite3.Connection:
    conn = getattr(LOCAL, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB_PATH)
        conn.row_factory = sqlite3.Row
        LOCAL.conn = conn
    return conn


def init_db() -> None:
    conn = sqlite3.connect(DB_PATH)
    conn.executescript(
        """
        CREATE TABLE users (username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,
                            account TEXT UNIQUE NOT NULL);
        CREATE TABLE settings (account TEXT PRIMARY KEY, digest TEXT NOT NULL, timezone TEXT NOT NULL,
                               status_message TEXT NOT NULL);
        """
    )
    conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", SEED_USERS)
    conn.executemany("INSERT INTO settings VALUES (?, ?, ?, ?)", SEED_SETTINGS)
    conn.commit()
    conn.close()


init_db()
app = Flask(__name__)


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        username = TOKENS.get(auth[7:] if auth.startswith("Bearer ") else "")
        row = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone() if username else None
        if row is None:
            return jsonify(error="authentication required"), 401
        g.user = dict(row)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """The console's guard. The leaky release forgot to put it on the API routes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if HARDENED and g.user["role"] != "ADMIN":
            return jsonify(error="admin role required"), 403
        return view(*args, **kwargs)

    return wrapper


def public_user(row) -> dict:
    return {"username": row["username"], "display_name": row["display_name"], "role": row["role"]}


@app.get("/api/health")
def health():
    return jsonify(status="ok")


@app.get("/api/me")
@login_required
def me():
    return jsonify(g.user)


@app.get("/api/users")
@login_required
def list_users():
    rows = db().execute("SELECT * FROM users ORDER BY username").fetchall()
    return jsonify(users=[public_user(r) for r in rows])


@app.get("/api/users/<username>")
@login_required
def get_user(username):
    """A member's own account page; anybody else's is not found."""
    if username != g.user["username"]:
        return jsonify(error="no such user"), 404
    return jsonify(g.user)


@app.patch("/api/users/<username>")
@login_required
def update_user(username):
    """The account page's form sends `display_name`; the view saves whatever columns it is given."""
    if username != g.user["username"]:
        return jsonify(error="no such user"), 404
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="JSON object expected"), 400
    allowed = {"display_name"} if HARDENED else {"display_name", "role", "account"}
    for field, value in body.items():
        if field in allowed and isinstance(value, str):
            db().execute(f"UPDATE users SET {field} = ? WHERE username = ?", (value, username))
    db().commit()
    row = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return jsonify(dict(row))


@app.put("/api/users/<username>/role")
@login_required
@admin_required
def set_role(username):
    body = request.get_json(silent=True) or {}
    row = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        return jsonify(error="no such user"), 404
    role = body.get("role")
    if role not in ROLES:
        return jsonify(error="role must be one of " + ", ".join(ROLES)), 422
    db().execute("UPDATE users SET role = ? WHERE username = ?", (role, username))
    db().commit()
    return jsonify(username=username, role=role)


@app.delete("/api/users/<username>")
@login_required
@admin_required
def delete_user(username):
    row = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        return jsonify(error="no such user"), 404
    db().execute("DELETE FROM users WHERE username = ?", (username,))
    db().commit()
    return "", 204


def settings_for(account: str):
    row = db().execute("SELECT * FROM settings WHERE account = ?", (account,)).fetchone()
    return dict(row) if row else None


@app.get("/api/settings")
@login_required
def get_settings():
    account = request.args.get("account", g.user["account"])
    if account != g.user["account"]:
        return jsonify(error="no such account"), 404
    return jsonify(settings_for(account))


@app.patch("/api/settings")
@login_required
def update_settings():
    account = request.args.get("account", g.user["account"])
    if HARDENED and account != g.user["account"]:
        return jsonify(error="no such account"), 404
    current = settings_for(account)
    if current is None:
        return jsonify(error="no such account"), 404
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="JSON object expected"), 400
    for field in ("digest", "timezone", "status_message"):
        if field in body:
            if not isinstance(body[field], str) or len(body[field]) > 200:
                return jsonify(error=f"{field} must be a short string"), 422
            current[field] = body[field]
    if current["digest"] not in ("daily", "weekly", "never"):
        return jsonify(error="digest must be daily, weekly or never"), 422
    db().execute(
        "UPDATE settings SET digest = ?, timezone = ?, status_message = ? WHERE account = ?",
        (current["digest"], current["timezone"], current["status_message"], account),
    )
    db().commit()
    return jsonify(current)


def spec() -> dict:
    bearer = [{"token": []}]
    account = {"name": "account", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "Account number (defaults to the caller's)"}
    username = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
    settings = {"type": "object", "properties": {
        "account": {"type": "string", "readOnly": True},
        "digest": {"type": "string", "enum": ["daily", "weekly", "never"]},
        "timezone": {"type": "string"},
        "status_message": {"type": "string", "maxLength": 200}}}
    user = {"type": "object", "properties": {
        "username": {"type": "string"}, "display_name": {"type": "string"},
        "role": {"type": "string", "enum": ROLES}}}
    me = {"type": "object", "properties": {**user["properties"], "account": {"type": "string"}}}

    def ok(schema):
        return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}

    return {
        "openapi": "3.0.3",
        "info": {"title": "Teamboard API", "version": "4.1.0"},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": bearer,
        "paths": {
            "/api/health": {"get": {"security": [], "responses": ok({"type": "object"})}},
            "/api/me": {"get": {"summary": "The caller's account", "responses": ok(me)}},
            "/api/users": {"get": {"summary": "Team members", "responses": ok(
                {"type": "object", "properties": {"users": {"type": "array", "items": user}}})}},
            "/api/users/{username}": {
                "get": {"summary": "Your account", "parameters": [username], "responses": ok(me)},
                "patch": {"summary": "Update your account", "parameters": [username],
                          "requestBody": {"content": {"application/json": {"schema": {
                              "type": "object", "properties": {"display_name": {"type": "string"}}}}}},
                          "responses": ok(me)},
                "delete": {"summary": "Remove a member", "parameters": [username],
                           "responses": {"204": {"description": "Removed"}}},
            },
            "/api/users/{username}/role": {"put": {
                "summary": "Change a member's role", "parameters": [username],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["role"],
                    "properties": {"role": {"type": "string", "enum": ROLES}}}}}},
                "responses": ok(user)}},
            "/api/settings": {
                "get": {"parameters": [account], "responses": ok(settings)},
                "patch": {"parameters": [account], "requestBody": {"content": {"application/json": {
                    "schema": settings}}}, "responses": ok(settings)},
            },
        },
    }


@app.get("/openapi.json")
def openapi():
    return jsonify(spec())


@app.get("/__test__/state")
def test_state():
    """Bookkeeping for the tests (not linked anywhere): every row as stored."""
    users = {r["username"]: dict(r) for r in db().execute("SELECT * FROM users")}
    settings = {r["account"]: dict(r) for r in db().execute("SELECT * FROM settings")}
    return jsonify(users=users, settings=settings)
