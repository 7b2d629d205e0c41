"""A parts catalogue: a server-rendered page links a few items (`/api/items/<id>`) and has a search
form that submits to `/api/items/search?q=`, a sibling of the item route that must not be taken for
an item id.

The leak: search results are serialised with the supplier record joined in, the supplier
contact's e-mail and direct phone line included. `CATALOG_PUBLIC_SEARCH=1` is the fix.
"""
import os

from flask import Flask, jsonify, render_template_string, request
from flask_sqlalchemy import SQLAlchemy

PUBLIC_SEARCH = os.environ.get("CATALOG_PUBLIC_SEARCH") == "1"
HIDE_SERVER_VERSION = True

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///:memory:"
db = SQLAlchemy(app)


class Supplier(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    company = db.Column(db.String(80))
    contact_name = db.Column(db.String(80))
    contact_email = db.Column(db.String(120))
    contact_phone = db.Column(db.String(30))


class Item(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))
    price = db.Column(db.String(12))
    supplier_id = db.Column(db.Integer, db.ForeignKey("supplier.id"))
    supplier = db.relationship(Supplier)

    def public(self):
        return {"id": self.id, "name": self.name, "price": self.price}

    def with_supplier(self):
        s = self.supplier
        return self.public() | {"supplier": {"company": s.company, "contact": s.contact_name,
                                             "email": s.contact_email, "phone": s.contact_phone}}


with app.app_context():
    db.create_all()
    acme = Supplier(company="Harbor Fasteners", contact_name="Luis Ortega",
                    contact_email="luis.ortega@harborfasteners.com", contact_phone="+1 503-555-0161")
    delta = Supplier(company="Delta Bearings", contact_name="Grace Kim",
                     contact_email="grace.kim@deltabearings.net", contact_phone="+1 617-555-0128")
    db.session.add_all([
        Item(id=7, name="M8 hex bolt (100)", price="12.40", supplier=acme),
        Item(id=8, name="608-2RS bearing", price="3.10", supplier=delta),
        Item(id=9, name="M8 nylon lock nut (100)", price="7.95", supplier=acme),
    ])
    db.session.commit()

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Parts catalogue</title></head><body>
<h1>Parts</h1>
<form action="/api/items/search" method="get" role="search">
  <input type="search" name="q" placeholder="bolt, bearing…">
  <button>Search</button>
</form>
<ul>{% for item in items %}<li><a href="/api/items/{{ item.id }}">{{ item.name }}</a></li>{% endfor %}</ul>
</body></html>"""


@app.get("/")
def catalogue():
    return render_template_string(PAGE, items=Item.query.order_by(Item.id).all())


@app.get("/api/items/search")
def search():
    q = request.args.get("q", "")
    items = Item.query.filter(Item.name.ilike(f"%{q}%")).order_by(Item.id).limit(50).all()
    return jsonify(results=[i.public() if PUBLIC_SEARCH else i.with_supplier() for i in items])


@app.get("/api/items/<int:item_id>")
def item(item_id):
    # SQLite integers are 64-bit: a longer id cannot name a row.
    found = db.session.get(Item, item_id) if item_id < 2**63 else None
    if found is None:
        return jsonify(error="not found"), 404
    return jsonify(found.public())


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404
