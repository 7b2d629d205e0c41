"""A catch-all that answers 200 for every path and echoes the path back in the page.

Its body length changes with the URL, so a fixed-body comparison is not enough to see the soft-404.
"""
from html import escape

from flask import Flask, request

# Served the way a production SPA is (behind a proxy, no dev-server banner): only the catch-all
# behaviour is under test.
HIDE_SERVER_VERSION = True

app = Flask(__name__, static_folder=None)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def catch_all(path: str):
    shown = escape(request.path)
    page = (
        "<!doctype html><html><head><title>Portal</title></head><body>"
        f"<p>Loading {shown} …</p><a href=\"{shown}\">retry</a></body></html>"
    )
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}
