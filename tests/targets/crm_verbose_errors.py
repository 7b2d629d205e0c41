"""A CRM API with debug off but an error handler that returns `str(e)` to the client.

Leaks: SQLAlchemy errors with the statement and bound parameters (a customer's e-mail) on a bad
`limit`, Python tracebacks on bad ids, and 5xx on malformed JSON.
"""
import json
import traceback

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import text

from crm_models import Order, User, db, init_db

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/users/<int:user_id>/orders")
def user_orders(user_id):
    user = db.get_or_404(User, user_id)
    limit = request.args.get("limit", "10")
    rows = db.session.execute(
        text("SELECT id, total, status FROM orders WHERE user_email = :email LIMIT :limit"),
        {"email": user.email, "limit": limit},
    )
    return jsonify([dict(r._mapping) for r in rows])


@api.get("/orders/<order_id>")
def get_order(order_id):
    order = db.session.get(Order, int(order_id))
    if order is None:
        return jsonify(error="no such order"), 404
    return jsonify(id=order.id, total=order.total, status=order.status)


@api.route("/feedback", methods=["GET", "POST"])
def feedback():
    if request.method == "GET":
        return jsonify(info="POST your feedback as JSON")
    payload = json.loads(request.data)  # malformed JSON → 500
    return jsonify(received=len(payload))


app = Flask(__name__)
init_db(app)
app.register_blueprint(api)


@app.errorhandler(Exception)
def handle_error(e):
    # The anti-pattern: the exception text (and here the whole trace) goes to the client.
    if hasattr(e, "code") and isinstance(getattr(e, "code"), int) and e.code < 500:
        return jsonify(error=str(e)), e.code
    return jsonify(error=str(e), trace=traceback.format_exc()), 500


@app.get("/")
def index():
    return jsonify(links=["/api/users/1/orders?limit=5", "/api/orders/1001", "/api/feedback"])
