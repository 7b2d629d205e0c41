"""The hardened twin of `ratelimit_open`: the same members directory and spec, but every route is
throttled per client (fixed window, IETF `RateLimit-*` headers on every answer, 429 with
`Retry-After` once the window is spent), `?limit=` is capped at 100, and members are shown by handle,
never with contact details. Limits are generous enough that one scan never reaches them."""
import secrets
import threading
import time
from functools import wraps

from flask import Blueprint, Flask, jsonify, make_response, request
from werkzeug.security import check_password_hash

from ratelimit_common import DEFAULT_PAGE, OPENAPI, Member, db, seed

HIDE_SERVER_VERSION = True
MAX_PAGE = 100
WINDOW_SECONDS = 10


class FixedWindow:
    """Counts requests per (route, client) in fixed windows, as Flask-Limiter's memory storage does."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple, int] = {}

    def hit(self, key: tuple, limit: int) -> tuple[bool, int, int]:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reset = int((window + 1) * WINDOW_SECONDS - now) + 1
        with self._lock:
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return count <= limit, max(limit - count, 0), reset


_windows = FixedWindow()


def rate_limited(limit: int):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            allowed, remaining, reset = _windows.hit((request.endpoint, request.remote_addr), limit)
            if allowed:
                response = make_response(view(*args, **kwargs))
            else:
                response = make_response(jsonify(error="too many requests"), 429)
                response.headers["Retry-After"] = str(reset)
            response.headers["RateLimit-Limit"] = str(limit)
            response.headers["RateLimit-Remaining"] = str(remaining)
            response.headers["RateLimit-Reset"] = str(reset)
            return response

        return wrapper

    return decorate


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/users")
@rate_limited(60)
def list_users():
    limit = min(max(request.args.get("limit", DEFAULT_PAGE, type=int), 1), MAX_PAGE)
    offset = max(request.args.get("offset", 0, type=int), 0)
    members = Member.query.order_by(Member.id).offset(offset).limit(limit).all()
    return jsonify(data=[m.public() for m in members], limit=limit, offset=offset)


# Bounded like the column: an id SQLite cannot hold is a 404, not an OverflowError.
@api.get("/users/<int(max=2147483647):user_id>")
@rate_limited(60)
def get_user(user_id):
    return jsonify(db.get_or_404(Member, user_id).public())


@api.get("/users/lookup")
@rate_limited(15)
def lookup():
    email = request.args.get("email", "").strip().lower()
    if not email:
        return jsonify(error="email is required"), 400
    return jsonify(exists=Member.query.filter_by(email=email).first() is not None)


@api.post("/login")
@rate_limited(5)
def login():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("email") or not body.get("password"):
        return jsonify(error="email and password are required"), 400
    member = Member.query.filter_by(email=str(body["email"]).lower()).first()
    if member is None or not member.password_hash or not check_password_hash(member.password_hash, str(body["password"])):
        return jsonify(error="invalid credentials"), 401
    return jsonify(token=secrets.token_urlsafe(24))


app = Flask(__name__)
app.register_blueprint(api)
seed(app)


@app.get("/")
def index():
    return jsonify(service="members", docs="/openapi.json")


@app.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@app.errorhandler(404)
def not_found(_e):
    return jsonify(error="not found"), 404


@app.errorhandler(405)
def method_not_allowed(_e):
    return jsonify(error="method not allowed"), 405
