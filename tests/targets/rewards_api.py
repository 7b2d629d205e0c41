"""Brightleaf Rewards (Flask): the loyalty programme's member API.

Members sign in with `POST /api/session {"email", "password"}`; the answer carries an opaque session
token and the member's card: `{"token": "…", "member": {"member_number": "BL-40217", …}}`. The app
keeps the member number from that answer and calls `GET /api/members/<member_number>/card` (name,
e-mail, phone, birthday, points) and `GET /api/members/<member_number>/vouchers`. There is no `/me`
and no member list: the sign-in answer is the only place a member number is given out. The API is
described at `/openapi.json`.

The bug: the card and voucher views check that the caller is signed in, not that the member number
is theirs. The hardened twin (`rewards_hardened`) answers 404 for anyone else's number.
"""
import secrets
from functools import wraps

from flask import Flask, abort, g, jsonify, request

MEMBERS = {
    "BL-40217": {
        "member_number": "BL-40217",
        "first_name": "Maren",
        "last_name": "Okafor",
        "email": "maren.okafor@posteo.de",
        "phone": "+49 151 23948817",
        "birthday": "1988-07-14",
        "points": 4120,
        "password": "Maren-Leaf-0714",
    },
    "BL-40388": {
        "member_number": "BL-40388",
        "first_name": "Tobias",
        "last_name": "Hale",
        "email": "tobias.hale@fastmail.com",
        "phone": "+44 7700 900431",
        "birthday": "1979-02-03",
        "points": 880,
        "password": "Tobias-Leaf-0203",
    },
}

VOUCHERS = {
    "BL-40217": [{"code": "SPRING-5", "value": "5.00", "expires": "2027-03-31"}],
    "BL-40388": [{"code": "WELCOME-10", "value": "10.00", "expires": "2027-01-15"}],
}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Brightleaf Rewards", "version": "2.4.0"},
    "paths": {
        "/api/session": {
            "post": {
                "summary": "Sign in",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["email", "password"],
                                "properties": {"email": {"type": "string", "format": "email"}, "password": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "A session token and the member's card"}},
            }
        },
        "/api/members/{member_number}/card": {
            "get": {
                "summary": "The member's rewards card",
                "parameters": [{"name": "member_number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The card"}, "404": {"description": "No such member"}},
            }
        },
        "/api/members/{member_number}/vouchers": {
            "get": {
                "summary": "The member's vouchers",
                "parameters": [{"name": "member_number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Vouchers"}},
            }
        },
    },
}


def card(member: dict) -> dict:
    return {k: v for k, v in member.items() if k != "password"}


def create_app(check_owner: bool) -> Flask:
    app = Flask(__name__)
    sessions: dict[str, str] = {}

    def signed_in(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if token not in sessions:
                return jsonify(error="sign in first"), 401
            g.member_number = sessions[token]
            return view(*args, **kwargs)

        return wrapped

    def member_or_404(member_number: str) -> dict:
        member = MEMBERS.get(member_number)
        if member is None or (check_owner and member_number != g.member_number):
            abort(404)
        return member

    @app.get("/")
    def home():
        return jsonify(service="Brightleaf Rewards API", docs="/openapi.json")

    @app.get("/openapi.json")
    def spec():
        return jsonify(SPEC)

    @app.post("/api/session")
    def sign_in():
        body = request.get_json(silent=True) or {}
        email = str(body.get("email", "")).lower()
        member = next((m for m in MEMBERS.values() if m["email"] == email), None)
        if member is None or member["password"] != body.get("password"):
            return jsonify(error="email or password is wrong"), 401
        token = secrets.token_urlsafe(24)
        sessions[token] = member["member_number"]
        return jsonify(token=token, member=card(member))

    @app.get("/api/members/<member_number>/card")
    @signed_in
    def member_card(member_number):
        return jsonify(card(member_or_404(member_number)))

    @app.get("/api/members/<member_number>/vouchers")
    @signed_in
    def vouchers(member_number):
        member_or_404(member_number)
        return jsonify(vouchers=VOUCHERS.get(member_number, []))

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    return app


app = create_app(check_owner=False)
