"""Records the arrival time of every request so a test can check the scanner's per-host rate.

`/__test__/arrivals` returns the timestamps (not counted itself); nothing links to it.
"""
import threading
import time

from flask import Flask, jsonify, request

app = Flask(__name__)
_lock = threading.Lock()
_arrivals: list[float] = []


@app.before_request
def record():
    if not request.path.startswith("/__test__/"):
        with _lock:
            _arrivals.append(time.monotonic())


@app.get("/__test__/arrivals")
def arrivals():
    with _lock:
        return jsonify(list(_arrivals))


@app.get("/")
def index():
    return jsonify(links=[f"/api/items/{i}" for i in range(1, 30)])


@app.get("/api/items/<int:item_id>")
def item(item_id: int):
    return jsonify(id=item_id, name=f"item {item_id}")
