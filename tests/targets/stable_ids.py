"""A fixed API whose findings have pinned ids (tests/finding_ids.rs): a version in `X-Powered-By`
and in a Basic-auth realm (the version comes from BANNER_VERSION, so one target can be its own
upgraded twin), personal data in a response, a traceback and an exposed `.env`."""
import os

from flask import Flask, Response, jsonify

app = Flask(__name__)

VERSION = os.environ.get("BANNER_VERSION", "3.0.1")


@app.after_request
def banners(response):
    response.headers["X-Powered-By"] = f"Flask/{VERSION}"
    return response


@app.get("/")
def index():
    return jsonify(links=["/api/customers", "/api/report", "/admin"])


@app.get("/admin")
def admin():
    return Response("login required", 401, {"WWW-Authenticate": f'Basic realm="staging-admin v{VERSION}"'})


@app.get("/api/customers")
def customers():
    return jsonify(
        [
            {"id": 1, "email": "dana.reyes@mailbox.io", "ssn": "219-09-9999"},
            {"id": 2, "email": "lee.chang@mailbox.io", "ssn": "078-61-2345"},
        ]
    )


@app.get("/api/report")
def report():
    body = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/report.py", line 12, in report\n'
        "    total = 1 / 0\n"
        "ZeroDivisionError: division by zero\n"
    )
    return Response(body, 500, {"Content-Type": "text/plain"})


@app.get("/.env")
def dotenv():
    return Response("APP_ENV=production\nDB_PASSWORD=Tr0ub4dor3x9q\n", 200, {"Content-Type": "application/octet-stream"})
