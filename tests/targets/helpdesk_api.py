"""A helpdesk API on sqlite3 whose customer serialiser is chosen by a feature-flag file, the way
teams roll out a fix behind a flag.

Leaks (flag file missing, or `{"customer_view": "full"}`): `/api/customers` and
`/api/customers/<id>` return whole rows — e-mail, phone, date of birth, SSN.
Fixed (`{"customer_view": "public"}`): only id, display name, plan and ticket count.

The flag file is named by HELPDESK_FLAGS and re-read on every request, so a test flips the fix on
a running server; nothing the scanner can reach changes it. All people are synthetic.
"""
import json
import os
import sqlite3

from flask import Blueprint, Flask, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    date_of_birth TEXT,
    ssn TEXT,
    plan TEXT NOT NULL
);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL
);
"""

CUSTOMERS = [
    (1, "Maria Keller", "maria.keller@northwind-mail.com", "+1 415 555 0134", "1984-03-12", "512-44-7781", "business"),
    (2, "Daniel Okafor", "d.okafor@fabrikam-post.net", "+1 212 555 0187", "1990-11-02", "623-18-9042", "starter"),
    (3, "Sofia Lindqvist", "sofia.lindqvist@contoso-inbox.org", "+1 646 555 0119", "1978-07-29", "401-72-3356", "enterprise"),
]

TICKETS = [
    (101, 1, "Invoice shows the wrong VAT rate", "open"),
    (102, 1, "Cannot export tickets as CSV", "closed"),
    (103, 2, "Password reset mail never arrives", "open"),
    (104, 3, "SSO login loops back to the start page", "pending"),
]

PUBLIC_FIELDS = ("id", "name", "plan")
# SQLite integers are 64-bit; larger ids cannot name a row.
MAX_ID = 2**63 - 1

# Deployed behind the team's reverse proxy, which rewrites the Server header.
HIDE_SERVER_VERSION = True


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"], uri=True)
        g.db.row_factory = sqlite3.Row
    return g.db


def flags():
    path = os.environ.get("HELPDESK_FLAGS")
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def serialize_customer(row):
    ticket_count = get_db().execute("SELECT COUNT(*) FROM tickets WHERE customer_id = ?", (row["id"],)).fetchone()[0]
    if flags().get("customer_view", "full") == "public":
        data = {k: row[k] for k in PUBLIC_FIELDS}
    else:
        data = dict(row)  # every column, including what support agents should never see
    data["open_tickets"] = ticket_count
    return data


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/customers")
def list_customers():
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 20, type=int), 1), 50)
    rows = get_db().execute("SELECT * FROM customers ORDER BY id LIMIT ? OFFSET ?", (per_page, (page - 1) * per_page)).fetchall()
    return jsonify(page=page, per_page=per_page, items=[serialize_customer(r) for r in rows])


@api.get("/customers/<int:customer_id>")
def get_customer(customer_id):
    if customer_id > MAX_ID:
        abort(404)
    row = get_db().execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(serialize_customer(row))


@api.get("/tickets")
def list_tickets():
    rows = get_db().execute("SELECT id, customer_id, subject, status FROM tickets ORDER BY id").fetchall()
    return jsonify(items=[dict(r) for r in rows])


@api.get("/health")
def health():
    return jsonify(status="ok")


app = Flask(__name__)
# A shared in-memory database that lives as long as the process (one connection keeps it open).
app.config["DATABASE"] = "file:helpdesk?mode=memory&cache=shared"
_keepalive = sqlite3.connect(app.config["DATABASE"], uri=True, check_same_thread=False)
_keepalive.executescript(SCHEMA)
_keepalive.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
_keepalive.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?)", TICKETS)
_keepalive.commit()
app.register_blueprint(api)


@app.teardown_appcontext
def close_db(_exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


@app.errorhandler(HTTPException)
def http_error(e):
    return jsonify(error=e.name.lower()), e.code


@app.errorhandler(Exception)
def internal_error(e):
    app.logger.exception("unhandled error: %s", e)
    return jsonify(error="internal error"), 500


@app.get("/")
def index():
    return jsonify(service="helpdesk", links=["/api/customers", "/api/customers/1", "/api/tickets", "/api/health"])
