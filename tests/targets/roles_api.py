"""A members API with users and an admin role, and the authorization mistakes such APIs ship with.

- `GET /api/users/<id>` checks that the caller is logged in, never that the profile is theirs (BOLA),
  and serialises every column: SSN, date of birth, the password hash, the balance.
- The admin blueprint's list and export views only have `@login_required` (any user gets them);
  `/api/admin/stats` has no decorator at all.
- An API-gateway layer enforces rules per *method* (admin only: `GET /api/admin/audit`,
  `DELETE /api/admin/users/<id>`; any valid token: `GET /internal/metrics`, listed in robots.txt),
  and the app honours `X-HTTP-Method-Override` behind it: HEAD walks past the GET rules, and
  `POST` + `X-HTTP-Method-Override: DELETE` past the DELETE rule.
- `PATCH /api/profile` copies every field of the JSON body onto the user (mass assignment).
- The public `GET /api/members/featured` (the landing page's "meet our members") uses the same
  serialiser: hashes and SSNs for anybody.
- The OpenAPI document declares a `password` that is writeOnly (returned anyway) and does not
  declare `ssn`, `date_of_birth`, `is_admin` or `balance`.

Bearer tokens are fixed strings (tests pass them as identities). Every person is synthetic.
"""
import os
import tempfile
from functools import wraps

from flask import Blueprint, Flask, Response, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

TOKENS = {
    "alice-token-7Hq2xR9kLm4pW3": 1,
    "bob-token-Vn3s8Jd2QwZ6tY": 2,
    "carol-token-Pz5t1Yc8Rb0eKu": 3,
}


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(40), unique=True, nullable=False)
    name = db.Column(db.String(80), nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    phone = db.Column(db.String(40))
    ssn = db.Column(db.String(11))
    date_of_birth = db.Column(db.String(10))
    password = db.Column(db.String(80))
    role = db.Column(db.String(20), nullable=False, default="user")
    is_admin = db.Column(db.Boolean, nullable=False, default=False)
    balance = db.Column(db.Float, nullable=False, default=0.0)

    def to_dict(self):
        # Every column, as the first version of the API did and nobody revisited.
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}


SEED = [
    dict(id=1, username="alice", name="Alice Moreau", email="alice.moreau@proton.me", phone="+1 312-555-0187",
         ssn="524-71-3386", date_of_birth="1988-04-12", role="user", balance=120.5,
         password="$2b$12$Qm8xL2vT9pR4nS6kW1yZ3uHcF5gJ7dE0aB2cN4mV6xK8lP1oR3sT5u"),
    dict(id=2, username="bob", name="Bob Okafor", email="bob.okafor@fastmail.com", phone="+1 646-555-0142",
         ssn="371-44-9052", date_of_birth="1979-11-02", role="user", balance=8.0,
         password="$2b$12$Zx1cV3bN5mA7sD9fG2hJ4kL6qW8eR0tY2uI4oP6aS8dF0gH2jK4lZ"),
    dict(id=3, username="carol", name="Carol Nguyen", email="carol.nguyen@posteo.net", phone="+1 206-555-0163",
         ssn="603-18-2274", date_of_birth="1984-06-30", role="admin", is_admin=True, balance=0.0,
         password="$2b$12$Lk9jH7gF5dS3aP1oI9uY7tR5eW3qZ1xC9vB7nM5lK3jH1gF9dS7aP"),
    dict(id=4, username="dave", name="Dave Lindqvist", email="dave.lindqvist@mailbox.org", phone="+1 503-555-0110",
         ssn="451-83-6610", date_of_birth="1991-01-23", role="user", balance=42.0,
         password="$2b$12$Mn2bV4cX6zL8kJ0hG2fD4sA6pO8iU0yT2rE4wQ6aZ8xS0dC2fV4gB"),
]


