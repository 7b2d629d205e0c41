"""A customer API with HTTP Basic auth over plain http (Flask-HTTPAuth), and two classic slips:
a summary route that forgot its decorator, and a v2 blueprint whose hook checks credentials only
when the client sends some."""
from flask import Blueprint, Flask, abort, jsonify, request
from flask_httpauth import HTTPBasicAuth
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
auth = HTTPBasicAuth(realm="api")

USERS = {
    "maria": {"password": generate_password_hash("correct-horse-7"), "email": "maria.lopez@fastmail.fm",
              "phone": "+1 415-555-0132", "ssn": "536-22-8410"},
    "tom": {"password": generate_password_hash("battery-staple-9"), "email": "t.becker@posteo.de",
            "phone": "+49 30 901820", "ssn": "412-67-2291"},
}


@auth.verify_password
def verify(username, password):
    user = USERS.get(username)
    if user and check_password_hash(user["password"], password):
        return username
    return None


def profile_of(username):
    u = USERS[username]
    return {"username": username, "email": u["email"], "phone": u["phone"], "ssn": u["ssn"]}


@app.get("/")
def index():
    return jsonify(links=["/api/profile", "/api/accounts/summary", "/api/v2/profile"])


@app.get("/api/profile")
@auth.login_required
def profile():
    return jsonify(profile_of(auth.current_user()))


@app.get("/api/accounts/summary")
def summary():  # the decorator was forgotten here
    return jsonify([{"username": n, "email": u["email"]} for n, u in USERS.items()])


v2 = Blueprint("v2", __name__, url_prefix="/api/v2")


@v2.before_request
def check_credentials_if_any():
    creds = request.authorization
    if creds is not None and verify(creds.username, creds.password) is None:
        abort(401)  # the bug: no credentials at all sails through


@v2.get("/profile")
def v2_profile():
    creds = request.authorization
    return jsonify(profile_of(creds.username if creds else "maria"))


app.register_blueprint(v2)
