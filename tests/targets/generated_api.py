"""A generated API of any size, for the scale bench and tests: N operations written like a real
large API, with about ten leaks planted across the whole alphabet of its resources.

Environment:
  GEN_OPS          operations in the spec (default 1000)
  GEN_SEED         seed of the resource names and data (default 12)
  GEN_SPEC_PAD_MB  pad operation descriptions until the spec is about this many MB (default 0)
  GEN_SPEC_BOMB    `deep`: serve a spec nested a million levels deep at /openapi.json instead

Shape: resources under /api/v1, each with a collection (GET, POST with a schema), items by id,
account number or username (GET, PUT, DELETE), and nested routes (history, notes, attachments…);
some operations have no schema at all, as in real specs. Every operation answers plausibly and
cleanly except the planted ones.

`python generated_api.py --planted` prints the planted leaks as JSON lines (`check`, `method`,
`endpoint`) for the current environment, so the bench and the tests score recall without
importing Flask or serving anything.
"""
import json
import os
import random
import sys

OPS = int(os.environ.get("GEN_OPS", "1000"))
SEED = int(os.environ.get("GEN_SEED", "12"))
PAD_MB = float(os.environ.get("GEN_SPEC_PAD_MB", "0"))

PREFIX = "/api/v1"
QUALIFIERS = [
    "account", "archive", "asset", "audit", "batch", "billing", "branch", "budget", "campaign", "carrier",
    "catalog", "channel", "claim", "client", "contract", "cost", "coupon", "credit", "customs", "delivery",
    "device", "dispatch", "document", "energy", "event", "expense", "facility", "fleet", "forecast",
    "freight", "grant", "harbor", "import", "incident", "insurance", "inventory", "invoice", "kiosk",
    "label", "lease", "license", "loyalty", "upkeep", "market", "media", "meter",
    "network", "office", "packing", "parcel", "partner", "payroll", "pricing", "procurement", "quality",
    "quota", "rebate", "region", "release", "rental", "repair", "retail", "route", "safety", "schedule",
    "season", "service", "shelf", "shipping", "site", "storage", "supply", "survey", "tariff", "tax",
    "terminal", "ticket", "training", "transit", "travel", "utility", "vendor", "venue", "voucher",
    "warranty", "waste", "weather", "yard", "zone",
]
NOUNS = [
    "adjustments", "allocations", "approvals", "assignments", "batches", "bookings", "certificates",
    "checks", "codes", "deposits", "entries", "estimates", "filings", "groups", "holds", "items",
    "jobs", "lines", "lots", "manifests", "notices", "orders", "permits", "plans", "quotes", "rates",
    "records", "requests", "reservations", "returns", "rules", "slots", "snapshots", "statements",
    "tasks", "templates", "transfers", "units", "windows", "zones",
]
NESTED = ["history", "notes", "attachments", "tags", "status", "summary", "metrics", "links"]
# How an item is addressed: most by id, some by account number or by username, as real APIs mix.
KEYS = [("id", "integer", 1001), ("id", "integer", 1001), ("account_number", "string", "ACC-100234"),
        ("username", "string", "fleet.ops")]

# What is planted where: (check id, position along the sorted resources, what the route is).
PLANTS = [
    ("pii_in_response", 0.11, "contacts"),
    ("stack_trace_disclosure", 0.19, "render"),
    ("sql_error_disclosure", 0.28, "ledger"),
    ("werkzeug_debugger_page", 0.37, "preview"),
    ("cors_origin_reflection", 0.46, "cors"),
    ("pii_in_response", 0.55, "credentials"),
    ("admin_function_exposed", 0.64, "admin"),
    ("bola_id_enumeration", 0.73, "people"),
    ("unbounded_page_size", 0.86, "unbounded"),
    ("config_file_exposed", None, "env"),
]


def resource_names(count, rng):
    names = [f"{q}-{n}" for q in QUALIFIERS for n in NOUNS]
    rng.shuffle(names)
    return sorted(names[:count])


