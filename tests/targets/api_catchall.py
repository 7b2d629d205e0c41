"""A storefront whose API blueprint answers every unknown path under `/api/` with 200 and a JSON
error (a catch-all route some teams add so the frontend always gets JSON), and every GET to its
POST-only `/hooks/` namespace with 405. The root answers honest 404s, so only a per-directory
soft-404 model tells real endpoints from the catch-all. Its page and script name paths that do
not exist.
"""
from flask import Blueprint, Flask, jsonify

HIDE_SERVER_VERSION = True

app = Flask(__name__, static_folder=None)
api = Blueprint("api", __name__, url_prefix="/api")

PAGE = """<!doctype html><html><head><title>Shop</title><script src="/static/app.js"></script></head>
<body><form action="/api/v1/newsletter" method="post"><input name="email"></form>
<p>See <code>/api/v1/catalogue</code>.</p></body></html>"""
SCRIPT = """fetch('/api/v1/cart').then(r => r.json());
axios.get(`/api/v1/wishlist/${userId}`);
fetch('/hooks/stripe', {method: 'POST'});
"""


@app.get("/")
def home():
    return PAGE


@app.get("/static/app.js")
def script():
    return SCRIPT, 200, {"Content-Type": "application/javascript"}


@api.get("/v1/orders")
def orders():
    return jsonify(orders=[{"id": 1, "total": "19.99"}], links={"self": "/api/v1/orders"})


@api.route("/<path:rest>")
def api_not_found(rest):
    return jsonify(error="not found", path=f"/api/{rest}"), 200


@app.route("/hooks/<path:rest>", methods=["POST"])
def hooks(rest):
    return jsonify(received=True)


app.register_blueprint(api)
