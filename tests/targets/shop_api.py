"""The storefront API behind both CORS targets: a logged-in customer's account and orders, the
partner portal's contact list, and a public store directory.

Only the CORS policy differs between `cors_leaky` and `cors_strict`. Sessions are a cookie `sid`
looked up server-side, as flask-login or Flask-Session would; tests log in by sending it.
"""
from flask import Blueprint, abort, jsonify, request

DEMO_SID = "s3ss-7f1c2a9e4b"

SESSIONS = {DEMO_SID: 1}

CUSTOMERS = {
    1: {
        "id": 1,
        "name": "Maria Keller",
        "email": "maria.keller@fastmail.com",
        "phone": "+1 415 555 0199",
        "shipping_address": "2140 Lombard St, San Francisco, CA 94123",
        "loyalty_tier": "gold",
    }
}

ORDERS = {
    1: [
        {"id": 50311, "total": "84.20", "status": "shipped", "items": 3},
        {"id": 50467, "total": "19.99", "status": "processing", "items": 1},
    ]
}

PARTNER_CONTACTS = [
    {"company": "Harbor Freight Logistics", "contact": "Li Wen", "email": "li.wen@harborfreight-logistics.com"},
    {"company": "Cascade Print Works", "contact": "Tomás Rivera", "email": "t.rivera@cascadeprint.co"},
    {"company": "Northline Packaging", "contact": "Aisha Bello", "email": "aisha.bello@northlinepack.com"},
]

STORES = [
    {"id": 1, "city": "Portland", "opens": "09:00", "closes": "20:00"},
    {"id": 2, "city": "Seattle", "opens": "10:00", "closes": "19:00"},
]


def current_customer():
    customer_id = SESSIONS.get(request.cookies.get("sid", ""))
    if customer_id is None:
        abort(401)
    return CUSTOMERS[customer_id]


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/account")
def account():
    return jsonify(current_customer())


@api.get("/orders")
def orders():
    return jsonify(ORDERS[current_customer()["id"]])


partner = Blueprint("partner", __name__, url_prefix="/partner/v1")


@partner.get("/contacts")
def contacts():
    current_customer()
    return jsonify(PARTNER_CONTACTS)


public = Blueprint("public", __name__, url_prefix="/public/v1")


@public.get("/stores")
def stores():
    return jsonify(STORES)


def register(app):
    app.register_blueprint(api)
    app.register_blueprint(partner)
    app.register_blueprint(public)

    @app.get("/")
    def index():
        return jsonify(
            service="northwind-shop",
            links={
                "account": "/api/account",
                "orders": "/api/orders",
                "partner_contacts": "/partner/v1/contacts",
                "stores": "/public/v1/stores",
            },
        )

    @app.errorhandler(401)
    def unauthorized(_):
        return jsonify(error="login required"), 401

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404
