"""A small members API that `leakprobe serve` scans in its tests: `/api/members` lists members, and
while the file named by TARGET_LEAK_FILE exists each member carries an SSN and a card number (a
deployment that starts serializing the whole row). Without the file, the same API is clean of
data exposure, so two scans of it differ by exactly that leak.

TARGET_DELAY (seconds, default 0) delays every answer: a scan of it runs long enough to kill the
worker that runs it. Requests that carry `Authorization: Bearer ` + TARGET_TOKEN (when set) see
`/api/me`; nothing else needs credentials.
"""
import os
import time

from flask import Flask, abort, jsonify, request

HIDE_SERVER_VERSION = True

app = Flask(__name__)

MEMBERS = [
    {"id": 1, "name": "Member One", "plan": "basic", "ssn": "512-48-3391", "card": "4111 1111 1111 1111"},
    {"id": 2, "name": "Member Two", "plan": "family", "ssn": "409-52-2002", "card": "5500 0000 0000 0004"},
]


def _leaking() -> bool:
    path = os.environ.get("TARGET_LEAK_FILE")
    return bool(path) and os.path.exists(path)


@app.before_request
def _slow_down():
    delay = float(os.environ.get("TARGET_DELAY", "0"))
    if delay:
        time.sleep(delay)


@app.get("/")
def index():
    return jsonify(service="members", endpoints=["/api/members", "/api/members/<id>"])


def _public(member: dict) -> dict:
    if _leaking():
        return member
    return {k: member[k] for k in ("id", "name", "plan")}


@app.get("/api/members")
def members():
    return jsonify([_public(m) for m in MEMBERS])


@app.get("/api/members/<int:member_id>")
def member(member_id: int):
    for m in MEMBERS:
        if m["id"] == member_id:
            return jsonify(_public(m))
    abort(404)


@app.get("/api/me")
def me():
    token = os.environ.get("TARGET_TOKEN")
    if not token or request.headers.get("Authorization") != f"Bearer {token}":
        return jsonify(error="authentication required"), 401
    return jsonify(id=1, name="Member One")


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404
