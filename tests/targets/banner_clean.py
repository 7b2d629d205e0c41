"""The quiet twin of banner_leaky: no banner headers, a neutral realm, read-only anonymous routes."""
from flask import Flask, Response, jsonify

HIDE_SERVER_VERSION = True

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(links=["/api/notes", "/admin"])


@app.get("/api/notes")
def notes():
    return jsonify([{"id": 1, "text": "quarterly numbers look fine"}])


@app.get("/admin")
def admin():
    return Response("login required", 401, {"WWW-Authenticate": 'Bearer realm="api"'})
