"""The clean twin of `stockroom_api`: the same stock API, with the maintenance functions done right.

Resetting the data and flushing the cache are POST operations behind an admin bearer token, and
the landing page offers them as POST forms, not links. A GET to either path is a 405.
"""
import hmac
import os

from flask import abort, jsonify, request

from stockroom_api import create_app

HIDE_SERVER_VERSION = True

ADMIN_TOKEN = os.environ.get("STOCKROOM_ADMIN_TOKEN", "stockroom-admin-Qe7rT2wZ9pL4")

MAINTENANCE_FORMS = """<div class="maintenance"><h2>Maintenance (administrators)</h2>
  <form method="post" action="/api/admin/reset-db"><button>Reset demo data</button></form>
  <form method="post" action="/api/cache/flush"><button>Flush lookup cache</button></form>
</div>"""

app, STORE = create_app(MAINTENANCE_FORMS)


def require_admin():
    auth = request.headers.get("Authorization", "")
    token = auth[7:] if auth.startswith("Bearer ") else ""
    if not hmac.compare_digest(token, ADMIN_TOKEN):
        abort(401)


@app.post("/api/admin/reset-db")
def reset_db():
    require_admin()
    deleted = STORE.reset()
    return jsonify({"status": "database reset", "deleted_items": deleted})


@app.post("/api/cache/flush")
def flush_cache():
    require_admin()
    STORE.flush()
    return jsonify({"status": "flushed"})
