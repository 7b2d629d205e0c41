"""An API that talks too much about itself: X-Powered-By, an internal Basic-auth realm, and a notes
collection that advertises PUT/DELETE to anonymous callers."""
from flask import Flask, Response, jsonify

app = Flask(__name__)

NOTES = [{"id": 1, "text": "quarterly numbers look fine"}]


@app.after_request
def banner(response):
    response.headers["X-Powered-By"] = "Flask/2.0.1 (CPython 3.9)"
    return response


@app.get("/")
def index():
    return jsonify(links=["/api/notes", "/admin"])


@app.route("/api/notes", methods=["GET", "PUT", "DELETE"])
def notes():
    return jsonify(NOTES)


@app.get("/admin")
def admin():
    return Response("login required", 401, {"WWW-Authenticate": 'Basic realm="staging-admin backoffice v2.1"'})
