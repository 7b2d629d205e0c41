"""A FastAPI storefront catalog on SQLite (the stdlib `sqlite3` module), as small shops write it.

Three lookups build SQL with f-strings:
- `GET /api/products?category=…` — errors surface through the app's JSON 500 handler, which
  returns the exception text (`{"detail": "unrecognized token: …"}`), as many APIs do;
- `GET /api/products/by-sku/{sku}` — the same, in a path parameter;
- `GET /api/stores/search?city=…` — quiet: a failing query is logged and answered with an empty
  list, but `' OR 1=1-- ` returns every store, so only a boolean comparison proves it.

CATALOG_PARAMETERIZED=1 is the fixed release: bound parameters everywhere, and a 500 handler that
says nothing (the clean twin).
"""
import logging
import os
import sqlite3
import threading
from typing import Optional

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

PARAMETERIZED = os.environ.get("CATALOG_PARAMETERIZED") == "1"
log = logging.getLogger("catalog")

app = FastAPI(title="Northwind Outfitters catalog", version="2.3.0")


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.executescript(
        """
        CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT, name TEXT, category TEXT,
                               price_cents INTEGER, stock INTEGER);
        CREATE TABLE stores (id INTEGER PRIMARY KEY, name TEXT, city TEXT, opening_hours TEXT);
        """
    )
    conn.executemany(
        "INSERT INTO products (sku, name, category, price_cents, stock) VALUES (?, ?, ?, ?, ?)",
        [
            ("TNT-2P", "Ridgeline 2P tent", "tents", 32900, 14),
            ("TNT-4P", "Basecamp 4P tent", "tents", 51900, 6),
            ("SLP-20", "Alpine -7C sleeping bag", "sleeping", 18900, 22),
            ("SLP-PAD", "Insulated sleeping pad", "sleeping", 7900, 40),
            ("PCK-45", "Trailhead 45L pack", "packs", 15900, 18),
            ("PCK-28", "Daytrip 28L pack", "packs", 8900, 31),
            ("STV-01", "Canister stove", "cooking", 4900, 55),
            ("LMP-HD", "Headlamp 400lm", "lighting", 3900, 70),
        ],
    )
    conn.executemany(
        "INSERT INTO stores (name, city, opening_hours) VALUES (?, ?, ?)",
        [
            ("Northwind Portland", "Portland", "Mon-Sat 9-19"),
            ("Northwind Bend", "Bend", "Mon-Sun 10-18"),
            ("Northwind Boise", "Boise", "Mon-Sat 9-18"),
            ("Northwind Missoula", "Missoula", "Tue-Sun 10-17"),
        ],
    )
    return conn


db = connect()
# One connection shared by the worker threads: statements take turns.
db_lock = threading.Lock()


def query(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with db_lock:
        return db.execute(sql, params).fetchall()


class Product(BaseModel):
    id: int
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int


class Store(BaseModel):
    id: int
    name: str
    city: str
    opening_hours: str


class NewProduct(BaseModel):
    sku: str = Field(..., min_length=3, max_length=20)
    name: str
    category: str
    price_cents: int = Field(..., ge=0)
    stock: int = 0


class Page(BaseModel):
    total: int
    items: list[Product]


@app.exception_handler(Exception)
async def internal_error(request: Request, exc: Exception):
    if PARAMETERIZED:
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    # "Helpful" errors for the mobile team: the message goes straight back to the client.
    return JSONResponse({"detail": str(exc), "type": type(exc).__name__}, status_code=500)


@app.get("/api/health")
def health():
    return {"status": "ok"}


@app.get("/api/categories")
def categories() -> list[str]:
    return [r["category"] for r in query("SELECT DISTINCT category FROM products ORDER BY category")]


@app.get("/api/products", response_model=Page)
def list_products(category: Optional[str] = None, limit: int = Query(20, le=100)):
    if category is None:
        rows = query("SELECT * FROM products ORDER BY id LIMIT ?", (limit,))
    elif PARAMETERIZED:
        rows = query("SELECT * FROM products WHERE category = ? ORDER BY id LIMIT ?", (category, limit))
    else:
        rows = query(f"SELECT * FROM products WHERE category = '{category}' ORDER BY id LIMIT {limit}")
    return {"total": len(rows), "items": [dict(r) for r in rows]}


@app.get("/api/products/{product_id}", response_model=Product)
def get_product(product_id: int = Path(..., ge=1, le=2**31 - 1)):
    rows = query("SELECT * FROM products WHERE id = ?", (product_id,))
    if not rows:
        return JSONResponse({"detail": "Product not found"}, status_code=404)
    return dict(rows[0])


@app.get("/api/products/by-sku/{sku}", response_model=Product)
def get_by_sku(sku: str):
    if PARAMETERIZED:
        rows = query("SELECT * FROM products WHERE sku = ?", (sku.upper(),))
    else:
        rows = query(f"SELECT * FROM products WHERE sku = '{sku.upper()}'")
    if not rows:
        return JSONResponse({"detail": "Product not found"}, status_code=404)
    return dict(rows[0])


@app.post("/api/products", status_code=201, response_model=Product)
def create_product(product: NewProduct):
    with db_lock:
        cur = db.execute(
            "INSERT INTO products (sku, name, category, price_cents, stock) VALUES (?, ?, ?, ?, ?)",
            (product.sku, product.name, product.category, product.price_cents, product.stock),
        )
        db.commit()
    return {"id": cur.lastrowid, **product.model_dump()}


@app.delete("/api/products/{product_id}", status_code=204)
def delete_product(product_id: int = Path(..., ge=1, le=2**31 - 1)):
    with db_lock:
        db.execute("DELETE FROM products WHERE id = ?", (product_id,))
        db.commit()


@app.get("/api/stores", response_model=list[Store])
def list_stores():
    return [dict(r) for r in query("SELECT * FROM stores ORDER BY id")]


@app.get("/api/stores/search", response_model=list[Store])
def search_stores(city: str = Query(..., min_length=2, description="City name or part of it")):
    try:
        if PARAMETERIZED:
            rows = query("SELECT * FROM stores WHERE city LIKE ? ORDER BY name", (f"%{city}%",))
        else:
            rows = query(f"SELECT * FROM stores WHERE city LIKE '%{city}%' ORDER BY name")
    except sqlite3.Error:
        log.exception("store search failed")
        rows = []
    return [dict(r) for r in rows]
