"""The hardened twin of `ssrf_fetch`: the same `linkcards` API, but every URL, for previews and for
webhook callbacks alike, must be `https://partner.invalid/…` (scheme, exact host, default port, no
credentials); anything else is refused with 400 before any connection is made. Nothing is fetched
that is not on the allow-list.

`/__test__/fetches` lists every URL the server tried to fetch (test bookkeeping, linked nowhere).
"""
import json
import re
import threading
import urllib.request

from urllib.parse import urlsplit

from flask import Blueprint, Flask, jsonify, request

HIDE_SERVER_VERSION = True
ALLOWED_HOSTS = {"partner.invalid"}
FETCH_TIMEOUT = 3
MAX_BODY = 64 * 1024

_fetch_lock = threading.Lock()
FETCHES: list[str] = []

WEBHOOKS = [{"id": 1, "callback_url": "https://partner.invalid/linkcards", "events": ["card.created"]}]


def allowed(url: str) -> bool:
    """Only https to an allow-listed host on the default port; parsed, never pattern-matched."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "https" and parts.hostname in ALLOWED_HOSTS and port in (None, 443) and not parts.username


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
    if not allowed(url):
        return jsonify(error="url not allowed"), 400
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
    if not allowed(body["callback_url"]):
        return jsonify(error="callback_url not allowed"), 400
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