def build():
    """The resources, their operations, and the planted routes: deterministic for (OPS, SEED)."""
    rng = random.Random(SEED)
    per_resource = 5 + 3  # collection GET/POST, item GET/PUT/DELETE, three nested GETs on average
    # Every planted leak has a resource of its own, however small the API.
    names = resource_names(max(len(PLANTS), OPS // per_resource), rng)
    resources = []
    ops = []
    for name in names:
        key = rng.choice(KEYS)
        nested = rng.sample(NESTED, 3)
        resources.append({"name": name, "key": key, "nested": nested})
    plants = {}
    planted = []
    for check, position, kind in PLANTS:
        if position is None:
            planted.append({"check": check, "method": "GET", "endpoint": "/.env"})
            continue
        res = resources[min(len(resources) - 1, int(position * len(resources)))]
        while res["name"] in plants:
            res = resources[(resources.index(res) + 1) % len(resources)]
        # The planted resources address items by integer id: the leaks are about what an item says.
        res["key"] = KEYS[0]
        plants[res["name"]] = kind
        res["plant"] = kind
        base = f"{PREFIX}/{res['name']}"
        endpoint = {
            "contacts": f"{base}/{{id}}/contacts",
            "render": f"{base}/{{id}}/render",
            "ledger": f"{base}/{{id}}/ledger",
            "preview": f"{base}/{{id}}/preview",
            "cors": f"{base}/{{id}}",
            "credentials": f"{base}/{{id}}/credentials",
            "admin": f"{base}/admin/exports",
            "people": f"{base}/{{id}}",
            "unbounded": base,
        }[kind]
        planted.append({"check": check, "method": "GET", "endpoint": endpoint})
    for res in resources:
        base = f"{PREFIX}/{res['name']}"
        key = res["key"][0]
        item = f"{base}/{{{key}}}"
        ops.append(("get", base, res, "list"))
        ops.append(("post", base, res, "create"))
        ops.append(("get", item, res, "item"))
        ops.append(("put", item, res, "update"))
        ops.append(("delete", item, res, "delete"))
        for sub in res["nested"]:
            ops.append(("get", f"{item}/{sub}", res, sub))
        kind = res.get("plant")
        if kind in ("contacts", "render", "ledger", "preview", "credentials"):
            ops.append(("get", f"{item}/{kind}", res, kind))
        if kind == "admin":
            ops.append(("get", f"{base}/admin/exports", res, "admin"))
    return resources, ops, planted


RESOURCES, OPERATIONS, PLANTED = build()


def schema_for(res):
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string", "example": f"{res['name']} 1"},
            "status": {"type": "string", "enum": ["open", "closed", "pending"]},
            "quantity": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
        },
        "required": ["name"],
    }


PAD_TEXT = ("The operation reads and updates records of this resource for the tenant of the caller; "
            "results are paginated and filtered by the caller's permissions. ") * 64


def spec():
    document = spec_with(0)
    if PAD_MB > 0 and OPERATIONS:
        missing = PAD_MB * 1024 * 1024 - len(json.dumps(document))
        document = spec_with(max(0, int(missing / len(OPERATIONS))))
    return document


def spec_with(pad_each):
    paths = {}
    for index, (method, path, res, role) in enumerate(OPERATIONS):
        key, key_type, example = res["key"]
        op = {
            "operationId": f"{role}_{res['name'].replace('-', '_')}_{index}",
            "summary": f"{role.capitalize()} {res['name'].replace('-', ' ')}",
            "tags": [res["name"].split("-")[0]],
            "responses": {"200": {"description": "OK"}},
        }
        if pad_each:
            text = PAD_TEXT * (pad_each // len(PAD_TEXT) + 1)
            start = index % 97
            op["description"] = text[start:start + pad_each]
        params = []
        if "{" in path:
            params.append({"name": key, "in": "path", "required": True,
                           "schema": {"type": key_type, "example": example}})
        if role == "list":
            params.append({"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}})
            params.append({"name": "page", "in": "query", "schema": {"type": "integer"}})
        if params:
            op["parameters"] = params
        # About one operation in six is declared without any schema, as in many real specs.
        if (index % 6) != 5:
            if role in ("create", "update"):
                op["requestBody"] = {"content": {"application/json": {"schema": schema_for(res)}}}
            if role in ("item", "create", "update"):
                op["responses"]["200"]["content"] = {"application/json": {"schema": schema_for(res)}}
            elif role == "list":
                op["responses"]["200"]["content"] = {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": schema_for(res)},
                                   "page": {"type": "integer"}}}}}
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Logistics platform", "version": "4.2.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
    }


