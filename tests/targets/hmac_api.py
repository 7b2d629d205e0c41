"""Northwind Pay's partner API: lenders look up the customers they share with us, their payment
methods and monthly statements. Every request carries the partner's API key (`X-Api-Key`, who is
calling) and an HMAC-SHA256 signature (`X-Signature`, proof that it is them), computed as

    hex(hmac_sha256(signing_secret, f"{method}\\n{path_and_query}\\n{timestamp}\\n{nonce}\\n{body}"))

with `X-Timestamp` (Unix seconds) and `X-Nonce` sent alongside. The verifier below is how it
grew over three years of partner integrations, and it has the classic signing bugs:

- the timestamp is signed but never compared with the clock, and nonces are never remembered,
  so a captured request can be replayed forever;
- the payment-methods view was switched to `signature_checked_if_present` for an internal batch
  job that calls without signing — so anybody with a partner key can skip the signature;
- the statements view also accepts the old SDK's signatures, which covered the path but not the
  query string — so `?customer_id=` can be changed on a captured request;
- partners on the 2019 SDK sign the raw body only, so for their GETs the signature covers
  neither path, query nor time: one captured signature opens every customer, for ever;
- `/api/v0`, which predates signing, is still mounted "for partners who have not migrated" and
  only looks at the API key.

The hardened twin is `hmac_hardened.py`. Customer data is synthetic.
"""
import hashlib
import hmac
from functools import wraps

from flask import Blueprint, Flask, abort, g, jsonify, request

# What the partner portal issued to Harbor Lending: a key naming the partner and a signing secret.
PARTNER_KEY = "nwp_pk_4f9c2e71d8a3"
SIGNING_SECRET = b"nwp_sk_9Qm3vX7tLr2Hc8KdW1"
# Lakeside Credit integrated in 2019 with the webhook-style SDK, which signs the raw body only:
# `hex(hmac_sha256(secret, body))`, no timestamp, no nonce. Their GETs all carry one signature.
BODY_SIGNING_PARTNER_KEY = "nwp_pk_0b6d94c2a7e5"
BODY_SIGNING_SECRET = b"nwp_sk_Lk4Rz8Tq1Wm6Yp3Vb7"

PARTNERS = {
    PARTNER_KEY: {"name": "Harbor Lending", "secret": SIGNING_SECRET, "scheme": "canonical", "customers": [1, 2, 3]},
    BODY_SIGNING_PARTNER_KEY: {"name": "Lakeside Credit", "secret": BODY_SIGNING_SECRET, "scheme": "body", "customers": [1, 2]},
}

CUSTOMERS = {
    1: {
        "id": 1,
        "name": "Maria Keller",
        "email": "maria.keller@fastmail.com",
        "phone": "+1 415 555 0199",
        "ssn": "536-22-8714",
        "date_of_birth": "1986-03-14",
        "address": "2140 Lombard St, San Francisco, CA 94123",
        "credit_limit": 12000,
    },
    2: {
        "id": 2,
        "name": "Daniel Okafor",
        "email": "d.okafor@protonmail.com",
        "phone": "+1 312 555 0143",
        "ssn": "412-68-3390",
        "date_of_birth": "1979-11-02",
        "address": "818 W Fulton Market, Chicago, IL 60607",
        "credit_limit": 8500,
    },
    3: {
        "id": 3,
        "name": "Priya Raman",
        "email": "priya.raman@outlook.com",
        "phone": "+1 206 555 0178",
        "ssn": "609-14-2257",
        "date_of_birth": "1991-07-23",
        "address": "1520 Pike Pl, Seattle, WA 98101",
        "credit_limit": 15000,
    },
}

PAYMENT_METHODS = {
    1: [{"type": "card", "brand": "visa", "number": "4539 1488 0343 6467", "expiry": "08/28", "holder": "Maria Keller"}],
    2: [{"type": "card", "brand": "mastercard", "number": "5425 2334 3010 9903", "expiry": "02/27", "holder": "Daniel Okafor"}],
    3: [{"type": "bank_account", "iban": "DE89 3704 0044 0532 0130 00", "holder": "Priya Raman"}],
}

