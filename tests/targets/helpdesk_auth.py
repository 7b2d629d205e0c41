"""A Flask helpdesk API with a JSON login that concatenates the username into its SQL.

`POST /api/auth/login {"username", "password"}` (described in the OpenAPI document the app serves
at /openapi.json) runs a raw `text()` query built with an f-string; database errors are caught by
a JSON error handler that says only "internal error", so the injection is quiet: `x' OR 1=1-- `
logs in as the first user. Tickets need the bearer token the login hands out.

HELPDESK_SAFE=1 is the fixed release: the same query with bound parameters, and the login
throttled per client with `RateLimit-*` headers (the clean twin).
"""
import hashlib
import os
import secrets
import threading
import time
from functools import wraps

from flask import Blueprint, Flask, g, jsonify, make_response, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

SAFE = os.environ.get("HELPDESK_SAFE") == "1"
HIDE_SERVER_VERSION = True

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///:memory:"
db = SQLAlchemy(app)

SESSIONS: dict[str, int] = {}


def digest(password: str) -> str:
    return hashlib.sha256(("helpdesk-salt:" + password).encode()).hexdigest()


class Agent(db.Model):
    __tablename__ = "agents"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(64), nullable=False)
    role = db.Column(db.String(20), default="agent")


class Ticket(db.Model):
    __tablename__ = "tickets"
    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(200))
    status = db.Column(db.String(20))
    assignee_id = db.Column(db.Integer, db.ForeignKey("agents.id"))


with app.app_context():
    db.create_all()
    db.session.add_all(
        [
            Agent(username="hk.admin", password_hash=digest("W1nter-is-coming!"), role="admin"),
            Agent(username="j.okafor", password_hash=digest("Tr0mbone-Pasta"), role="agent"),
            Ticket(subject="Printer on floor 3 jams", status="open", assignee_id=2),
            Ticket(subject="VPN drops every hour", status="pending", assignee_id=2),
        ]
    )
    db.session.commit()


def find_agent(username: str, password: str):
    if SAFE:
        stmt = text("SELECT id, username, role FROM agents WHERE username = :u AND password_hash = :p")
        return db.session.execute(stmt, {"u": username, "p": digest(password)}).first()
    # Legacy query from the PHP days, ported as it was.
    stmt = text(
        f"SELECT id, username, role FROM agents WHERE username = '{username}' "
        f"AND password_hash = '{digest(password)}'"
    )
    return db.session.execute(stmt).first()


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        agent_id = SESSIONS.get(header.removeprefix("Bearer ").strip())
        if agent_id is None:
            return jsonify(error="authentication required"), 401
        g.agent_id = agent_id
        return view(*args, **kwargs)

    return wrapped


LOGIN_LIMIT = 120  # per client and minute: generous for people, a wall for scripts
_attempts: dict[tuple[str, int], int] = {}
_attempts_lock = threading.Lock()


def throttled(view):
    """Fixed-window throttle with IETF RateLimit headers (what Flask-Limiter does), fixed release only."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not SAFE:
            return view(*args, **kwargs)
        window = int(time.time() // 60)
        with _attempts_lock:
            count = _attempts.get((request.remote_addr, window), 0) + 1
            _attempts[(request.remote_addr, window)] = count
        if count > LOGIN_LIMIT:
            response = make_response(jsonify(error="too many login attempts"), 429)
            response.headers["Retry-After"] = "60"
        else:
            response = make_response(view(*args, **kwargs))
        response.headers["RateLimit-Limit"] = str(LOGIN_LIMIT)
        response.headers["RateLimit-Remaining"] = str(max(LOGIN_LIMIT - count, 0))
        return response

    return wrapped


auth = Blueprint("auth", __name__, url_prefix="/api/auth")
tickets = Blueprint("tickets", __name__, url_prefix="/api/tickets")


@auth.post("/login")
@throttled
def login():
    body = request.get_json(silent=True) or {}
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return jsonify(error="username and password are required"), 400
    agent = find_agent(username, password)
    if agent is None:
        return jsonify(error="invalid username or password"), 401
    token = secrets.token_urlsafe(24)
    SESSIONS[token] = agent.id
    return jsonify(access_token=token, token_type="bearer", expires_in=3600, role=agent.role)


@tickets.get("")
@login_required
def list_tickets():
    rows = Ticket.query.filter_by(assignee_id=g.agent_id).all()
    return jsonify(items=[{"id": t.id, "subject": t.subject, "status": t.status} for t in rows])


app.register_blueprint(auth)
app.register_blueprint(tickets)


@app.errorhandler(SQLAlchemyError)
def database_error(exc):
    db.session.rollback()
    app.logger.exception("database error")
    return jsonify(error="internal error"), 500


@app.get("/api/health")
def health():
    return jsonify(status="ok")


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Helpdesk API", "version": "1.4.0"},
    "paths": {
        "/api/auth/login": {
            "post": {
                "summary": "Exchange agent credentials for a bearer token",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["username", "password"],
                                "properties": {
                                    "username": {"type": "string", "example": "j.okafor"},
                                    "password": {"type": "string", "format": "password"},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "token"}, "401": {"description": "bad credentials"}},
            }
        },
        "/api/tickets": {
            "get": {"summary": "Tickets assigned to the caller", "security": [{"bearer": []}],
                    "responses": {"200": {"description": "tickets"}}}
        },
        "/api/health": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}


@app.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
