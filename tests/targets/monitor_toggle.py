"""A target whose leak is switched on and off while it runs, for alert and monitoring tests.

`/api/users` serves ids and display names; while the file named by MONITOR_LEAK_FLAG exists it
also serves each user's e-mail address and SSN (a serializer change gone wrong between two scans).
Everything else stays the same, so two scans differ only by that leak.
"""
import os

from flask import Flask, jsonify

HIDE_SERVER_VERSION = True

app = Flask(__name__)

USERS = [
    {"id": 1, "name": "Maria Lopez", "email": "maria.lopez@acme-payroll.io", "ssn": "536-22-8197"},
    {"id": 2, "name": "Ken Adams", "email": "ken.adams@acme-payroll.io", "ssn": "412-71-3058"},
]


def leaking() -> bool:
    flag = os.environ.get("MONITOR_LEAK_FLAG")
    return bool(flag) and os.path.exists(flag)


@app.get("/")
def index():
    return jsonify(links=["/api/users"])


@app.get("/api/users")
def users():
    if leaking():
        return jsonify(USERS)
    return jsonify([{"id": u["id"], "name": u["name"]} for u in USERS])