def find(method, path):
    """The operation a concrete path names, and its path parameter."""
    parts = path.strip("/").split("/")
    if len(parts) < 3 or f"/{parts[0]}/{parts[1]}" != PREFIX:
        return None
    res = BY_NAME.get(parts[2])
    if res is None:
        return None
    rest = parts[3:]
    if not rest:
        return (res, {"GET": "list", "POST": "create"}.get(method), None)
    if rest == ["admin", "exports"] and res.get("plant") == "admin" and method == "GET":
        return (res, "admin", None)
    if len(rest) == 1:
        return (res, {"GET": "item", "PUT": "update", "DELETE": "delete"}.get(method), rest[0])
    if len(rest) == 2 and method == "GET" and (rest[1] in res["nested"] or rest[1] == res.get("plant")):
        return (res, rest[1], rest[0])
    return None


BY_NAME = {r["name"]: r for r in RESOURCES}


def valid_key(res, value):
    key, key_type, _ = res["key"]
    if key_type == "integer":
        return value.isdigit() and 1000 <= int(value) <= 1099
    return 3 <= len(value) <= 40


def record(res, value):
    number = int(value) if value.isdigit() else sum(map(ord, value))
    return {"id": number, "name": f"{res['name'].replace('-', ' ')} {number}",
            "status": ["open", "closed", "pending"][number % 3], "quantity": number % 17,
            "created_at": "2024-03-0%dT10:00:00Z" % (number % 9 + 1)}


FIRST = ["Maria", "James", "Aiko", "Omar", "Lena", "Pavel", "Grace", "Tomas"]
LAST = ["Lopez", "Okafor", "Tanaka", "Haddad", "Fischer", "Novak", "Mensah", "Silva"]


