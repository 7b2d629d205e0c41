"""A small-business banking dashboard: one server-rendered page, the data loaded by
`static/js/app.js` with `fetch` and `axios`. The JSON endpoints are referenced only from that
script; a vendored jQuery build sits next to it.

The leak: `/api/accounts/<id>/transactions` returns each card payment with the full card number
(PAN) instead of the last four digits. `DASHBOARD_MASK_CARDS=1` is the fix.
"""
import os

from flask import Blueprint, Flask, abort, jsonify, render_template_string, request

MASK_CARDS = os.environ.get("DASHBOARD_MASK_CARDS") == "1"
HIDE_SERVER_VERSION = True

app = Flask(__name__, static_folder="dashboard_static", static_url_path="/static")
api = Blueprint("api", __name__, url_prefix="/api")

ACCOUNTS = {
    1: {"id": 1, "name": "Operating", "currency": "USD", "balance": "48210.55"},
    2: {"id": 2, "name": "Payroll", "currency": "USD", "balance": "12900.00"},
}
TRANSACTIONS = {
    1: [
        {"id": 9001, "amount": "-84.20", "merchant": "Blue Bottle Coffee", "card_number": "4539 1488 0343 6467", "cardholder": "Priya Raman"},
        {"id": 9002, "amount": "-1299.00", "merchant": "Dell Business", "card_number": "5425 2334 3010 9903", "cardholder": "Tom Becker"},
        {"id": 9003, "amount": "-45.00", "merchant": "Lyft", "card_number": "4539 1488 0343 6467", "cardholder": "Priya Raman"},
    ],
    2: [],
}
PAYEES = {1: {"id": 1, "name": "Gusto Payroll", "verified": True}}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ledgerly — Dashboard</title>
<script src="{{ url_for('static', filename='js/vendor/jquery-3.7.1.min.js') }}"></script>
<script src="{{ url_for('static', filename='js/app.js') }}" defer></script>
</head>
<body data-account-id="1">
<nav><a href="/">Dashboard</a></nav>
<main><h1>Accounts</h1><ul id="accounts"></ul><table id="transactions"></table></main>
<script>window.LEDGERLY = { release: "2026.11.3", sentryEnvironment: "staging" };</script>
</body></html>"""


def masked(tx):
    if not MASK_CARDS:
        return tx
    out = {k: v for k, v in tx.items() if k not in ("card_number", "cardholder")}
    out["card_last4"] = tx["card_number"][-4:]
    return out


@app.get("/")
def dashboard():
    return render_template_string(PAGE)


@api.get("/accounts/summary")
def summary():
    return jsonify(accounts=[{"id": a["id"], "name": a["name"]} for a in ACCOUNTS.values()])


@api.get("/accounts/<int:account_id>/transactions")
def transactions(account_id):
    if account_id not in ACCOUNTS:
        abort(404)
    limit = min(request.args.get("limit", 20, type=int), 100)
    return jsonify(account=account_id, transactions=[masked(t) for t in TRANSACTIONS[account_id][:limit]])


@api.get("/payees/<int:payee_id>")
def payee(payee_id):
    if payee_id not in PAYEES:
        abort(404)
    return jsonify(PAYEES[payee_id])


@api.post("/transfers")
def create_transfer():
    data = request.get_json(silent=True) or {}
    if not data.get("to") or not data.get("amount"):
        return jsonify(error="to and amount are required"), 400
    return jsonify(status="queued"), 202


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


app.register_blueprint(api)


@app.get("/api/session/logout")
def logout():
    # A state-changing GET, as some dashboards have: discovery must never call it.
    return jsonify(signed_out=True)