def current_user():
    auth = request.headers.get("Authorization", "")
    token = auth[7:] if auth.startswith("Bearer ") else ""
    user_id = TOKENS.get(token)
    return db.session.get(User, user_id) if user_id else None


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user = current_user()
        if g.user is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapper


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/health")
def health():
    return jsonify(status="ok")


@api.get("/profile")
@login_required
def get_profile():
    return jsonify(g.user.to_dict())


@api.patch("/profile")
@login_required
def update_profile():
    payload = request.get_json()
    if not isinstance(payload, dict):
        abort(400)
    # "The form only sends name and phone anyway."
    for key, value in payload.items():
        if key != "id" and hasattr(User, key):
            setattr(g.user, key, value)
    db.session.commit()
    return jsonify(g.user.to_dict())


@api.get("/members/featured")
def featured_members():
    return jsonify([u.to_dict() for u in User.query.filter(User.id.in_([2, 4])).order_by(User.id)])


@api.get("/users/<int:user_id>")
@login_required
def get_user(user_id):
    return jsonify(db.get_or_404(User, user_id).to_dict())


admin = Blueprint("admin", __name__, url_prefix="/api/admin")


@admin.get("/users")
@login_required
def list_users():
    return jsonify([u.to_dict() for u in User.query.order_by(User.id)])


@admin.delete("/users/<int:user_id>")
@login_required
def delete_user(user_id):
    # Admin-only by the gateway rule below; nothing here checks the role.
    user = db.get_or_404(User, user_id)
    db.session.delete(user)
    db.session.commit()
    return "", 204