def person(number):
    first, last = FIRST[number % len(FIRST)], LAST[(number // 3) % len(LAST)]
    return {"id": number, "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{number}@example-logistics.com",
            "phone": f"+1-415-555-{1000 + number % 9000:04d}",
            "ssn": f"{219 + number % 300:03d}-{40 + number % 50:02d}-{1234 + number % 8000:04d}"}


TRACEBACK = """Traceback (most recent call last):
  File "/srv/app/venv/lib/python3.11/site-packages/flask/app.py", line 1484, in full_dispatch_request
    rv = self.dispatch_request()
  File "/srv/app/platform/render.py", line 88, in render_document
    template = TEMPLATES[doc.kind]
KeyError: 'manifest'
"""

SQL_ERROR = ("(sqlalchemy.exc.OperationalError) (sqlite3.OperationalError) no such column: ledger.settled_on\n"
             "[SQL: SELECT ledger.id, ledger.amount, ledger.owner_email FROM ledger WHERE ledger.batch_id = ? "
             "AND ledger.owner_email = ?]\n[parameters: (%s, 'grace.mensah@example-logistics.com')]\n"
             "(Background on this error at: https://sqlalche.me/e/20/e3q8)")

DEBUGGER = """<!doctype html>
<html lang=en>
  <head>
    <title>KeyError: 'preview' // Werkzeug Debugger</title>
    <link rel="stylesheet" href="?__debugger__=yes&amp;cmd=resource&amp;f=style.css">
    <script src="?__debugger__=yes&amp;cmd=resource&amp;f=debugger.js"></script>
    <script>
      var CONSOLE_MODE = false,
          EVALEX = true,
          EVALEX_TRUSTED = false,
          SECRET = "kX3aQ9vLm2Rt8YpZ1cWd";
    </script>
  </head>
  <body style="background-color: #fff">
    <div class="debugger">
<h1>KeyError</h1>
<div class="detail"><p class="errormsg">KeyError: 'preview'</p></div>
<h2 class="traceback">Traceback <em>(most recent call last)</em></h2>
<div class="traceback"><ul><li><div class="frame" id="frame-140213"><h4>File <cite class="filename">"/srv/app/platform/preview.py"</cite>, line <em class="line">41</em>, in <code class="function">preview</code></h4></div></li></ul></div>
<div class="explanation">The debugger caught an exception in your WSGI application.  You can now
look at the traceback which led to the error.</div>
    </div>
  </body>
</html>
"""

ENV_FILE = """FLASK_APP=platform.app
FLASK_ENV=production
SECRET_KEY=3f9a7c2e1b8d4f6a0c5e9b2d7f1a8c3e
DATABASE_URL=postgresql://platform:Xr4!mK9qPz@db.internal:5432/platform
STRIPE_SECRET_KEY=sk_live_51HxQ2eLkP9wQz8RkT4mNv7Ya
MAIL_SERVER=smtp.internal
"""


# No version in the Server header (serve.py's quiet handler): the leaks are the planted ones.
HIDE_SERVER_VERSION = True


def create_app():
    from flask import Flask, Response, jsonify, request

    app = Flask(__name__)
    if os.environ.get("GEN_SPEC_BOMB") == "deep":
        depth = 10**6
        document = ('{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}, "x-deep": '
                    + "[" * depth + "]" * depth + "}")
    else:
        document = json.dumps(spec())

    @app.get("/")
    def index():
        return jsonify(name="Logistics platform API", version="4.2.0", docs="/openapi.json")

    @app.get("/openapi.json")
    def openapi():
        return Response(document, mimetype="application/json")

    @app.get("/.env")
    def env_file():
        return Response(ENV_FILE, mimetype="text/plain")

    @app.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
               provide_automatic_options=False)
    def api(rest):
        if request.method == "OPTIONS":
            # Preflights are the gateway's: it advertises reads only, writes need a token.
            return Response(status=204, headers={"Allow": "GET, HEAD, OPTIONS"})
        if request.method != "GET" and not request.headers.get("Authorization"):
            return jsonify(error="authentication required"), 401
        found = find(request.method, request.path)
        if found is None or found[1] is None:
            return jsonify(error="not found"), 404
        res, role, value = found
        plant = res.get("plant")
        if value is not None and not valid_key(res, value):
            return jsonify(error=f"no such {res['name']}"), 404
        answer = answer_for(res, role, value, plant, request)
        if plant == "cors" and request.headers.get("Origin"):
            answer.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
            answer.headers["Access-Control-Allow-Credentials"] = "true"
            answer.headers["Vary"] = "Origin"
        return answer

    def answer_for(res, role, value, plant, request):
        if role == "list":
            limit = request.args.get("limit", 20, type=int) or 20
            if plant != "unbounded":
                limit = min(max(limit, 1), 50)
            limit = max(1, min(limit, 5000))
            if plant == "unbounded":
                return jsonify(items=[person(1000 + i) for i in range(limit)], page=1)
            return jsonify(items=[record(res, str(1000 + i)) for i in range(min(limit, 5))], page=1)
        if role == "create":
            return jsonify(record(res, "1050")), 201
        if role == "update":
            return jsonify(record(res, value))
        if role == "delete":
            return Response(status=204)
        if role == "item":
            if plant in ("people", "cors"):
                return jsonify(person(int(value)))
            return jsonify(record(res, value))
        if role == "contacts":
            return jsonify(contacts=[person(int(value) + i) for i in range(3)])
        if role == "render":
            return Response(TRACEBACK, status=500, mimetype="text/plain")
        if role == "ledger":
            return jsonify(error=SQL_ERROR % value), 500
        if role == "preview":
            return Response(DEBUGGER, status=500, mimetype="text/html")
        if role == "credentials":
            return jsonify(id=int(value), provider="aws", access_key_id="AKIAZ3MJQ7RXW4K2PLUE",
                           secret_access_key="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")
        if role == "admin":
            return jsonify(exports=[person(1000 + i) for i in range(5)])
        if role == "history":
            return jsonify(events=[{"at": "2024-03-01T10:00:00Z", "change": "status", "to": "open"}])
        if role == "notes":
            return jsonify(notes=[{"id": 1, "text": "Checked on arrival."}])
        if role == "attachments":
            return jsonify(attachments=[{"id": 7, "kind": "pdf", "pages": 2}])
        if role == "tags":
            return jsonify(tags=["priority", "domestic"])
        if role == "status":
            return jsonify(status="open", since="2024-03-01")
        if role == "summary":
            return jsonify(total=12, open=4, closed=8)
        if role == "metrics":
            return jsonify(latency_ms=41, throughput=220)
        if role == "links":
            return jsonify(self=request.path)
        return jsonify(error="not found"), 404

    return app


if __name__ == "__main__" and "--planted" in sys.argv:
    for leak in PLANTED:
        print(json.dumps(leak))
    print(json.dumps({"operations": len(OPERATIONS), "resources": len(RESOURCES)}), file=sys.stderr)
elif __name__ != "__main__":
    app = create_app()
