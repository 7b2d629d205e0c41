"""Larkspur Home's customer portal (Flask, server-rendered pages, cookie session).

Customers sign in at `/login` (the form posts `username` and `password`; the mobile app posts the
same fields as JSON) and get a signed `session` cookie. `/account` shows the customer's details,
`/orders` lists the customer's orders (`ORD-20417`…) and `/orders/<order_no>` renders one order:
customer name, e-mail, phone and shipping address in a table, then the items. No JSON anywhere:
whose order it is shows only in the HTML.

The bug: the order page loads the order by its number and never compares its customer with the
session's. `orders_html_hardened` answers 404 for an order that is not the caller's.

`GET /orders/<order_no>/cancel` cancels the order (a link on the order page): a state-changing GET
that no default scan may call.
"""
from functools import wraps
from html import escape

from flask import Flask, abort, redirect, request, session, url_for

CUSTOMERS = {
    "alice": {
        "password": "Hq2-x9Lm4-pW3v",
        "name": "Alice Moreau",
        "email": "alice.moreau@proton.me",
        "phone": "+33 6 12 34 56 78",
        "address": "14 rue des Lilas, 69003 Lyon",
    },
    "bob": {
        "password": "Vn3-s8Jd2-QwZ6",
        "name": "Bob Lindqvist",
        "email": "b.lindqvist@fastmail.com",
        "phone": "+46 70 123 45 67",
        "address": "Storgatan 8, 114 51 Stockholm",
    },
}

ORDERS = {
    "ORD-20417": {"customer": "alice", "placed": "2026-11-21", "items": [("Linen duvet cover", "89.00")]},
    "ORD-20533": {"customer": "alice", "placed": "2026-11-29", "items": [("Oak side table", "149.00")]},
    "ORD-20418": {"customer": "bob", "placed": "2026-11-22", "items": [("Wool throw", "65.00"), ("Candle", "12.50")]},
}

LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title} · Larkspur Home</title></head>
<body><header><a href="/">Larkspur Home</a> <nav>{nav}</nav></header>
<main>{main}</main></body></html>"""


def page(title: str, main: str) -> str:
    user = session.get("user")
    nav = (
        f'Signed in as {escape(user)} · <a href="/orders">Orders</a> · <a href="/account">Account</a>'
        if user
        else '<a href="/login">Sign in</a>'
    )
    return LAYOUT.format(title=escape(title), nav=nav, main=main)


def create_app(check_owner: bool) -> Flask:
    app = Flask(__name__)
    app.secret_key = "larkspur-portal-7f1c0b9e5a2d48c6b3e1"
    orders = {k: dict(v) for k, v in ORDERS.items()}

    def login_required(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if session.get("user") not in CUSTOMERS:
                return redirect(url_for("login", next=request.path))
            return view(*args, **kwargs)

        return wrapped

    def order_of(order_no: str) -> dict:
        order = orders.get(order_no)
        if order is None or (check_owner and order["customer"] != session["user"]):
            abort(404)
        return order

    @app.get("/")
    def home():
        return page("Welcome", '<h1>Larkspur Home</h1><p>Furniture and linen.</p><a href="/orders">Your orders</a>')

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            form = (
                '<form method="post" action="/login"><input name="username">'
                '<input name="password" type="password"><button>Sign in</button></form>'
            )
            return page("Sign in", form)
        data = request.get_json(silent=True) or request.form
        username, password = data.get("username", ""), data.get("password", "")
        customer = CUSTOMERS.get(username)
        if customer is None or customer["password"] != password:
            return page("Sign in", "<p>Wrong username or password.</p>"), 401
        session["user"] = username
        if request.is_json:
            return {"status": "signed in"}
        return redirect(url_for("order_list"))

    @app.get("/account")
    @login_required
    def account():
        c = CUSTOMERS[session["user"]]
        rows = "".join(
            f"<tr><th>{label}</th><td>{escape(value)}</td></tr>"
            for label, value in [
                ("Username", session["user"]),
                ("Name", c["name"]),
                ("E-mail", c["email"]),
                ("Phone", c["phone"]),
            ]
        )
        return page("Your account", f"<h1>Your account</h1><table>{rows}</table>")

    @app.get("/orders")
    @login_required
    def order_list():
        rows = "".join(
            f'<tr><td><a href="/orders/{no}">{no}</a></td><td>{o["placed"]}</td></tr>'
            for no, o in orders.items()
            if o["customer"] == session["user"]
        )
        return page("Your orders", f"<h1>Your orders</h1><table><tr><th>Order</th><th>Placed</th></tr>{rows}</table>")

    @app.get("/orders/<order_no>")
    @login_required
    def order_detail(order_no: str):
        order = order_of(order_no)
        c = CUSTOMERS[order["customer"]]
        details = "".join(
            f"<dt>{label}</dt><dd>{escape(value)}</dd>"
            for label, value in [
                ("Order no.", order_no),
                ("Placed", order["placed"]),
                ("Customer", c["name"]),
                ("E-mail", c["email"]),
                ("Phone", c["phone"]),
                ("Shipping address", c["address"]),
            ]
        )
        items = "".join(f"<tr><td>{escape(n)}</td><td>€{p}</td></tr>" for n, p in order["items"])
        main = (
            f"<h1>Order {order_no}</h1><dl>{details}</dl><table>{items}</table>"
            f'<p><a href="/orders/{order_no}/cancel">Cancel this order</a></p>'
        )
        return page(f"Order {order_no}", main)

    @app.get("/orders/<order_no>/cancel")
    @login_required
    def cancel(order_no: str):
        order = order_of(order_no)
        order["items"] = []
        return redirect(url_for("order_list"))

    return app


app = create_app(check_owner=False)
