"""An API whose endpoints are only findable the indirect ways: a Swagger 2.0 YAML spec with $refs at
a well-known path, robots.txt, sitemap.xml, and links inside JSON and HTML."""
from flask import Flask, Response, jsonify, request

app = Flask(__name__)

SWAGGER = """swagger: "2.0"
info: {title: inventory, version: "2.3"}
basePath: /v2
paths:
  /warehouses/{warehouse_id}:
    get:
      parameters:
        - $ref: "#/parameters/WarehouseId"
  /warehouses/{warehouse_id}/stock:
    get:
      parameters:
        - $ref: "#/parameters/WarehouseId"
        - {name: sku, in: query, type: string, x-example: "CHR-0002"}
parameters:
  WarehouseId: {name: warehouse_id, in: path, required: true, type: integer, x-example: 4}
"""


@app.get("/")
def index():
    return "<html><body><a href='/catalog/page'>Catalog</a> <a href='https://elsewhere.invalid/x'>partner</a></body></html>"


@app.get("/catalog/page")
def catalog_page():
    return jsonify(items=[{"href": "/api/items/17"}, {"href": "/api/items/18"}])


@app.get("/api/items/<int:item_id>")
def item(item_id):
    return jsonify(id=item_id)


@app.get("/swagger.yaml")
def swagger():
    return Response(SWAGGER, mimetype="application/yaml")


@app.get("/robots.txt")
def robots():
    return Response("User-agent: *\nDisallow: /internal/reports\nDisallow: /tmp/*.bak\n", mimetype="text/plain")


@app.get("/sitemap.xml")
def sitemap():
    base = request.host_url.rstrip("/")
    return Response(f'<?xml version="1.0"?><urlset><url><loc>{base}/help/faq</loc></url></urlset>', mimetype="application/xml")


@app.get("/internal/reports")
def reports():
    return jsonify(reports=["q3.pdf"])


@app.get("/help/faq")
def faq():
    return jsonify(faq=[])


@app.get("/v2/warehouses/<int:warehouse_id>")
def warehouse(warehouse_id):
    return jsonify(id=warehouse_id)


@app.get("/v2/warehouses/<int:warehouse_id>/stock")
def stock(warehouse_id):
    return jsonify(warehouse=warehouse_id, sku=request.args.get("sku"))
