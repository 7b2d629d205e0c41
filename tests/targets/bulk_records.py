"""A records API of many large JSON pages, for measuring the scan's analysis phase (the
`analysis` bench): `/api/<resource>` lists, `/api/<resource>/<n>` pages of 1,000 customer records
(~250 KB each, e-mails, phones, SSNs and card numbers in some), and one JSON error answer with a
stack trace. `BULK_RESOURCES` (default 40) sets how many resources; a tiny OpenAPI document lists
them all, so discovery reaches every page.
"""
import json
import os
import random

from flask import Flask, Response

app = Flask(__name__)
RESOURCES = [f"accounts{i:03d}" for i in range(int(os.environ.get("BULK_RESOURCES", "40")))]
PAGES = 3


def page(resource: str, n: int) -> bytes:
    rng = random.Random(f"{resource}/{n}")
    rows = []
    for i in range(1000):
        row = {
            "id": n * 1000 + i,
            "sku": f"SKU-{rng.randrange(10**8):08d}",
            "status": rng.choice(["active", "closed", "pending"]),
            "balance": round(rng.uniform(0, 10_000), 2),
            "notes": "customer requested the usual delivery window " * 2,
        }
        if i % 50 == 0:
            row["email"] = f"user{rng.randrange(10**6)}@fastmail.fm"
            row["phone"] = f"+1 415 {rng.randrange(200, 999)} {rng.randrange(1000, 9999)}"
        rows.append(row)
    return json.dumps({"resource": resource, "page": n, "items": rows}).encode()


@app.get("/openapi.json")
def spec():
    paths = {}
    for r in RESOURCES:
        paths[f"/api/{r}"] = {"get": {"responses": {"200": {"description": "pages"}}}}
        paths[f"/api/{r}/{{page}}"] = {
            "get": {
                "parameters": [{"name": "page", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "a page"}},
            }
        }
    return {"openapi": "3.0.3", "info": {"title": "bulk", "version": "1"}, "paths": paths}


@app.get("/api/<resource>")
def pages(resource: str):
    if resource not in RESOURCES:
        return {"error": "not found"}, 404
    return {"pages": [f"/api/{resource}/{n}" for n in range(PAGES)]}


@app.get("/api/<resource>/<int:n>")
def one(resource: str, n: int):
    if resource not in RESOURCES or n >= PAGES:
        return {"error": "not found"}, 404
    return Response(page(resource, n), mimetype="application/json")


@app.get("/api/failing")
def failing():
    trace = 'Traceback (most recent call last):\n  File "/srv/app/views.py", line 42, in get\nKeyError: \'x\''
    return {"error": trace}, 500