STATEMENTS = {
    1: [{"customer_id": 1, "month": "2025-09", "closing_balance": "1840.22", "minimum_due": "55.00"}],
    2: [{"customer_id": 2, "month": "2025-09", "closing_balance": "312.90", "minimum_due": "25.00"}],
    3: [{"customer_id": 3, "month": "2025-09", "closing_balance": "0.00", "minimum_due": "0.00"}],
}


def current_partner():
    partner = PARTNERS.get(request.headers.get("X-Api-Key", ""))
    if partner is None:
        abort(401, "unknown API key")
    g.partner = partner
    return partner


def signing_path():
    """The path as partners sign it: with the query string when there is one."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def expected_signature(secret, path):
    message = "\n".join(
        [request.method, path, request.headers.get("X-Timestamp", ""), request.headers.get("X-Nonce", "")]
    ).encode() + b"\n" + request.get_data()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_signature(accept_old_sdk=False):
    partner = current_partner()
    signature = request.headers.get("X-Signature", "")
    if partner["scheme"] == "body":
        expected = hmac.new(partner["secret"], request.get_data(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            abort(401, "invalid signature")
        return
    # The timestamp and nonce are part of the signed message, but nothing checks that the
    # timestamp is recent or that the nonce was not used before.
    paths = [signing_path()]
    if accept_old_sdk:
        # SDK < 1.4 signed request.path without the query string; still accepted here so that
        # partners on the old SDK keep getting their statements.
        paths.append(request.path)
    if not any(hmac.compare_digest(signature, expected_signature(partner["secret"], p)) for p in paths):
        abort(401, "invalid signature")


def signed(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        verify_signature()
        return view(*args, **kwargs)

    return wrapper


def signed_old_sdk_compatible(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        verify_signature(accept_old_sdk=True)
        return view(*args, **kwargs)

    return wrapper


def signature_checked_if_present(view):
    """The nightly reconciliation job calls without signing; partners always sign, so (the
    reasoning went) checking the signature whenever there is one is as good as requiring it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if "X-Signature" in request.headers:
            verify_signature()
        else:
            current_partner()
        return view(*args, **kwargs)

    return wrapper


def partner_customer(customer_id):
    if customer_id not in g.partner["customers"] or customer_id not in CUSTOMERS:
        abort(404)
    return CUSTOMERS[customer_id]


api = Blueprint("api_v1", __name__, url_prefix="/api/v1")


@api.get("/customers")
@signed
def list_customers():
    return jsonify([CUSTOMERS[i] for i in g.partner["customers"]])


@api.get("/customers/<int:customer_id>")
@signed
def get_customer(customer_id):
    return jsonify(partner_customer(customer_id))


@api.get("/customers/<int:customer_id>/payment-methods")
@signature_checked_if_present
def payment_methods(customer_id):
    partner_customer(customer_id)
    return jsonify(PAYMENT_METHODS[customer_id])


@api.get("/statements")
@signed_old_sdk_compatible
def statements():
    customer_id = request.args.get("customer_id", type=int)
    if customer_id is None:
        return jsonify([s for i in g.partner["customers"] for s in STATEMENTS[i]])
    partner_customer(customer_id)
    return jsonify({"customer": CUSTOMERS[customer_id]["name"], "statements": STATEMENTS[customer_id]})


legacy = Blueprint("api_v0", __name__, url_prefix="/api/v0")


@legacy.before_request
def legacy_key_only():
    # v0 predates request signing; kept mounted for partners who have not migrated yet.
    current_partner()


@legacy.get("/customers")
def legacy_list_customers():
    return jsonify([CUSTOMERS[i] for i in g.partner["customers"]])


@legacy.get("/customers/<int:customer_id>")
def legacy_get_customer(customer_id):
    return jsonify(partner_customer(customer_id))


def create_app():
    app = Flask(__name__)
    app.register_blueprint(api)
    app.register_blueprint(legacy)

    @app.errorhandler(401)
    def unauthorized(e):
        return jsonify(error="unauthorized", detail=e.description), 401

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def method_not_allowed(_):
        return jsonify(error="method not allowed"), 405

    return app


app = create_app()
