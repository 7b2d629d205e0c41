"""Northwind Outfitters: a Flask shop whose deployment serves what it never meant to.

The project checkout is the web root's neighbour, and three shortcuts expose it:
- a catch-all added "to serve robots.txt and favicon.ico" sends any file of the project root, so
  `/.env`, `/config.py`, `/docker-compose.yml`, `/.git/*`, `/server.key` and the database dump
  `/northwind.sql` (named after the app) are all one GET away;
- someone zipped the site into `static/backup.zip` and copied the SQLite database into `static/`;
- the support team's file browser at `/uploads/` lists customer exports (`users.csv`,
  `customers-2024.csv`) next to avatars and invoices, in nginx autoindex style.

Every file is generated here at import time (real zip, SQLite, git index bytes) into a scratch
directory, so nothing binary is committed. Personal data is synthetic but well-formed (Luhn-valid
cards, SSNs in valid ranges) so the PII detector sees what a real export holds.
"""
import base64
import csv
import hashlib
import io
import os
import random
import shutil
import sqlite3
import struct
import tempfile
import zipfile
from datetime import datetime, timezone

from flask import Blueprint, Flask, jsonify, render_template_string, send_from_directory

APP_NAME = "Northwind Outfitters"
RNG = random.Random(20240521)

# ---- synthetic customers -------------------------------------------------------------------------


def _luhn_complete(prefix: str, length: int = 16) -> str:
    digits = prefix + "".join(str(RNG.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return digits + str((10 - total % 10) % 10)


def _ssn() -> str:
    area = RNG.choice([x for x in range(1, 900) if x != 666])
    return f"{area:03d}-{RNG.randrange(1, 100):02d}-{RNG.randrange(1, 10000):04d}"


PEOPLE = [
    ("Maria", "Lopez", "maria.lopez@fastmail.fm", "+1 415 555 0134", "1986-04-12"),
    ("Tomasz", "Nowak", "t.nowak@protonmail.com", "+1 212 555 0187", "1979-11-03"),
    ("Aisha", "Bello", "aisha.bello@gmail.com", "+1 646 555 0112", "1992-07-28"),
    ("Jonas", "Berg", "jonas.berg@outlook.com", "+1 312 555 0199", "1968-01-19"),
    ("Priya", "Raman", "priya.raman@yahoo.com", "+1 408 555 0166", "1995-09-30"),
]
CUSTOMERS = [
    {
        "id": 1000 + i,
        "first": first,
        "last": last,
        "email": email,
        "phone": phone,
        "dob": dob,
        "ssn": _ssn(),
        "card": _luhn_complete(RNG.choice(["4", "51", "52", "55"])),
    }
    for i, (first, last, email, phone, dob) in enumerate(PEOPLE)
]

# ---- the project checkout ------------------------------------------------------------------------

SECRET_KEY = hashlib.sha256(b"northwind-session-signing").hexdigest()[:40]
DB_PASSWORD = "Wint3r-Sale-2024"
# Built from parts so that no complete live-looking key sits in the repository.
STRIPE_KEY = "sk_" + "live_" + hashlib.sha256(b"northwind-stripe").hexdigest()[:24]

DOTENV = f"""# production settings — do not commit
FLASK_APP=northwind
FLASK_DEBUG=0
SECRET_KEY={SECRET_KEY}
DATABASE_URL=postgresql://northwind:{DB_PASSWORD}@db.internal:5432/northwind
STRIPE_SECRET_KEY={STRIPE_KEY}
MAIL_USERNAME=postmaster@mg.northwind-outfitters.com
MAIL_PASSWORD=7d1f0c9be2a4
"""

CONFIG_PY = f'''import os


class Config:
    SECRET_KEY = "{SECRET_KEY}"
    SQLALCHEMY_DATABASE_URI = "postgresql://northwind:{DB_PASSWORD}@db.internal:5432/northwind"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    UPLOAD_FOLDER = os.path.join(os.path.dirname(__file__), "uploads")
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024


class DevelopmentConfig(Config):
    DEBUG = True
'''

COMPOSE = f"""services:
  web:
    build: .
    command: gunicorn -c gunicorn.conf.py "northwind:create_app()"
    ports:
      - "8000:8000"
    env_file: .env
    depends_on:
      - db
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: northwind
      POSTGRES_PASSWORD: {DB_PASSWORD}
      POSTGRES_DB: northwind
    volumes:
      - pgdata:/var/lib/postgresql/data
volumes:
  pgdata:
"""

GIT_CONFIG = """[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
[remote "origin"]
\turl = git@github.com:northwind-outfitters/shop.git
\tfetch = +refs/heads/*:refs/remotes/origin/*
[branch "main"]
\tremote = origin
\tmerge = refs/heads/main
"""

TRACKED = [".env", "app.py", "config.py", "docker-compose.yml", "northwind.sql", "static/css/site.css", "static/js/app.js"]


def git_index(paths: list[str]) -> bytes:
    """A version-2 git index (`DIRC`), as `git add` writes it, with its trailing SHA-1."""
    out = bytearray(b"DIRC" + struct.pack(">II", 2, len(paths)))
    for path in sorted(paths):
        name = path.encode()
        sha = hashlib.sha1(b"blob " + name).digest()
        out += struct.pack(">10I", 1716000000, 0, 1716000000, 0, 2049, 1000 + len(out), 0o100644, 1000, 1000, 512)
        out += sha + struct.pack(">H", len(name))
        entry = 62 + len(name)
        out += name + b"\0" * (8 - entry % 8)
    return bytes(out) + hashlib.sha1(bytes(out)).digest()


def git_reflog() -> str:
    lines, parent = [], "0" * 40
    for i, (who, mail, msg) in enumerate(
        [
            ("Dana Whitfield", "dana.whitfield@northwind-outfitters.com", "commit (initial): storefront"),
            ("Luis Ortega", "luis.ortega@northwind-outfitters.com", "commit: add stripe checkout"),
        ]
    ):
        sha = hashlib.sha1(msg.encode()).hexdigest()
        lines.append(f"{parent} {sha} {who} <{mail}> {1716000000 + i * 3600} +0200\t{msg}")
        parent = sha
    return "\n".join(lines) + "\n"


def sql_dump() -> str:
    rows = "\n".join(
        f"INSERT INTO public.customers VALUES ({c['id']}, '{c['email']}', '{c['first']} {c['last']}', "
        f"'{c['phone']}', '{c['dob']}', '{c['ssn']}', '{c['card']}');"
        for c in CUSTOMERS
    )
    return f"""--
-- PostgreSQL database dump
--

-- Dumped from database version 16.2

SET statement_timeout = 0;
SET client_encoding = 'UTF8';

CREATE TABLE public.customers (
    id integer NOT NULL,
    email text NOT NULL,
    full_name text,
    phone text,
    date_of_birth date,
    ssn text,
    card_number text
);

CREATE TABLE public.orders (
    id integer NOT NULL,
    customer_id integer REFERENCES public.customers(id),
    total numeric(10,2)
);

{rows}

--
-- PostgreSQL database dump complete
--
"""


def users_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "email", "full_name", "phone", "date_of_birth", "ssn"])
    for c in CUSTOMERS:
        w.writerow([c["id"], c["email"], f"{c['first']} {c['last']}", c["phone"], c["dob"], c["ssn"]])
    return buf.getvalue()


