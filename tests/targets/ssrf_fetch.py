"""`linkcards`, a link-preview service: `GET /api/preview?url=…` fetches whatever URL it is given with
`urllib` (any host, any port, even `file://`) and returns what came back, and `POST /api/webhooks`
registers a callback URL and pings it from a background thread to "verify" it. Both are server-side
request forgery: the caller chooses where the server connects.

`/__test__/fetches` lists every URL the server tried to fetch (test bookkeeping, linked nowhere).
"""
import json
import re
import threading
import urllib.request

from flask import Blueprint, Flask, jsonify, request

FETCH_TIMEOUT = 3
MAX_BODY = 64 * 1024

_fetch_lock = threading.Lock()
FETCHES: list[str] = []

WEBHOOKS = [{"id": 1, "callback_url": "https://hooks.partner.example/linkcards", "events": ["card.created"]}]


def fetch(url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    with _fetch_lock:
        FETCHES.append(url)
    req = urllib.request.Request(url, data=data, headers={"User-Agent": "linkcards/2.3"})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT) as upstream:
        status = getattr(upstream, "status", None) or 200
        return status, upstream.headers.get("Content-Type", ""), upstream.read(MAX_BODY)


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/preview")
def preview():
    url = request.args.get("url", "")
    if not url:
        return jsonify(error="url is required"), 400
    try:
        status, content_type, body = fetch(url)
    except ValueError:
        return jsonify(error="not a URL"), 400
    except OSError:
        return jsonify(error="could not fetch the page"), 502
    text = body.decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    return jsonify(url=url, status=status, content_type=content_type, title=title.group(1).strip() if title else None, body=text[:4096])


@api.get("/webhooks")
def list_webhooks():
    return jsonify(webhooks=WEBHOOKS)


@api.post("/webhooks")
def register_webhook():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("callback_url"), str):
        return jsonify(error="callback_url is required"), 400
    hook = {"id": len(WEBHOOKS) + 1, "callback_url": body["callback_url"], "events": body.get("events") or ["card.created"]}
    WEBHOOKS.append(hook)

    def verify():
        try:
            fetch(hook["callback_url"], data=json.dumps({"type": "webhook.verify", "id": hook["id"]}).encode())
        except (ValueError, OSError):
            pass

    threading.Thread(target=verify, daemon=True).start()
    return jsonify(hook), 201


app = Flask(__name__)
app.register_blueprint(api)


@app.get("/")
def index():
    return jsonify(service="linkcards", version="2.3", links={"preview": "/api/preview", "webhooks": "/api/webhooks"})


@app.get("/__test__/fetches")
def fetches():
    with _fetch_lock:
        return jsonify(list(FETCHES))


@app.errorhandler(404)
def not_found(_e):
    return jsonify(error="not found"), 404
