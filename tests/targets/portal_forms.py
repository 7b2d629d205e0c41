"""An outdoor-gear shop's customer portal: server-rendered pages whose forms post to endpoints that
nothing else links to. "Track my order" posts e-mail and order number to `/orders/lookup`, which
answers GET with 405.

The leak: the lookup filters with `ilike(f"%{email}%")` and only on what was sent, so a submission
without the fields (or a body the handler cannot read at all) matches every order, with every
customer's name, e-mail, phone and delivery address. `PORTAL_STRICT_LOOKUP=1` is the fix: both
fields required, exact match, one order, no contact details echoed.
"""
import os

from flask import Flask, jsonify, render_template_string, request
from flask_sqlalchemy import SQLAlchemy

STRICT = os.environ.get("PORTAL_STRICT_LOOKUP") == "1"
HIDE_SERVER_VERSION = True

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///:memory:"
db = SQLAlchemy(app)


class Order(db.Model):
    __tablename__ = "orders"
    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(12), unique=True, nullable=False)
    customer_name = db.Column(db.String(80), nullable=False)
    email = db.Column(db.String(120), nullable=False)
    phone = db.Column(db.String(30))
    ship_to = db.Column(db.String(200))
    status = db.Column(db.String(20), default="processing")

    def tracking(self):
        return {"order": self.number, "status": self.status}

    def to_dict(self):
        return {
            "order": self.number,
            "status": self.status,
            "customer": self.customer_name,
            "email": self.email,
            "phone": self.phone,
            "ship_to": self.ship_to,
        }


class Subscriber(db.Model):
    __tablename__ = "subscribers"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)


ORDERS = [
    ("TR-20931", "Maria Gonzalez", "maria.gonzalez@fastmail.com", "+1 415-555-0142", "88 Dolores St, San Francisco, CA 94103", "shipped"),
    ("TR-20932", "Kenji Watanabe", "kenji.w@outlook.com", "+1 206-555-0187", "1420 Pine St, Seattle, WA 98101", "processing"),
    ("TR-20933", "Aisha Bello", "aisha.bello@gmail.com", "+1 312-555-0199", "233 S Wacker Dr, Chicago, IL 60606", "delivered"),
]

with app.app_context():
    db.create_all()
    for number, name, email, phone, ship_to, status in ORDERS:
        db.session.add(Order(number=number, customer_name=name, email=email, phone=phone, ship_to=ship_to, status=status))
    db.session.commit()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Summit Outfitters — Customer portal</title></head>
<body>
<header><a href="/">Summit Outfitters</a></header>
<main>
  <section>
    <h1>Track your order</h1>
    <form action="{{ url_for('lookup_order') }}" method="post" class="track">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <label>E-mail <input type="email" name="email" required></label>
      <label>Order number <input name="order_number" placeholder="TR-00000" required></label>
      <button type="submit">Track</button>
    </form>
  </section>
  <section>
    <h2>Get 10% off your next trip</h2>
    <form action="/newsletter" method="POST">
      <input type="email" name="email" placeholder="you@example.com">
      <select name="frequency"><option value="weekly">Weekly</option><option value="monthly" selected>Monthly</option></select>
      <input type="submit" value="Subscribe">
    </form>
  </section>
</main>
</body></html>"""


@app.get("/")
def home():
    return render_template_string(PAGE, csrf="d41d8cd98f00b204e9800998ecf8427e")


@app.post("/orders/lookup")
def lookup_order():
    email = request.form.get("email", "").strip()
    number = request.form.get("order_number", "").strip()
    if STRICT:
        if not email or not number:
            return jsonify(error="email and order_number are required"), 400
        order = Order.query.filter_by(email=email.lower(), number=number.upper()).first()
        if order is None:
            return jsonify(error="no order matches"), 404
        return jsonify(order.tracking())
    query = Order.query.filter(Order.email.ilike(f"%{email}%"))
    if number:
        query = query.filter(Order.number == number)
    return jsonify(orders=[o.to_dict() for o in query.all()])


@app.post("/newsletter")
def subscribe():
    email = request.form.get("email", "").strip().lower()
    if "@" not in email:
        return jsonify(error="a valid e-mail address is required"), 400
    if not Subscriber.query.filter_by(email=email).first():
        db.session.add(Subscriber(email=email))
        db.session.commit()
    return jsonify(subscribed=True), 201


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


@app.errorhandler(405)
def method_not_allowed(e):
    return jsonify(error="method not allowed"), 405, {"Allow": ", ".join(e.valid_methods or [])}
