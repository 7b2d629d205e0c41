"""A storefront catalog that looks like a BOLA candidate and is not one.

`/api/products/<id>` takes numeric ids and answers 200 for every id, to everybody: ids 1–3 get the
same "featured collection" payload (the per-product pages are not built yet), higher ids an empty
object. The logged-in session names product ids, so a scanner sees ids "owned" by each shopper —
but nothing behind them is anybody's: the same public body for every id and every caller.
"""
from flask import Blueprint, Flask, jsonify, request

HIDE_SERVER_VERSION = True

SHOPPERS = {
    "alice-token-7Hq2xR9kLm4pW3": {"user": "alice", "display_name": "Alice", "cart": [3]},
    "bob-token-Vn3s8Jd2QwZ6tY": {"user": "bob", "display_name": "Bob", "cart": [2, 5]},
}

FEATURED = {
    "collection": "spring-2026",
    "title": "Spring essentials",
    "items": [
        {"sku": "TEE-0412", "name": "Linen tee", "price": "29.00"},
        {"sku": "CAP-0099", "name": "Canvas cap", "price": "18.50"},
    ],
}

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/session")
def session():
    auth = request.headers.get("Authorization", "")
    shopper = SHOPPERS.get(auth.removeprefix("Bearer "))
    if shopper is None:
        return jsonify(user=None, cart=[])
    return jsonify(user=shopper["user"], display_name=shopper["display_name"],
                   cart=[{"product_id": pid, "href": f"/api/products/{pid}"} for pid in shopper["cart"]])


@api.get("/products/<int:product_id>")
def product(product_id):
    return jsonify(FEATURED if product_id <= 3 else {})


def openapi():
    item = {"type": "object", "properties": {"sku": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Catalog", "version": "0.9.0"},
        "paths": {
            "/api/session": {"get": {"responses": {"200": {"description": "session", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "user": {"type": "string", "nullable": True}, "display_name": {"type": "string"},
                    "cart": {"type": "array", "items": {"type": "object", "properties": {
                        "product_id": {"type": "integer"}, "href": {"type": "string"}}}}}}}}}}}},
            "/api/products/{product_id}": {"get": {
                "parameters": [{"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer", "example": 1}}],
                "responses": {"200": {"description": "product", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"collection": {"type": "string"}, "title": {"type": "string"},
                                                     "items": {"type": "array", "items": item}}}}}}}}},
        },
    }


app = Flask(__name__)
app.register_blueprint(api)


@app.get("/")
def index():
    return jsonify(service="catalog", docs="/openapi.json", links={"session": "/api/session", "featured": "/api/products/1"})


@app.get("/openapi.json")
def spec():
    return jsonify(openapi())


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


@app.errorhandler(405)
def method_not_allowed(_):
    return jsonify(error="method not allowed"), 405
