"""The hardened twin of the CRM targets: same routes, every remediation applied.

Debug off, converters and validation on every input, allow-listed fields, a generic error handler,
`hide_parameters` on the engine, and no version banner (it would sit behind a proxy).
"""
from flask import Blueprint, Flask, abort, jsonify, request
from sqlalchemy import select

from crm_models import Order, User, db, init_db

HIDE_SERVER_VERSION = True

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/users")
def list_users():
    return jsonify([u.to_public_dict() for u in User.query.all()])


@api.get("/users/<int(max=2147483647):user_id>")
def get_user(user_id):
    return jsonify(db.get_or_404(User, user_id).to_public_dict())


@api.get("/users/<int(max=2147483647):user_id>/orders")
def user_orders(user_id):
    user = db.get_or_404(User, user_id)
    limit = request.args.get("limit", 10, type=int)
    if limit is None or not 1 <= limit <= 100:
        abort(400)
    rows = db.session.execute(select(Order.id, Order.total, Order.status).where(Order.user_email == user.email).limit(limit))
    return jsonify([dict(r._mapping) for r in rows])


@api.get("/orders/<int(max=2147483647):order_id>")
def get_order(order_id):
    order = db.get_or_404(Order, order_id)
    return jsonify(id=order.id, total=order.total, status=order.status)


@api.route("/feedback", methods=["GET", "POST"])
def feedback():
    if request.method == "GET":
        return jsonify(info="POST your feedback as JSON")
    payload = request.get_json(silent=True)
    if payload is None:
        abort(400)
    return jsonify(received=len(payload))


@api.get("/health")
def health():
    return jsonify(status="ok")


app = Flask(__name__)
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True}
init_db(app)
app.register_blueprint(api)


@app.errorhandler(Exception)
def handle_error(e):
    code = getattr(e, "code", 500) if isinstance(getattr(e, "code", None), int) else 500
    app.logger.exception("request failed") if code >= 500 else None
    return jsonify(error="bad request" if code < 500 else "internal error"), code


@app.get("/")
def index():
    return jsonify(links=["/api/users", "/api/users/1", "/api/users/1/orders?limit=5", "/api/orders/1001", "/api/feedback", "/api/health"])
