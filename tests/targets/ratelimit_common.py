"""The members directory behind `ratelimit_open` and `ratelimit_guarded`: a SQLAlchemy model, 300
synthetic members, and the OpenAPI document both publish (the way flask-smorest would).

Only throttling, page-size capping and how much of a member they show differ between the two.
"""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase
from werkzeug.security import generate_password_hash


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

MEMBER_COUNT = 300
DEFAULT_PAGE = 25

FIRST = ["Maria", "Tom", "Aisha", "Li", "Tomas", "Grace", "Omar", "Ingrid", "Kenji", "Priya", "Lucas", "Zofia"]
LAST = ["Lopez", "Becker", "Bello", "Wen", "Rivera", "Okafor", "Haddad", "Lind", "Sato", "Raman", "Moreau", "Nowak"]
DOMAINS = ["fastmail.fm", "posteo.de", "proton.me", "gmx.net", "outlook.com", "mailbox.org"]


class Member(db.Model):
    __tablename__ = "members"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    phone = db.Column(db.String(40))
    city = db.Column(db.String(40))
    joined = db.Column(db.String(10))
    password_hash = db.Column(db.String(200))

    def profile(self):
        return {"id": self.id, "name": self.name, "email": self.email, "phone": self.phone, "city": self.city}

    def public(self):
        """What the hardened directory shows: a handle, never contact details."""
        return {"id": self.id, "handle": f"member-{self.id}", "joined": self.joined}


def seed(app, password="correct horse battery staple"):
    """An in-memory SQLite database with MEMBER_COUNT members, bound to `app`."""
    from sqlalchemy.pool import StaticPool

    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    # One shared in-memory database for every thread of the threaded dev server.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    db.init_app(app)
    # Hashing is slow on purpose; only the first few members ever log in in these tests.
    known_hash = generate_password_hash(password)
    with app.app_context():
        db.create_all()
        for i in range(1, MEMBER_COUNT + 1):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            db.session.add(
                Member(
                    id=i,
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}{i}@{DOMAINS[i % len(DOMAINS)]}",
                    phone=f"+1 415 555 {i % 10000:04d}",
                    city=["Portland", "Austin", "Denver", "Boston"][i % 4],
                    joined=f"20{18 + i % 6}-0{1 + i % 9}-1{i % 10}",
                    password_hash=known_hash if i <= 3 else None,
                )
            )
        db.session.commit()


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "members", "version": "1.4.0"},
    "paths": {
        "/api/users": {
            "get": {
                "summary": "List members",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": DEFAULT_PAGE, "maximum": 100}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}},
                ],
            }
        },
        "/api/users/{user_id}": {
            "get": {
                "summary": "One member",
                "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer", "example": 7}}],
            }
        },
        "/api/users/lookup": {
            "get": {
                "summary": "Is this e-mail address registered? (sign-up form)",
                "parameters": [
                    {"name": "email", "in": "query", "required": True, "schema": {"type": "string", "example": "jane.doe@example.com"}}
                ],
            }
        },
        "/api/login": {
            "post": {
                "summary": "Exchange e-mail and password for a session token",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}
                        }
                    }
                },
            }
        },
    },
}
