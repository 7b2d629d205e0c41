"""A CRM API run with the Werkzeug debugger on (`app.run(debug=True)`), serialising whole models.

Leaks: the interactive debugger (tracebacks on bad ids, /console), every user column in /api/users.
"""
from flask import Blueprint, Flask, jsonify

from crm_models import User, db, init_db

USE_DEBUGGER = True

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/users")
def list_users():
    return jsonify([u.to_dict() for u in User.query.all()])


@api.get("/users/<user_id>")
def get_user(user_id):
    user = db.session.get(User, int(user_id))  # ValueError on "abc" → debugger page
    if user is None:
        return jsonify(error="no such user"), 404
    return jsonify(user.to_dict())


@api.get("/health")
def health():
    return jsonify(status="ok")


app = Flask(__name__)
app.debug = True
init_db(app)
app.register_blueprint(api)


@app.get("/")
def index():
    return jsonify(service="crm", links=["/api/users", "/api/users/1", "/api/health"])