def customers_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["customer_id", "first_name", "last_name", "email", "phone", "city"])
    for c, city in zip(CUSTOMERS, ["San Francisco", "New York", "Brooklyn", "Chicago", "San Jose"]):
        w.writerow([c["id"], c["first"], c["last"], c["email"], c["phone"], city])
    return buf.getvalue()


def private_key() -> str:
    body = bytes(RNG.randrange(256) for _ in range(1190))
    b64 = base64.b64encode(body).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    marker = "PRIVATE" + " KEY"
    return f"-----BEGIN {marker}-----\n" + "\n".join(lines) + f"\n-----END {marker}-----\n"


def sqlite_db(path: str) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, full_name TEXT, password_hash TEXT)")
    con.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?)",
        [(c["id"], c["email"], f"{c['first']} {c['last']}", "pbkdf2:sha256:600000$" + hashlib.sha256(c["email"].encode()).hexdigest()) for c in CUSTOMERS],
    )
    con.commit()
    con.close()


def backup_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("northwind/app.py", APP_SOURCE)
        z.writestr("northwind/.env", DOTENV)
        z.writestr("northwind/config.py", CONFIG_PY)
        z.writestr("northwind/exports/users.csv", users_csv())
    return buf.getvalue()


APP_SOURCE = "from flask import Flask\n\napp = Flask(__name__)\n"
SITE_CSS = "body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; }\n"
APP_JS = "fetch('/api/products').then(r => r.json()).then(p => console.log(p.length, 'products'));\n"
LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><text y="24">Northwind</text></svg>\n'
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
PDF_STUB = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _write(root: str, rel: str, content) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)


