"""An https API with the transport mistakes of a hurried deployment.

No HSTS; the session cookie readable by scripts (`SESSION_COOKIE_HTTPONLY = False`, "the SPA needs
it") and not Secure; a `remember_token` cookie without any flag; an admin report area behind HTTP
Basic auth; and a CORS hook that trusts "our own host" by name, whatever the scheme. The test serves
it over TLS that still accepts TLS 1.0 (serve.py's TARGET_TLS_MIN), and once over plain http.
"""
import base64
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, jsonify, request, session

REPORTS_USER = "reports"
REPORTS_PASSWORD = "Spring2024!"

app = Flask(__name__)
app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_HTTPONLY=False)

api = Blueprint("api", __name__, url_prefix="/api")
admin = Blueprint("admin", __name__, url_prefix="/admin")


@api.after_request
def cors_for_own_host(response):
    origin = request.headers.get("Origin")
    # Meant as "the web app on this same host may call us"; the scheme and port are never compared.
    if origin and urlsplit(origin).hostname == request.host.rsplit(":", 1)[0]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


@api.get("/cart")
def cart():
    session.setdefault("cart", [])
    session["cart_token"] = secrets.token_urlsafe(12)
    return jsonify(items=session["cart"])


@api.get("/login-status")
def login_status():
    response = jsonify(logged_in=False, remember_me=True)
    response.set_cookie("remember_token", secrets.token_urlsafe(24), max_age=30 * 86400)
    return response


@api.get("/products")
def products():
    return jsonify([{"id": 1, "name": "Camp stove", "price": "59.00"}])


def _basic_ok():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return hmac.compare_digest(user, REPORTS_USER) and hmac.compare_digest(password, REPORTS_PASSWORD)


@admin.get("/reports")
def reports():
    if not _basic_ok():
        return jsonify(error="authentication required"), 401, {"WWW-Authenticate": 'Basic realm="Reports"'}
    return jsonify(reports=["2024-Q1 revenue", "2024-Q2 revenue"])


app.register_blueprint(api)
app.register_blueprint(admin)


@app.get("/")
def index():
    return jsonify(
        service="outfitters-legacy",
        links={"cart": "/api/cart", "login": "/api/login-status", "products": "/api/products", "reports": "/admin/reports"},
    )
