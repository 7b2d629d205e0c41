"""A customer portal: an HTML front page, API docs served with swagger-ui, a minified app bundle,
the signed-in customer's own profile at /api/me, a health check and an ops diagnostics page.

Nothing here leaks: the swagger-ui bundle and the app bundle are code (their `password:` and
`apiKey:` are expressions), /api/me shows callers their own record, and the diagnostics page lists
only harmless environment variables. With PORTAL_LEAKY=1 the same app makes the two mistakes that
do leak: /api/me returns every customer, and diagnostics dumps the whole environment, secrets
included."""
import os
from functools import wraps

from flask import Flask, abort, g, jsonify, render_template_string, request, send_from_directory

LEAKY = os.environ.get("PORTAL_LEAKY") == "1"
# The clean portal runs behind a proxy that hides the Werkzeug banner (serve.py reads this), as the
# other clean twins do: the precision set must stay at zero medium+ without exceptions.
HIDE_SERVER_VERSION = not LEAKY
STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "precision_static")

app = Flask(__name__, static_folder=None)

CUSTOMERS = {
    "tok-dana-7f3e9a1c5b": {
        "id": 1042, "username": "dana", "email": "dana.whitfield@fastmail.fm", "first_name": "Dana",
        "last_name": "Whitfield", "display_name": "Dana W.", "locale": "en-GB", "plan": "business",
    },
    "tok-omar-2b8d4e6f0a": {
        "id": 1043, "username": "omar", "email": "omar.haddad@proton.me", "first_name": "Omar",
        "last_name": "Haddad", "display_name": "Omar H.", "locale": "fr-FR", "plan": "starter",
    },
    "tok-ines-9c1a3e5d7f": {
        "id": 1044, "username": "ines", "email": "ines.costa@gmx.net", "first_name": "Inês",
        "last_name": "Costa", "display_name": "Inês C.", "locale": "pt-PT", "plan": "business",
    },
}

# What a container usually has; the clean diagnostics page shows only these.
SAFE_ENV = {"PWD": "/srv/portal", "OLDPWD": "/srv", "HOME": "/home/portal", "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "TZ": "UTC", "HOSTNAME": "portal-7c9f8d", "PYTHON_VERSION": "3.11.7"}
SECRET_ENV = {"DATABASE_URL": "postgresql://portal:Vq7!rT2mLx9p@db.internal:5432/portal",
              "AWS_ACCESS_KEY_ID": "AKIAZ3MHQ7XW2LJ4PBNR", "AWS_SECRET_ACCESS_KEY": "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"}

INDEX = """<!doctype html>
<html><head><title>Northwind customer portal</title><script defer src="/static/js/main.3f9a1c.js"></script></head>
<body><div id="root"></div>
<nav><a href="/docs">API documentation</a> · <a href="/health">status</a> · <a href="/ops/diagnostics">diagnostics</a></nav>
</body></html>"""

DOCS = """<!doctype html>
<html><head><title>Portal API</title><link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Portal API", "version": "1.4.0"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/api/me": {"get": {"summary": "The signed-in customer's profile", "security": [{"bearer": []}],
                            "responses": {"200": {"description": "profile"}}}},
        "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
    },
}


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        customer = CUSTOMERS.get(auth.removeprefix("Bearer ").strip())
        if customer is None:
            return jsonify(error="authentication required"), 401
        g.customer = customer
        return view(*args, **kwargs)
    return wrapper


@app.errorhandler(404)
def not_found(_):
    return jsonify(error="not found"), 404


@app.get("/")
def index():
    return render_template_string(INDEX)


@app.get("/docs")
def docs():
    return render_template_string(DOCS)


@app.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@app.get("/static/<path:name>")
def static_files(name):
    if name.endswith(".css"):
        return app.response_class("#swagger-ui{font-family:sans-serif}", mimetype="text/css")
    return send_from_directory(STATIC, name, mimetype="application/javascript")


@app.get("/api/me")
@signed_in
def me():
    if LEAKY:
        # The classic slip: the list query of the admin screen reused for the profile page.
        return jsonify(list(CUSTOMERS.values()))
    return jsonify(g.customer)


@app.get("/health")
def health():
    # The load balancer's check goes through a different middleware that stamps its version.
    response = jsonify(status="ok")
    response.headers["X-Powered-By"] = "portal-healthcheck/2.3.1"
    return response


@app.get("/ops/diagnostics")
def diagnostics():
    env = {**SAFE_ENV, **SECRET_ENV} if LEAKY else SAFE_ENV
    return jsonify(service="portal", version="1.4.0", workers=4, env=env)
