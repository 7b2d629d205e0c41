"""A plain Flask JSON API on the Werkzeug dev server: its only leak is the Server header."""
from flask import Flask, jsonify

app = Flask(__name__)

PRODUCTS = [
    {"id": 1, "name": "Desk lamp", "price": "39.90", "sku": "LMP-0001"},
    {"id": 2, "name": "Office chair", "price": "189.00", "sku": "CHR-0002"},
]


@app.get("/")
def index():
    return jsonify(service="catalog", links={"products": "/api/products", "health": "/api/health"})


@app.get("/api/products")
def products():
    return jsonify(PRODUCTS)


@app.get("/api/products/<int:product_id>")
def product(product_id: int):
    for p in PRODUCTS:
        if p["id"] == product_id:
            return jsonify(p)
    return jsonify(error="not found"), 404


@app.get("/api/health")
def health():
    return jsonify(status="ok")