@admin.get("/export")
@login_required
def export_users():
    lines = ["id,name,email,phone,ssn,date_of_birth"]
    lines += [f"{u.id},{u.name},{u.email},{u.phone},{u.ssn},{u.date_of_birth}" for u in User.query.order_by(User.id)]
    return Response("\n".join(lines) + "\n", mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=users.csv"})


@admin.get("/stats")
def stats():
    users = User.query.all()
    return jsonify(users=len(users), admins=sum(u.is_admin for u in users),
                   total_balance=round(sum(u.balance for u in users), 2),
                   newest_member={"username": users[-1].username, "email": users[-1].email})


@admin.get("/audit")
@login_required
def audit():
    return jsonify([
        {"at": "2026-11-20T09:12:44Z", "actor": "carol", "action": "role.grant", "target": "dave", "ip": "203.0.113.41"},
        {"at": "2026-11-21T16:03:10Z", "actor": "carol", "action": "export.users", "target": "*", "ip": "203.0.113.41"},
    ])


internal = Blueprint("internal", __name__, url_prefix="/internal")


@internal.get("/metrics")
def metrics():
    # "The gateway only lets logged-in staff through."
    users = User.query.all()
    return jsonify(members=len(users), db_path=db.engine.url.database, queue_depth=3, workers=4,
                   last_signup={"username": users[-1].username, "email": users[-1].email})


class MethodOverride:
    """Lets HTML forms and old proxies tunnel PUT/PATCH/DELETE through POST (the classic snippet)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        method = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").upper()
        if environ["REQUEST_METHOD"] == "POST" and method in {"GET", "PUT", "PATCH", "DELETE"}:
            environ["REQUEST_METHOD"] = method
        return self.app(environ, start_response)


class AdminGateway:
    """What the API gateway enforces in front of the app: admin-only rules, written per method."""

    ADMIN_RULES = [("GET", "/api/admin/audit"), ("DELETE", "/api/admin/users/")]
    LOGIN_RULES = [("GET", "/internal/")]

    def __init__(self, app, flask_app):
        self.app = app
        self.flask_app = flask_app

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        admin_only = any(method == m and path.startswith(p) for m, p in self.ADMIN_RULES)
        login_only = any(method == m and path.startswith(p) for m, p in self.LOGIN_RULES)
        if admin_only or login_only:
            token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
            with self.flask_app.app_context():
                user = db.session.get(User, TOKENS.get(token, 0))
                role = user.role if user is not None else None
            if role is None:
                start_response("401 UNAUTHORIZED", [("Content-Type", "application/json")])
                return [b'{"error": "login required"}']
            if admin_only and role != "admin":
                start_response("403 FORBIDDEN", [("Content-Type", "application/json")])
                return [b'{"error": "admin role required"}']
        return self.app(environ, start_response)


def openapi():
    user = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "phone": {"type": "string"},
            "role": {"type": "string", "readOnly": True},
            "password": {"type": "string", "writeOnly": True, "description": "Set on sign-up only"},
        },
    }
    bearer = [{"bearerAuth": []}]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Members API", "version": "1.4.0"},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": user,
                "ProfileUpdate": {"type": "object", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}}},
                "Stats": {"type": "object", "properties": {"users": {"type": "integer"}, "admins": {"type": "integer"}}},
            },
        },
        "security": bearer,
        "paths": {
            "/api/health": {"get": {"security": [], "responses": {"200": {"description": "ok"}}}},
            "/api/profile": {
                "get": {"summary": "The caller's profile", "responses": {"200": {"description": "profile", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}},
                "patch": {"summary": "Update the caller's name or phone",
                          "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProfileUpdate"}}}},
                          "responses": {"200": {"description": "profile", "content": {
                              "application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}},
            },
            "/api/members/featured": {"get": {
                "summary": "Members shown on the landing page", "security": [],
                "responses": {"200": {"description": "members", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}}}}},
            "/api/users/{user_id}": {"get": {
                "summary": "A member's profile",
                "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "example": 1}}],
                "responses": {"200": {"description": "profile", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}},
            }},
            "/api/admin/users": {"get": {"tags": ["admin"], "summary": "List every member (admin only)", "responses": {
                "200": {"description": "members", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}}}}},
            "/api/admin/users/{user_id}": {"delete": {
                "tags": ["admin"], "summary": "Delete a member (admin only)",
                "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "deleted"}}}},
            "/api/admin/export": {"get": {"tags": ["admin"], "summary": "CSV export of members (admin only)",
                                          "responses": {"200": {"description": "CSV"}}}},
            "/api/admin/stats": {"get": {"tags": ["admin"], "summary": "Membership statistics", "responses": {
                "200": {"description": "stats", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}}}},
            "/api/admin/audit": {"get": {"tags": ["admin"], "summary": "Audit log (admin only)",
                                         "responses": {"200": {"description": "entries"}}}},
        },
    }


def create_app():
    app = Flask(__name__)
    db_dir = tempfile.mkdtemp(prefix="roles-api-")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.path.join(db_dir, 'members.db')}"
    db.init_app(app)
    with app.app_context():
        db.create_all()
        for row in SEED:
            db.session.add(User(**row))
        db.session.commit()
    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.register_blueprint(internal)

    @app.get("/")
    def index():
        return jsonify(service="members-api", docs="/openapi.json", health="/api/health")

    @app.get("/robots.txt")
    def robots():
        return Response("User-agent: *\nDisallow: /api/admin/\nDisallow: /internal/metrics\n", mimetype="text/plain")

    @app.get("/openapi.json")
    def spec():
        return jsonify(openapi())

    @app.get("/__test__/state")
    def test_state():
        # Test bookkeeping (not part of the API): what the scan may have changed.
        return jsonify({u.username: {"role": u.role, "is_admin": u.is_admin, "balance": u.balance}
                        for u in User.query.order_by(User.id)})

    @app.errorhandler(400)
    def bad_request(_):
        return jsonify(error="bad request"), 400

    @app.errorhandler(401)
    def unauthorized(_):
        return jsonify(error="login required"), 401

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def method_not_allowed(_):
        return jsonify(error="method not allowed"), 405

    app.wsgi_app = AdminGateway(MethodOverride(app.wsgi_app), app)
    return app


app = create_app()
