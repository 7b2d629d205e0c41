"""A profile service on DynamoDB (single-table design), boto3 against moto's in-process mock.

`GET /profiles/<user_id>` takes any valid API key and returns the whole item: the table keys
(`PK`, `SK`, `GSI1PK`), the SSN, the password hash, the MFA seed and the support notes, for any
user id — no ownership check, no projection. `GET /me` shows what a careful endpoint looks like.

`create_app(hardened=True)` (served with `DYNAMO_PROFILES_HARDENED=1`) is the fixed twin: the caller's own
profile only, read with a `ProjectionExpression` of the public attributes.

moto's `mock_aws` is started at import, so every boto3 call in this process goes to the in-memory
mock; no request ever leaves the machine. Every person is synthetic.
"""
import hashlib
import os
from decimal import Decimal
from functools import wraps

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from flask import Flask, abort, g, jsonify, request  # noqa: E402
from flask.json.provider import DefaultJSONProvider  # noqa: E402
from moto import mock_aws  # noqa: E402

HIDE_SERVER_VERSION = os.environ.get("DYNAMO_PROFILES_HARDENED") == "1"

_mock = mock_aws()
_mock.start()

TABLE = "profiles-app"

USERS = [
    {"user_id": "3f9c2b1e-8d4a-4c6f-9b2e-1a7d5e3c9f01", "email": "priya.raman@fastmail.com", "full_name": "Priya Raman",
     "ssn": "287-65-4093", "date_of_birth": "1990-03-14", "phone": "+1 617-555-0175",
     "password_hash": "$2b$12$9sDkR4mW7xQ2vL5pN8tY1uE3hJ6gF0cB4aZ7xC1vN3mK5lP8oI2uY",
     "mfa_secret": "JBSWY3DPEHPK3PXPQ7RZ2LMN", "plan": "pro", "support_notes": "called about chargeback",
     "api_key": "pk_live_priya_4TgY8hQ2mZ6rW1vN"},
    {"user_id": "a72e4d90-5b1c-4f3e-8a6d-2c9b7e1f4a55", "email": "jonas.weber@posteo.de", "full_name": "Jonas Weber",
     "ssn": "318-42-7716", "date_of_birth": "1985-09-27", "phone": "+1 415-555-0121",
     "password_hash": "$2b$12$3hJ6gF0cB4aZ7xC1vN3mK5lP8oI2uY9sDkR4mW7xQ2vL5pN8tY1uE",
     "mfa_secret": "KRSXG5CTMVRXEZLUKN2XAZLS", "plan": "free", "support_notes": "",
     "api_key": "pk_live_jonas_9KdP3sX7bV2nQ5wE"},
    {"user_id": "c0d1e2f3-a4b5-4c6d-8e7f-901a2b3c4d5e", "email": "mei.tanaka@mailbox.org", "full_name": "Mei Tanaka",
     "ssn": "459-21-8830", "date_of_birth": "1978-12-05", "phone": "+1 206-555-0158",
     "password_hash": "$2b$12$N3mK5lP8oI2uY9sDkR4mW7xQ2vL5pN8tY1uE3hJ6gF0cB4aZ7xC1v",
     "mfa_secret": "MFRGGZDFMZTWQ2LKNNWG23TP", "plan": "team", "support_notes": "VIP",
     "api_key": "pk_live_mei_6RfT1yU8iO3pA5sD"},
]

PUBLIC_ATTRIBUTES = ["user_id", "full_name", "plan"]


def projection(attributes):
    """ProjectionExpression arguments; names go through placeholders (`plan` is a reserved word)."""
    names = {f"#a{i}": a for i, a in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def seed(table):
    with table.batch_writer() as batch:
        for u in USERS:
            item = {k: v for k, v in u.items() if k != "api_key"}
            batch.put_item(Item={
                "PK": f"USER#{u['user_id']}", "SK": "PROFILE", "GSI1PK": f"EMAIL#{u['email']}",
                "entity": "user", "created_at": "2025-02-11T10:24:00Z", "login_count": Decimal(17), **item,
            })
            batch.put_item(Item={"PK": f"APIKEY#{key_hash(u['api_key'])}", "SK": "APIKEY", "user_id": u["user_id"]})


def create_table():
    dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
    table = dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    seed(table)
    return table


class DynamoJSON(DefaultJSONProvider):
    """boto3 returns numbers as Decimal."""

    @staticmethod
    def default(o):
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return DefaultJSONProvider.default(o)


def create_app(hardened: bool = False) -> Flask:
    app = Flask(__name__)
    app.json = DynamoJSON(app)
    table = create_table()

    def api_key_required(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get("X-Api-Key", "")
            found = table.get_item(Key={"PK": f"APIKEY#{key_hash(key)}", "SK": "APIKEY"}).get("Item") if key else None
            if found is None:
                abort(401)
            g.user_id = found["user_id"]
            return view(*args, **kwargs)

        return wrapper

    @app.get("/")
    def index():
        return jsonify(service="profiles", links={"me": "/me", "health": "/health"})

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/me")
    @api_key_required
    def me():
        item = table.get_item(Key={"PK": f"USER#{g.user_id}", "SK": "PROFILE"}, **projection(PUBLIC_ATTRIBUTES))["Item"]
        return jsonify(user_id=item["user_id"], display_name=item["full_name"], plan=item["plan"],
                       links={"profile": f"/profiles/{item['user_id']}"})

    @app.get("/profiles/<user_id>")
    @api_key_required
    def profile(user_id):
        if hardened:
            if user_id != g.user_id:
                abort(404)
            item = table.get_item(Key={"PK": f"USER#{user_id}", "SK": "PROFILE"},
                                  **projection(PUBLIC_ATTRIBUTES + ["email"])).get("Item")
        else:
            # The whole item, for whoever asks: "the frontend only shows the name anyway".
            item = table.get_item(Key={"PK": f"USER#{user_id}", "SK": "PROFILE"}).get("Item")
        if item is None:
            abort(404)
        return jsonify(item)

    @app.errorhandler(401)
    def unauthorized(_):
        return jsonify(error="missing or invalid API key"), 401

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def method_not_allowed(_):
        return jsonify(error="method not allowed"), 405

    return app


app = create_app(hardened=HIDE_SERVER_VERSION)
