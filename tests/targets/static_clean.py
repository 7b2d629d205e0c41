"""Northwind Outfitters, deployed with care: the hardened twin of `static_leaks`.

Same shop, same project checkout on disk (a `.env`, `.git/` and customer exports sit next to the
code, as they do on real servers) — but nothing outside `static/` is served:
- the project-root view serves an allow-list (`robots.txt`, `favicon.ico`), not a path from the URL;
- `/uploads/` has no index (403) and files are served only to their owner (401 when anonymous);
- `static/` holds only assets and files whose names look alarming but are not leaks: a
  `backup.html` marketing page, an `export.csv` product catalogue and a `customers.csv` of
  per-region totals (no personal data);
- `/downloads/` is a page of brochures, and its download view answers unknown names with a
  friendly HTML page and status 200 (`/downloads/report.zip` included) — a soft-404 inside a folder.

A scanner must report none of this as a medium-or-higher sensitive file. `/__test__/requests`
lists the paths requested (not itself), so a test can tell "silent" from "never asked"; nothing
links to it.
"""
import os
import shutil
import tempfile
import threading

from flask import Blueprint, Flask, abort, jsonify, render_template_string, request, send_from_directory

HIDE_SERVER_VERSION = True
APP_NAME = "Northwind Outfitters"


def _scratch_dir(module: str) -> str:
    """One directory per process; those of processes that are gone are removed first."""
    base = tempfile.gettempdir()
    prefix = f"leakprobe-{module}-"
    for name in os.listdir(base):
        if name.startswith(prefix):
            try:
                os.kill(int(name[len(prefix) :]), 0)
            except (ValueError, ProcessLookupError):
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            except PermissionError:
                pass
    path = os.path.join(base, f"{prefix}{os.getpid()}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


PROJECT = _scratch_dir("static_clean")
PUBLIC_ROOT_FILES = {"robots.txt", "favicon.ico"}

FILES = {
    # On disk, never served.
    ".env": "SECRET_KEY=4c1d9e0f7a2b8c3d5e6f\nDATABASE_URL=postgresql://northwind:Spring-Sale-2025@db/northwind\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/config": "[core]\n\trepositoryformatversion = 0\n",
    "uploads/users.csv": "id,email,ssn\n1,maria.lopez@fastmail.fm,512-44-8812\n",
    # Served at the root by name.
    "robots.txt": "User-agent: *\nDisallow: /uploads/\n",
    "favicon.ico": b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00",
    # Static assets, look-alikes included.
    "static/css/site.css": "body { font-family: system-ui, sans-serif; }\n",
    "static/js/app.js": "fetch('/api/products').then(r => r.json());\n",
    "static/img/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"></svg>\n',
    "static/backup.html": (
        "<!doctype html><html><head><title>Back up your trip plans | Northwind</title></head>"
        "<body><h1>Never lose a route again</h1><p>Sync your trail maps to the cloud.</p></body></html>\n"
    ),
    "static/export.csv": "sku,name,price,stock\nJKT-001,Trail jacket,149.00,42\nBNE-002,Wool beanie,24.00,310\n",
    "static/customers.csv": "region,customers,orders,revenue\nWest,1204,3310,412000.50\nEast,988,2750,351220.00\n",
    "downloads/catalog-2024.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
}
for rel, content in FILES.items():
    path = os.path.join(PROJECT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ name }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/site.css') }}">
<script defer src="{{ url_for('static', filename='js/app.js') }}"></script></head>
<body><img src="{{ url_for('static', filename='img/logo.svg') }}" alt="{{ name }}">
<h1>{{ name }}</h1>
<a href="{{ url_for('static', filename='backup.html') }}">Back up your trip plans</a>
<a href="/downloads/">Catalogues</a>
<a href="{{ url_for('api.products') }}">Products (JSON)</a></body></html>
"""

DOWNLOADS = """<!doctype html>
<html><head><title>Downloads | {{ name }}</title></head><body><h1>Catalogues</h1>
<ul><li><a href="/downloads/catalog-2024.pdf">Catalogue 2024 (PDF)</a></li></ul></body></html>
"""

EXPIRED = """<!doctype html>
<html><head><title>Download unavailable | {{ name }}</title></head><body>
<h1>This download is no longer available</h1><p>Browse the <a href="/downloads/">current catalogues</a>.</p>
</body></html>
"""

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/products")
def products():
    return jsonify([{"id": 1, "name": "Trail jacket", "price": "149.00"}, {"id": 2, "name": "Wool beanie", "price": "24.00"}])


files = Blueprint("files", __name__)


@files.get("/uploads/")
def uploads_index():
    abort(403)


@files.get("/uploads/<path:name>")
def uploaded_file(name: str):
    # Uploads belong to their owner; anonymous callers are turned away before any lookup.
    return jsonify(error="authentication required"), 401


@files.get("/downloads/")
def downloads():
    return render_template_string(DOWNLOADS, name=APP_NAME)


@files.get("/downloads/<name>")
def download(name: str):
    if name == "catalog-2024.pdf":
        return send_from_directory(os.path.join(PROJECT, "downloads"), name)
    # Marketing wanted a friendly page for old links, and kept the 200.
    return render_template_string(EXPIRED, name=APP_NAME)


_lock = threading.Lock()
_requested: list[str] = []


def create_app() -> Flask:
    app = Flask(__name__, static_folder=os.path.join(PROJECT, "static"))
    app.register_blueprint(api)
    app.register_blueprint(files)

    @app.before_request
    def record():
        if not request.path.startswith("/__test__/"):
            with _lock:
                _requested.append(request.path)

    @app.get("/__test__/requests")
    def requested():
        with _lock:
            return jsonify(list(_requested))

    @app.get("/")
    def index():
        return render_template_string(INDEX, name=APP_NAME)

    @app.get("/<name>")
    def root_file(name: str):
        if name not in PUBLIC_ROOT_FILES:
            abort(404)
        return send_from_directory(PROJECT, name)

    @app.errorhandler(403)
    def forbidden(_e):
        return jsonify(error="forbidden"), 403

    @app.errorhandler(404)
    def not_found(_e):
        return jsonify(error="not found"), 404

    return app


app = create_app()
