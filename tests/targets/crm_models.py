"""Models and seed data shared by the CRM targets (leaky and hardened). All people are synthetic."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    email = db.Column(db.String(120), unique=True, nullable=False)
    phone = db.Column(db.String(40))
    ssn = db.Column(db.String(11))
    card_number = db.Column(db.String(19))
    password_hash = db.Column(db.String(128))
    internal_notes = db.Column(db.String(200))

    def to_dict(self):
        """Every column: the careless serialiser the seeds warn about."""
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}

    def to_public_dict(self):
        return {"id": self.id, "name": self.name}


class Order(db.Model):
    __tablename__ = "orders"
    id = db.Column(db.Integer, primary_key=True)
    user_email = db.Column(db.String(120), nullable=False)
    total = db.Column(db.String(12))
    status = db.Column(db.String(20))


USERS = [
    dict(id=1, name="Maria Lopez", email="maria.lopez@fastmail.fm", phone="+1 415-555-0132", ssn="536-22-8410",
         card_number="4539148803436467", password_hash="$2b$12$KIXQJ8m1u0x0Jc7sYwq4eO1Yk1r8N0v7Q9bq3ZQ8m1u0x0Jc7sYw",
         internal_notes="VIP, prefers phone"),
    dict(id=2, name="Tom Becker", email="t.becker@posteo.de", phone="+49 30 901820", ssn="412-67-2291",
         card_number="5425233430109903", password_hash="$2b$12$Vh3mY8kq2aJ9sL1dP0eRfuQ7wX4zT6bN5cM2vK8jH1gF3dS9aZ0y",
         internal_notes="chargeback 2024"),
]


def init_db(app):
    """An in-memory SQLite database with the seed rows, bound to `app`."""
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # One shared in-memory database for every thread of the threaded dev server.
    from sqlalchemy.pool import StaticPool

    app.config["SQLALCHEMY_ENGINE_OPTIONS"].update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    db.init_app(app)
    with app.app_context():
        db.create_all()
        for u in USERS:
            db.session.add(User(**u))
        db.session.add(Order(id=1001, user_email=USERS[0]["email"], total="129.90", status="shipped"))
        db.session.add(Order(id=1002, user_email=USERS[1]["email"], total="15.00", status="open"))
        db.session.commit()
