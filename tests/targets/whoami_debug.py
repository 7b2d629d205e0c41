"""An account API whose `/api/me` view echoes the caller's request headers back, the debug aid teams
add while chasing a proxy problem and forget to remove.

Leaks: the account's e-mail and phone, and the caller's own credentials (Authorization, Cookie,
X-Api-Key) in the response body. Used to prove that no report format ever repeats a credential
header value, even when the evidence is shown unredacted.
"""
from flask import Blueprint, Flask, jsonify, request

api = Blueprint("api", __name__, url_prefix="/api")

ACCOUNT = {"id": 7, "name": "Maria Lopez", "email": "maria.lopez@fastmail.fm", "phone": "+1 415-555-0132"}


@api.get("/me")
def me():
    # "Temporary" debugging: what did the proxy forward to us?
    return jsonify(account=ACCOUNT, debug={"headers": dict(request.headers)})


@api.get("/health")
def health():
    return jsonify(status="ok")


app = Flask(__name__)
app.register_blueprint(api)


@app.get("/")
def index():
    return jsonify(links=["/api/me", "/api/health"])
