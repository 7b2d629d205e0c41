"""Answers the first two requests with 429 and `Retry-After: 1`, then serves normally.

`/__test__/log` returns `[monotonic time, status]` of every answered request.
"""
import threading
import time

from flask import Flask, jsonify, request

app = Flask(__name__)
_lock = threading.Lock()
_log: list[list] = []
_refused = 0


@app.before_request
def throttle():
    global _refused
    if request.path.startswith("/__test__/"):
        return None
    with _lock:
        if _refused < 2:
            _refused += 1
            _log.append([time.monotonic(), 429])
            return jsonify(error="slow down"), 429, {"Retry-After": "1"}
        _log.append([time.monotonic(), 200])
    return None


@app.get("/__test__/log")
def log():
    with _lock:
        return jsonify(_log)


@app.get("/")
def index():
    return jsonify(status="ok")