def _scratch_dir(module: str) -> str:
    """One directory per process; those of processes that are gone (targets are killed, never
    shut down) are removed first, so runs do not pile up."""
    base = tempfile.gettempdir()
    prefix = f"leakprobe-{module}-"
    for name in os.listdir(base):
        if name.startswith(prefix):
            pid = name[len(prefix) :]
            try:
                os.kill(int(pid), 0)
            except (ValueError, ProcessLookupError):
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            except PermissionError:
                pass
    path = os.path.join(base, f"{prefix}{os.getpid()}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


PROJECT = _scratch_dir("static_leaks")
for rel, content in {
    ".env": DOTENV,
    "config.py": CONFIG_PY,
    "docker-compose.yml": COMPOSE,
    "app.py": APP_SOURCE,
    "server.key": private_key(),
    "northwind.sql": sql_dump(),
    "robots.txt": "User-agent: *\nDisallow: /uploads/\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/config": GIT_CONFIG,
    ".git/index": git_index(TRACKED),
    ".git/logs/HEAD": git_reflog(),
    "static/css/site.css": SITE_CSS,
    "static/js/app.js": APP_JS,
    "static/img/logo.svg": LOGO_SVG,
    "static/backup.zip": backup_zip(),
    "uploads/users.csv": users_csv(),
    "uploads/customers-2024.csv": customers_csv(),
    "uploads/avatar-1042.png": PNG_1PX,
    "uploads/invoice-1001.pdf": PDF_STUB,
}.items():
    _write(PROJECT, rel, content)
sqlite_db(os.path.join(PROJECT, "static", "db.sqlite3"))

UPLOAD_FOLDER = os.path.join(PROJECT, "uploads")

# ---- the app -------------------------------------------------------------------------------------

PRODUCTS = [
    {"id": 1, "name": "Trail jacket", "price": "149.00"},
    {"id": 2, "name": "Wool beanie", "price": "24.00"},
]

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ name }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/site.css') }}">
<script defer src="{{ url_for('static', filename='js/app.js') }}"></script></head>
<body><img src="{{ url_for('static', filename='img/logo.svg') }}" alt="{{ name }}">
<h1>{{ name }}</h1><p>Gear for the long way round.</p>
<a href="{{ url_for('api.products') }}">Products (JSON)</a></body></html>
"""

# What nginx's autoindex prints; the support team copied its look for their file browser.
LISTING = """<html>
<head><title>Index of {{ path }}</title></head>
<body>
<h1>Index of {{ path }}</h1><hr><pre><a href="../">../</a>
{% for f in files %}<a href="{{ f.name }}">{{ f.name }}</a>{{ " " * (50 - f.name|length) }}{{ f.mtime }}  {{ f.size }}
{% endfor %}</pre><hr></body>
</html>
"""

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/products")
def products():
    return jsonify(PRODUCTS)


support = Blueprint("support", __name__)


@support.get("/uploads/")
def browse_uploads():
    files = []
    for name in sorted(os.listdir(UPLOAD_FOLDER)):
        st = os.stat(os.path.join(UPLOAD_FOLDER, name))
        mtime = datetime.fromtimestamp(st.st_mtime, tz=timezone.utc).strftime("%d-%b-%Y %H:%M")
        files.append({"name": name, "mtime": mtime, "size": st.st_size})
    return render_template_string(LISTING, path="/uploads/", files=files)


@support.get("/uploads/<path:name>")
def uploaded_file(name: str):
    return send_from_directory(UPLOAD_FOLDER, name)


def create_app() -> Flask:
    app = Flask(__name__, static_folder=os.path.join(PROJECT, "static"))
    app.config["SECRET_KEY"] = SECRET_KEY
    app.register_blueprint(api)
    app.register_blueprint(support)

    @app.get("/")
    def index():
        return render_template_string(INDEX, name=APP_NAME)

    # "Serve robots.txt and favicon.ico from the project root" — and everything else in it.
    @app.get("/<path:filename>")
    def root_files(filename: str):
        return send_from_directory(PROJECT, filename)

    @app.errorhandler(404)
    def not_found(_e):
        return jsonify(error="not found"), 404

    return app


app = create_app()
