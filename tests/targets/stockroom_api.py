"""A warehouse stock API with a maintenance route that wipes the database on a plain GET.

The landing page links the JSON endpoints (`/api/items`, `/api/locations`, `/api/stats`) and, in
its "Maintenance" box, `GET /api/admin/reset-db` ("Reset demo data": deletes every item and bin
row, no credentials asked) and `GET /api/cache/flush` (clears the lookup cache; nothing visible
changes). Anything that follows links — a crawler, a chat app's link preview, a scanner — empties
the stock tables.

The data is synthetic stock, not personal data. `/__test__/state` is test bookkeeping (row counts
and how often each maintenance route ran); the scanner is never told about it.
`stockroom_hardened` is the clean twin: the same API with the maintenance functions behind POST
and an admin token.
"""
import os
import sqlite3
import tempfile
import threading

from flask import Flask, abort, jsonify

ITEMS = [
    ("SKU-10442", "Pallet wrap 500mm", 84, "A-01"),
    ("SKU-10517", "Corner boards 1m", 310, "A-02"),
    ("SKU-20931", "Label roll 100x150", 57, "B-04"),
    ("SKU-21006", "Stretch hood M", 19, "B-07"),
    ("SKU-30388", "Strapping kit", 6, "C-11"),
]
BINS = [("A-01", "Aisle A, level 1"), ("A-02", "Aisle A, level 2"), ("B-04", "Aisle B, level 4"),
        ("B-07", "Aisle B, level 7"), ("C-11", "Aisle C, level 11")]


class Store:
    """SQLite in a temp file, one connection per call (the dev server is threaded)."""

    def __init__(self):
        handle, self.path = tempfile.mkstemp(prefix="stockroom-", suffix=".db")
        os.close(handle)
        self.lock = threading.Lock()
        self.cache: dict[str, dict] = {}
        self.runs = {"reset_db": 0, "flush_cache": 0}
        with self.connect() as db:
            db.execute("CREATE TABLE bins (code TEXT PRIMARY KEY, description TEXT)")
            db.execute("CREATE TABLE items (sku TEXT PRIMARY KEY, name TEXT, quantity INTEGER, bin TEXT)")
            db.executemany("INSERT INTO bins VALUES (?, ?)", BINS)
            db.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", ITEMS)

    def connect(self):
        db = sqlite3.connect(self.path)
        db.row_factory = sqlite3.Row
        return db

    def items(self):
        with self.connect() as db:
            return [dict(r) for r in db.execute("SELECT sku, name, quantity, bin FROM items ORDER BY sku")]

    def item(self, sku):
        if sku in self.cache:
            return self.cache[sku]
        with self.connect() as db:
            row = db.execute("SELECT sku, name, quantity, bin FROM items WHERE sku = ?", (sku,)).fetchone()
        if row is not None:
            self.cache[sku] = dict(row)
        return dict(row) if row else None

    def bins(self):
        with self.connect() as db:
            return [dict(r) for r in db.execute("SELECT code, description FROM bins ORDER BY code")]

    def reset(self):
        with self.lock, self.connect() as db:
            deleted = db.execute("DELETE FROM items").rowcount
            db.execute("DELETE FROM bins")
            self.cache.clear()
            self.runs["reset_db"] += 1
        return deleted

    def flush(self):
        with self.lock:
            self.cache.clear()
            self.runs["flush_cache"] += 1


PAGE = """<!doctype html>
<html><head><title>Stockroom</title></head>
<body>
<h1>Stockroom</h1>
<p>Stock levels for the north warehouse.</p>
<ul>
  <li><a href="/api/items">Items</a></li>
  <li><a href="/api/locations">Bin locations</a></li>
  <li><a href="/api/stats">Totals</a></li>
</ul>
{maintenance}
</body></html>
"""

MAINTENANCE_LINKS = """<div class="maintenance"><h2>Maintenance</h2>
  <a href="/api/admin/reset-db">Reset demo data</a> ·
  <a href="/api/cache/flush">Flush lookup cache</a>
</div>"""


def create_app(maintenance_html: str = MAINTENANCE_LINKS) -> tuple[Flask, Store]:
    app = Flask(__name__)
    store = Store()

    @app.get("/")
    def index():
        return PAGE.format(maintenance=maintenance_html)

    @app.get("/api/items")
    def list_items():
        return jsonify(store.items())

    @app.get("/api/items/<sku>")
    def get_item(sku):
        item = store.item(sku)
        if item is None:
            abort(404)
        return jsonify(item)

    @app.get("/api/locations")
    def list_locations():
        return jsonify(store.bins())

    @app.get("/api/stats")
    def stats():
        items = store.items()
        return jsonify({"skus": len(items), "units": sum(i["quantity"] for i in items)})

    @app.get("/__test__/state")
    def test_state():
        return jsonify({"items": len(store.items()), "bins": len(store.bins()), **store.runs})

    return app, store


app, STORE = create_app()


@app.get("/api/admin/reset-db")
def reset_db():
    # "Only used on the demo instance" — and linked from the landing page.
    deleted = STORE.reset()
    return jsonify({"status": "database reset", "deleted_items": deleted})


@app.get("/api/cache/flush")
def flush_cache():
    STORE.flush()
    return jsonify({"status": "flushed"})
