"""The hardened twin of the auth targets: header-only API keys checked on every route (deny by
default), fixed error messages, allow-listed fields, no banner."""
import hmac

from flask import Flask, jsonify, request

HIDE_SERVER_VERSION = True
app = Flask(__name__)

KEYS = {"lp-key-3c1f8e2a9b7d4f60": "acme-mobile"}
PUBLIC = {"/"}


@app.before_request
def require_key():
    if request.path in PUBLIC:
        return None
    key = request.headers.get("X-Api-Key", "")
    if not any(hmac.compare_digest(key, k) for k in KEYS):
        return jsonify(error="unauthorized"), 401
    return None


@app.get("/")
def index():
    return jsonify(links=["/api/orders", "/api/orders/1001"])


@app.get("/api/orders")
def orders():
    return jsonify([{"id": 1001, "total": "129.90"}, {"id": 1002, "total": "15.00"}])


@app.get("/api/orders/<int(max=2147483647):order_id>")
def order(order_id):
    if order_id not in (1001, 1002):
        return jsonify(error="not found"), 404
    return jsonify(id=order_id, total="129.90" if order_id == 1001 else "15.00")
