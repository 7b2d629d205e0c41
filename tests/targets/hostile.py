"""Hostile answers: an endless streamed body and a response that never comes.

The root links to both so discovery reaches them. A scanner must stay bounded in memory and time.
"""
import time

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(links=["/api/stream", "/api/slow", "/api/ok"])


@app.get("/api/stream")
def stream():
    chunk = b"x" * 65536

    def endless():
        while True:
            yield chunk

    return Response(endless(), mimetype="application/octet-stream")


@app.get("/api/slow")
def slow():
    time.sleep(120)
    return jsonify(status="late")


@app.get("/api/ok")
def ok():
    return jsonify(status="ok")
