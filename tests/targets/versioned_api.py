"""A members API that moved from v0 to v1. The root and the v1 listing link v1 only; the v0
blueprint was never unregistered and still serialises whole rows: SSNs and dates of birth.

`MEMBERS_RETIRE_V0=1` is the fix: v0 is gone (404).
"""
import os

from flask import Blueprint, Flask, jsonify, url_for

RETIRE_V0 = os.environ.get("MEMBERS_RETIRE_V0") == "1"
HIDE_SERVER_VERSION = True

app = Flask(__name__)

PEOPLE = {
    1: {"id": 1, "display_name": "rwalsh", "full_name": "Rebecca Walsh", "ssn": "372-58-1946",
        "date_of_birth": "1979-06-21", "email": "rebecca.walsh@icloud.com", "plan": "family"},
    2: {"id": 2, "display_name": "dnguyen", "full_name": "Duc Nguyen", "ssn": "519-33-8207",
        "date_of_birth": "1990-01-09", "email": "duc.nguyen@yahoo.com", "plan": "single"},
}

v1 = Blueprint("v1", __name__, url_prefix="/api/v1")
v0 = Blueprint("v0", __name__, url_prefix="/api/v0")


@app.get("/")
def index():
    return jsonify(name="members", current=url_for("v1.list_users"))


@v1.get("/users")
def list_users():
    return jsonify(users=[{"id": p["id"], "href": url_for("v1.get_user", user_id=p["id"])} for p in PEOPLE.values()])


@v1.get("/users/<int:user_id>")
def get_user(user_id):
    person = PEOPLE.get(user_id)
    if person is None:
        return jsonify(error="not found"), 404
    return jsonify(id=person["id"], display_name=person["display_name"], plan=person["plan"])


@v0.get("/users/<int:user_id>")
def legacy_user(user_id):
    person = PEOPLE.get(user_id)
    if person is None:
        return jsonify(error="not found"), 404
    return jsonify(person)


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


app.register_blueprint(v1)
if not RETIRE_V0:
    app.register_blueprint(v0)
