"""A target whose every answer carries terminal control characters: backspace, ESC CSI and OSC
sequences (clear screen, retitle the window), C1 CSI U+009B, DEL and a bidi override, in JSON keys and
values, header values, link paths, an error page and an exposed `.env`. It also leaks for real (SSNs,
e-mails, a traceback, the `.env`), so findings with evidence quote those characters."""
from flask import Flask, Response, jsonify

app = Flask(__name__)

# Every control a hostile answer could use against the terminal that reads the report.
EVIL = "\x08\x08\x1b[2J\x1b]0;pwned\x07\u009b31m\x7f\r\u202e"
# The same without `]`, which ends the bracketed parts of a SQL error a finding quotes.
CSI = "\x08\x1b[2J\u009b31m\x7f"


@app.after_request
def banners(response):
    # Header values travel as Latin-1 and HTTP allows bytes 0x80-0xFF in them: C1 CSI is the control
    # a header can carry (C0 and DEL make the whole answer unparseable).
    response.headers["X-Powered-By"] = "Evil\u009b2JFramework/1.2.3"
    return response


@app.get("/")
def index():
    return jsonify(links=["/api/users", "/api/crash", "/api/orders", f"/api/notes{EVIL}"])


@app.get("/openapi.json")
def spec():
    # Paths and titles from a spec are target text too.
    return jsonify(
        openapi="3.0.3",
        info={"title": f"Orders{EVIL}", "version": "1.0"},
        paths={
            "/api/users": {"get": {"summary": f"users{EVIL}", "responses": {"200": {"description": "ok"}}}},
            "/api/orders": {"get": {"responses": {"200": {"description": f"ok{EVIL}"}}}},
            f"/api/notes{EVIL}": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
    )


@app.get("/api/orders")
def orders():
    # A SQL error page: its statement and bound parameters are quoted in the finding's evidence.
    body = (
        f"sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such column: x{EVIL}\n"
        f"[SQL: SELECT id, total FROM orders WHERE note = '{CSI}' AND owner = ?]\n"
        f"[parameters: ('{CSI}', 'carol.white@corpmail.io')]\n"
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)\n"
    )
    return Response(body, 500, {"Content-Type": "text/plain"})


@app.get("/api/users")
def users():
    return jsonify(
        [
            {"id": 1, f"e{EVIL}mail": "alice.smith@corpmail.io", f"ssn{EVIL}": "219-09-9999", "bio": EVIL},
            {"id": 2, f"e{EVIL}mail": "bob.jones@corpmail.io", f"ssn{EVIL}": "078-61-2345", "bio": EVIL},
        ]
    )


@app.get("/api/crash")
def crash():
    body = (
        "Traceback (most recent call last):\n"
        f'  File "/srv/app/views{EVIL}.py", line 42, in crash\n'
        "    total = 1 / 0\n"
        f"ZeroDivisionError: division by zero {EVIL}\n"
    )
    return Response(body, 500, {"Content-Type": "text/plain"})


@app.get("/.env")
def dotenv():
    body = f"APP_ENV=production\nDB_PASSWORD=Tr0ub4dor{EVIL}x9q\nSECRET_KEY=k7Hq2Lm9Xz4Pw8Rt\n"
    return Response(body, 200, {"Content-Type": "application/octet-stream"})


@app.errorhandler(404)
def not_found(_error):
    return Response(f"no such page {EVIL}", 404, {"Content-Type": "text/plain"})
