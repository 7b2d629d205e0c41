"""The hardened twin of `hmac_api`: the same partner API and signing scheme, verified the way it
should be, and serving what a partner needs rather than whole customer records.

One `before_request` hook on the blueprint verifies every request before any view runs: the
partner's key, a timestamp within ±300 s of the server clock, a nonce never seen inside that
window, and the HMAC over method, path *with* query string, timestamp, nonce and body, compared
in constant time. A nonce is remembered only after its signature verified, so nobody can fill
the cache with garbage. There is no unsigned legacy mount.

The data is hardened too: customers are addressed by random UUIDs rather than counting ids,
cards by brand and last four digits, and profiles carry the lending facts a partner acts on —
no SSNs, birth dates or contact details. Its spec is `hmac_hardened.openapi.json`.
"""
import hashlib
import hmac
import threading
import time
from collections import Counter

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request

from hmac_api import PARTNERS

HIDE_SERVER_VERSION = True

MAX_SKEW_SECONDS = 300

MARIA = "5f0c7d2e-8b1a-4c3e-9d6f-2a7b8c9d0e1f"
DANIEL = "a3e9b6d1-4f2c-4b8a-8e7d-1c2b3a4d5e6f"
PRIYA = "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0a"

CUSTOMERS = {
    MARIA: {"id": MARIA, "reference": "HL-1001", "kyc_status": "verified", "credit_limit": 12000, "risk_band": "A"},
    DANIEL: {"id": DANIEL, "reference": "HL-1002", "kyc_status": "verified", "credit_limit": 8500, "risk_band": "B"},
    PRIYA: {"id": PRIYA, "reference": "HL-1003", "kyc_status": "pending", "credit_limit": 15000, "risk_band": "A"},
}

# Card and bank numbers stay with the payment processor; partners see what identifies a method.
PAYMENT_METHODS = {
    MARIA: [{"type": "card", "brand": "visa", "last4": "6467", "expiry": "08/28"}],
    DANIEL: [{"type": "card", "brand": "mastercard", "last4": "9903", "expiry": "02/27"}],
    PRIYA: [{"type": "bank_account", "bank": "Commerzbank", "last4": "3000"}],
}

STATEMENTS = {
    MARIA: [{"customer": "HL-1001", "month": "2025-09", "closing_balance": "1840.22", "minimum_due": "55.00"}],
    DANIEL: [{"customer": "HL-1002", "month": "2025-09", "closing_balance": "312.90", "minimum_due": "25.00"}],
    PRIYA: [{"customer": "HL-1003", "month": "2025-09", "closing_balance": "0.00", "minimum_due": "0.00"}],
}

PARTNER_CUSTOMERS = [MARIA, DANIEL, PRIYA]


class NonceCache:
    """Nonces seen in the last `ttl` seconds. In production this is Redis `SET key NX EX ttl`."""

    def __init__(self, ttl):
        self.ttl = ttl
        self.seen = {}
        self.lock = threading.Lock()

    def first_use(self, nonce):
        now = time.time()
        with self.lock:
            self.seen = {n: t for n, t in self.seen.items() if t > now}
            if nonce in self.seen:
                return False
            self.seen[nonce] = now + self.ttl
            return True


# Twice the skew: a nonce must outlive every timestamp that could still be accepted with it.
nonces = NonceCache(ttl=2 * MAX_SKEW_SECONDS)

# Why requests were refused, for the tests (`/__test__/rejections`; nothing links to it).
rejections = Counter()


def reject(why):
    # One answer for every failure: which part failed is for the server log, not the caller.
    current_app.logger.info("rejected signed request: %s", why)
    rejections[why] += 1
    abort(401)


def verify_request():
    partner = PARTNERS.get(request.headers.get("X-Api-Key", ""))
    if partner is None:
        reject("unknown key")
    signature = request.headers.get("X-Signature", "")
    timestamp = request.headers.get("X-Timestamp", "")
    nonce = request.headers.get("X-Nonce", "")
    if not signature or not nonce or not timestamp.isdigit():
        reject("unsigned")
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        reject("stale timestamp")
    query = request.query_string.decode("latin-1")
    path = f"{request.path}?{query}" if query else request.path
    message = "\n".join([request.method, path, timestamp, nonce]).encode() + b"\n" + request.get_data()
    expected = hmac.new(partner["secret"], message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        reject("bad signature")
    if not nonces.first_use(nonce):
        reject("replayed nonce")
    g.partner = partner


api = Blueprint("api_v1", __name__, url_prefix="/api/v1")
api.before_request(verify_request)


def partner_customer(customer_id):
    if customer_id not in PARTNER_CUSTOMERS:
        abort(404)
    return CUSTOMERS[customer_id]


@api.get("/customers")
def list_customers():
    return jsonify([CUSTOMERS[c] for c in PARTNER_CUSTOMERS])


@api.get("/customers/<uuid:customer_id>")
def get_customer(customer_id):
    return jsonify(partner_customer(str(customer_id)))


@api.get("/customers/<uuid:customer_id>/payment-methods")
def payment_methods(customer_id):
    partner_customer(str(customer_id))
    return jsonify(PAYMENT_METHODS[str(customer_id)])


@api.get("/statements")
def statements():
    customer_id = request.args.get("customer_id")
    if customer_id is None:
        return jsonify([s for c in PARTNER_CUSTOMERS for s in STATEMENTS[c]])
    partner_customer(customer_id)
    return jsonify({"customer": CUSTOMERS[customer_id]["reference"], "statements": STATEMENTS[customer_id]})


def create_app():
    app = Flask(__name__)
    app.register_blueprint(api)

    @app.get("/__test__/rejections")
    def rejection_counts():
        return jsonify(rejections)

    @app.errorhandler(401)
    def unauthorized(_):
        return jsonify(error="unauthorized"), 401

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def method_not_allowed(_):
        return jsonify(error="method not allowed"), 405

    return app


app = create_app()
