"""An orders API keyed by X-Api-Key that also takes ?api_key= and echoes bad keys in its errors."""
from flask import Flask, g, jsonify, request

app = Flask(__name__)

KEYS = {"lp-key-3c1f8e2a9b7d4f60": "acme-mobile"}
ORDERS = [
    {"id": 1001, "customer_email": "maria.lopez@fastmail.fm", "total": "129.90"},
    {"id": 1002, "customer_email": "t.becker@posteo.de", "total": "15.00"},
]


@app.before_request
def require_key():
    if request.path == "/":
        return None
    key = request.headers.get("X-Api-Key") or request.args.get("api_key")
    if key is None:
        return jsonify(error="missing API key"), 401
    if key not in KEYS:
        return jsonify(error=f"API key {key} is not valid for this account"), 403
    g.client = KEYS[key]
    return None


@app.get("/")
def index():
    return jsonify(links=["/api/orders", "/api/orders/1001"])


@app.get("/api/orders")
def orders():
    return jsonify(ORDERS)


@app.get("/api/orders/<int:order_id>")
def order(order_id):
    for o in ORDERS:
        if o["id"] == order_id:
            return jsonify(o)
    return jsonify(error="not found"), 404
