"""An https API configured the way the guides say: HSTS for two years on every subdomain, session
cookie Secure + HttpOnly + SameSite=Lax, no version banner. The test serves it with a certificate it
generates (TARGET_CERT / TARGET_KEY); TLS 1.2+ only, Python's default.
"""
import secrets

from flask import Flask, jsonify, session

HIDE_SERVER_VERSION = True

app = Flask(__name__)
app.config.update(
    SECRET_KEY=secrets.token_hex(32),
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
)

PRODUCTS = [
    {"id": 1, "name": "Trail running shoe", "price": "129.00"},
    {"id": 2, "name": "Merino base layer", "price": "74.50"},
]


@app.after_request
def strict_transport_security(response):
    # What flask-talisman or the TLS proxy would add to every response.
    response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


@app.get("/")
def index():
    return jsonify(service="outfitters", links={"products": "/api/products", "cart": "/api/cart", "health": "/api/health"})


@app.get("/api/products")
def products():
    return jsonify(PRODUCTS)


@app.get("/api/cart")
def cart():
    # An anonymous cart lives in the signed session cookie, so this answer sets it.
    session.setdefault("cart", [])
    session["cart_token"] = secrets.token_urlsafe(12)
    return jsonify(items=session["cart"])


@app.get("/api/health")
def health():
    return jsonify(status="ok")
