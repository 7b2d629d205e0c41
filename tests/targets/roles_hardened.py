"""The hardened twin of `roles_api`: same routes, same users and tokens, every fix applied.

Ownership checks on objects (another member's profile is a 404, as if it did not exist), an admin
role check in the view for every admin route (whatever the method, so HEAD is covered too), no
method-override tunnel, an allow-list of updatable fields, and responses that serialise exactly
what the OpenAPI document declares.
"""
import os
import tempfile
from functools import wraps

from flask import Blueprint, Flask, Response, abort, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

HIDE_SERVER_VERSION = True

TOKENS = {
    "alice-token-7Hq2xR9kLm4pW3": 1,
    "bob-token-Vn3s8Jd2QwZ6tY": 2,
    "carol-token-Pz5t1Yc8Rb0eKu": 3,
}

PUBLIC_FIELDS = ("id", "username", "name", "email", "phone", "role")
UPDATABLE_FIELDS = {"name", "phone"}


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

    def to_public_dict(self):
        return {field: getattr(self, field) for field in PUBLIC_FIELDS}


SEED = [
    dict(id=1, username="alice", name="Alice Moreau", email="alice.moreau@proton.me", phone="+1 312-555-0187",
         ssn="524-71-3386", date_of_birth="1988-04-12", role="user", balance=120.5, password="$2b$12$hidden"),
    dict(id=2, username="bob", name="Bob Okafor", email="bob.okafor@fastmail.com", phone="+1 646-555-0142",
         ssn="371-44-9052", date_of_birth="1979-11-02", role="user", balance=8.0, password="$2b$12$hidden"),
    dict(id=3, username="carol", name="Carol Nguyen", email="carol.nguyen@posteo.net", phone="+1 206-555-0163",
         ssn="603-18-2274", date_of_birth="1984-06-30", role="admin", is_admin=True, balance=0.0, password="$2b$12$hidden"),
    dict(id=4, username="dave", name="Dave Lindqvist", email="dave.lindqvist@mailbox.org", phone="+1 503-555-0110",
         ssn="451-83-6610", date_of_birth="1991-01-23", role="user", balance=42.0, password="$2b$12$hidden"),
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


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/health")
def health():
    return jsonify(status="ok")


@api.get("/profile")
@login_required
def get_profile():
    return jsonify(g.user.to_public_dict())


@api.patch("/profile")
@login_required
def update_profile():
    payload = request.get_json()
    if not isinstance(payload, dict):
        abort(400)
    for key in UPDATABLE_FIELDS & payload.keys():
        setattr(g.user, key, str(payload[key])[:80])
    db.session.commit()
    return jsonify(g.user.to_public_dict())


@api.get("/members/featured")
def featured_members():
    return jsonify([{"id": u.id, "username": u.username, "name": u.name}
                    for u in User.query.filter(User.id.in_([2, 4])).order_by(User.id)])


@api.get("/users/<int:user_id>")
@login_required
def get_user(user_id):
    if user_id != g.user.id and g.user.role != "admin":
        abort(404)  # not 403: whether a member id exists is nobody else's business
    return jsonify(db.get_or_404(User, user_id).to_public_dict())


admin = Blueprint("admin", __name__, url_prefix="/api/admin")


@admin.get("/users")
@admin_required
def list_users():
    return jsonify([u.to_public_dict() for u in User.query.order_by(User.id)])


@admin.delete("/users/<int:user_id>")
@admin_required
def delete_user(user_id):
    user = db.get_or_404(User, user_id)
    db.session.delete(user)
    db.session.commit()
    return "", 204


@admin.get("/export")
@admin_required
def export_users():
    lines = ["id,name,email"] + [f"{u.id},{u.name},{u.email}" for u in User.query.order_by(User.id)]
    return Response("\n".join(lines) + "\n", mimetype="text/csv")


@admin.get("/stats")
@admin_required
def stats():
    users = User.query.all()
    return jsonify(users=len(users), admins=sum(u.is_admin for u in users))


@admin.get("/audit")
@admin_required
def audit():
    return jsonify([{"at": "2026-11-20T09:12:44Z", "actor": "carol", "action": "role.grant", "target": "dave"}])


internal = Blueprint("internal", __name__, url_prefix="/internal")


@internal.get("/metrics")
@admin_required
def metrics():
    return jsonify(members=User.query.count(), queue_depth=3, workers=4)


def openapi():
    user = {
        "type": "object",
        "additionalProperties": False,
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
        "info": {"title": "Members API", "version": "1.5.0"},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": user,
                "ProfileUpdate": {"type": "object", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}}},
                "Stats": {"type": "object", "properties": {"users": {"type": "integer"}, "admins": {"type": "integer"}}},
                "AuditEntry": {"type": "object", "properties": {
                    "at": {"type": "string"}, "actor": {"type": "string"}, "action": {"type": "string"}, "target": {"type": "string"}}},
            },
        },
        "security": bearer,
        "paths": {
            "/api/health": {"get": {"security": [], "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}}}}},
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
                "responses": {"200": {"description": "members", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
                        "id": {"type": "integer"}, "username": {"type": "string"}, "name": {"type": "string"}}}}}}}}}},
            "/api/users/{user_id}": {"get": {
                "summary": "A member's profile (the caller's own, or any for admins)",
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
            "/api/admin/stats": {"get": {"tags": ["admin"], "summary": "Membership statistics (admin only)", "responses": {
                "200": {"description": "stats", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}}}},
            "/api/admin/audit": {"get": {"tags": ["admin"], "summary": "Audit log (admin only)", "responses": {
                "200": {"description": "entries", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}}}}}}},
        },
    }


def create_app():
    app = Flask(__name__)
    db_dir = tempfile.mkdtemp(prefix="roles-hardened-")
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
        return jsonify({u.username: {"role": u.role, "is_admin": u.is_admin, "balance": u.balance}
                        for u in User.query.order_by(User.id)})

    for code, message in [(400, "bad request"), (401, "login required"), (403, "forbidden"), (404, "not found"),
                          (405, "method not allowed")]:
        app.register_error_handler(code, lambda _e, c=code, m=message: (jsonify(error=m), c))
    return app


app = create_app()
