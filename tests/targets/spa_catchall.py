"""A single-page app that answers 200 with the same index.html for every path, `/.env` included.

Nothing here is a leak: a scanner that reports files or endpoints from this catch-all cries wolf.
"""
from flask import Flask

# Served the way a production SPA is (behind a proxy, no dev-server banner): only the catch-all
# behaviour is under test.
HIDE_SERVER_VERSION = True

app = Flask(__name__, static_folder=None)

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>Acme Dashboard</title>
<script type="module" src="/assets/index-4f2a9c.js"></script></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>
"""


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def catch_all(path: str):
    return INDEX, 200, {"Content-Type": "text/html; charset=utf-8"}
