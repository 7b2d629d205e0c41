"""An inventory service with an ops blueprint mounted at `/debug`, in the style of Go's expvar:
`/debug/vars` dumps the process's configuration and environment for whoever is on call. Nothing
links to it.

The leak: the dump includes the secret key, the database URL with its password and the payment
provider's live key. `OPS_DEBUG_ROUTES=0` is the fix: the blueprint is only registered when the
setting is on, and it is off in production.
"""
import os
import platform
import time

from flask import Blueprint, Flask, jsonify

HIDE_SERVER_VERSION = True
STARTED = time.time()

app = Flask(__name__)
app.config.update(
    SECRET_KEY="f3c9a1d07b5e4c2a9e8d6b4f1a0c7e35",
    SQLALCHEMY_DATABASE_URI="postgresql://inventory:Wint3r-Harb0ur-77@db.internal:5432/inventory",
    STRIPE_SECRET_KEY="sk_live_51Hx9kLmNoPqRsTuVwXyZ0123456789abcdEFGHijkl",
    ENABLE_DEBUG_ROUTES=os.environ.get("OPS_DEBUG_ROUTES", "1") == "1",
)

api = Blueprint("api", __name__, url_prefix="/api")
debug = Blueprint("debug", __name__, url_prefix="/debug")

WAREHOUSES = [{"id": 1, "city": "Reno"}, {"id": 2, "city": "Columbus"}]


@app.get("/")
def index():
    return jsonify(service="inventory", api="/api/warehouses")


@api.get("/warehouses")
def warehouses():
    return jsonify(warehouses=WAREHOUSES)


@api.get("/warehouses/<int:warehouse_id>")
def warehouse(warehouse_id):
    found = next((w for w in WAREHOUSES if w["id"] == warehouse_id), None)
    return (jsonify(found), 200) if found else (jsonify(error="not found"), 404)


@debug.get("/vars")
def expvars():
    config = {k: v for k, v in app.config.items() if isinstance(v, (str, int, bool))}
    return jsonify(
        cmdline=["gunicorn", "inventory.wsgi:app", "--workers", "4"],
        python=platform.python_version(),
        uptime_seconds=int(time.time() - STARTED),
        config=config,
    )


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


app.register_blueprint(api)
if app.config["ENABLE_DEBUG_ROUTES"]:
    app.register_blueprint(debug)
