"""A members directory with no throttling anywhere: the e-mail lookup behind the sign-up form answers
as fast as it is asked (account enumeration), the login takes any number of wrong passwords
(credential stuffing), and `?limit=` returns as many members as requested although the spec says
100 at most (the whole table with contact details in one request)."""
import secrets

from flask import Blueprint, Flask, jsonify, request
from werkzeug.security import check_password_hash

from ratelimit_common import DEFAULT_PAGE, OPENAPI, Member, db, seed

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/users")
def list_users():
    limit = request.args.get("limit", DEFAULT_PAGE, type=int)
    offset = request.args.get("offset", 0, type=int)
    members = Member.query.order_by(Member.id).offset(offset).limit(limit).all()
    return jsonify(data=[m.profile() for m in members], limit=limit, offset=offset)


@api.get("/users/<int:user_id>")
def get_user(user_id):
    return jsonify(db.get_or_404(Member, user_id).profile())


@api.get("/users/lookup")
def lookup():
    email = request.args.get("email", "").strip().lower()
    if not email:
        return jsonify(error="email is required"), 400
    member = Member.query.filter_by(email=email).first()
    if member is None:
        return jsonify(exists=False)
    return jsonify(exists=True, user=member.profile())


@api.post("/login")
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
