"""The storefront API behind `spec_drift` and `spec_aligned`, and the OpenAPI document it publishes.

The spec is the team's contract: bearer tokens everywhere unless an operation says `security: []`.
`spec_drift` breaks it the ways real code drifts from its spec (a route that lost its auth decorator,
a deprecated version still served, an internal route published in the spec and linked nowhere);
`spec_aligned` is what the spec promises. All people are synthetic.
"""
import copy
from functools import wraps

from flask import Blueprint, Flask, abort, g, jsonify, request

# Tests send this as an identity; it must never show up in a report.
TOKENS = {"tok_alice_7Qm2xV9pL4sK8dW3": 1, "tok_bob_Zr5nH1cT6yB0gF2e": 2}

ACCOUNTS = {
    1: {"id": 1, "name": "Maria Keller", "email": "maria.keller@fastmail.com", "phone": "+1 415 555 0199",
        "billing_address": "2140 Lombard St, San Francisco, CA 94123", "card_last4": "4242"},
    2: {"id": 2, "name": "Jonas Weber", "email": "jonas.weber@posteo.de", "phone": "+49 30 12345678",
        "billing_address": "Torstrasse 12, 10119 Berlin", "card_last4": "0005"},
}
ORDERS = {1: [{"id": 50311, "total": "84.20", "status": "shipped"}], 2: [{"id": 50467, "total": "19.99", "status": "open"}]}
PRODUCTS = [
    {"id": 1, "name": "Trail runner 2", "price": "129.00"},
    {"id": 2, "name": "Merino base layer", "price": "79.00"},
    {"id": 3, "name": "Headlamp 400", "price": "39.50"},
]
STOCK = [{"sku": "TR2-42", "warehouse": "PDX-1", "on_hand": 84}, {"sku": "MBL-M", "warehouse": "PDX-1", "on_hand": 12}]

PUBLIC = []  # `security: []`: the operation is anonymous by contract
PRODUCT_ID = {"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer", "example": 1}}
ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "integer", "example": 1}}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "shop", "version": "2.1.0"},
    "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/health": {"get": {"security": PUBLIC, "summary": "Liveness"}},
        "/api/products": {"get": {"security": PUBLIC, "summary": "Catalogue"}},
        "/api/products/{product_id}": {"get": {"security": PUBLIC, "parameters": [PRODUCT_ID]}},
        "/api/v1/products": {"get": {"security": PUBLIC, "deprecated": True, "summary": "Catalogue (v1 shape; use /api/products)"}},
        "/api/orders": {"get": {"summary": "The caller's orders"}},
        "/api/accounts/{account_id}": {"get": {"summary": "An account with billing details", "parameters": [ACCOUNT_ID]}},
        "/api/internal/stock-levels": {"get": {"security": PUBLIC, "summary": "Warehouse stock (ops dashboard)"}},
    },
}


def bearer_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token not in TOKENS:
            return jsonify(error="authentication required"), 401, {"WWW-Authenticate": "Bearer"}
        g.account_id = TOKENS[token]
        return view(*args, **kwargs)

    return wrapper


def create_app(drift: bool) -> Flask:
    api = Blueprint("api", __name__, url_prefix="/api")
    spec = copy.deepcopy(OPENAPI)

    @api.get("/health")
    def health():
        return jsonify(status="ok")

    @api.get("/products")
    def products():
        return jsonify(data=[dict(p, href=f"/api/products/{p['id']}") for p in PRODUCTS])

    @api.get("/products/<int:product_id>")
    def product(product_id):
        found = next((p for p in PRODUCTS if p["id"] == product_id), None)
        return jsonify(found) if found else abort(404)

    @api.get("/orders")
    @bearer_required
    def orders():
        return jsonify(data=ORDERS.get(g.account_id, []))

    if drift:
        # Refactored into the blueprint without its @bearer_required: the spec still says bearer.
        @api.get("/accounts/<int:account_id>")
        def account(account_id):
            return jsonify(ACCOUNTS[account_id]) if account_id in ACCOUNTS else abort(404)

        # Deprecated in the spec two releases ago; nobody removed the route.
        @api.get("/v1/products")
        def products_v1():
            return jsonify([{"product_id": p["id"], "title": p["name"], "price_cents": int(float(p["price"]) * 100)} for p in PRODUCTS])

        # Published by the spec generator, linked from nowhere, open to anyone.
        @api.get("/internal/stock-levels")
        def stock_levels():
            return jsonify(data=STOCK)

    else:

        @api.get("/accounts/<int:account_id>")
        @bearer_required
        def account(account_id):
            if account_id != g.account_id:
                return jsonify(error="forbidden"), 403
            return jsonify(ACCOUNTS[account_id])

        @api.get("/v1/products")
        def products_v1():
            return jsonify(error="v1 was retired; use /api/products"), 410

        @api.get("/internal/stock-levels")
        @bearer_required
        def stock_levels():
            return jsonify(data=STOCK)

        # What the spec should have said all along: the ops route needs a token.
        del spec["paths"]["/api/internal/stock-levels"]["get"]["security"]

    app = Flask(__name__)
    app.register_blueprint(api)

    @app.get("/")
    def index():
        return jsonify(service="shop", links={"products": "/api/products", "orders": "/api/orders", "health": "/api/health"})

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    @app.errorhandler(404)
    def not_found(_e):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def method_not_allowed(_e):
        return jsonify(error="method not allowed"), 405

    return app
