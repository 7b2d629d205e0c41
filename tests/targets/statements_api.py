"""Ridgeline Credit Union's member API (Flask): accounts and monthly statements.

Members call it with a personal access token (`Authorization: Bearer rcu_pat_…`). `GET /api/me` is
the member's profile, `GET /api/accounts` lists the member's accounts with links to their
statements, and `GET /api/statements?account_id=5001` returns a statement: holder, e-mail, IBAN and
the month's transactions.

The bug: the statements view looks the account up by the query parameter and never checks that it
belongs to the caller, so any member reads any member's statements by changing `account_id`. The
hardened twin (`statements_hardened`) answers 404 for an account that is not the caller's, and
shows the IBAN masked.

`GET /api/statements/regenerate?account_id=` rebuilds an account's statement from scratch and
empties it until the nightly job runs: a state-changing GET (the accounts list links it) that no
default scan may ever call.
"""
from functools import wraps

from flask import Flask, abort, g, jsonify, request

TOKENS = {
    "rcu_pat_alice_5Jd8Qm2Xv7Lp": 1,
    "rcu_pat_bob_9Tz4Wc1Nh6Rk": 2,
    "rcu_pat_chen_3Gy7Ks5Bf1Vq": 3,
}

MEMBERS = {
    1: {"member_id": 1, "name": "Alice Moreau", "email": "alice.moreau@proton.me", "member_since": "2019-04-02"},
    2: {"member_id": 2, "name": "Bob Lindqvist", "email": "b.lindqvist@fastmail.com", "member_since": "2021-11-15"},
    3: {"member_id": 3, "name": "Chen Wei", "email": "chen.wei@posteo.net", "member_since": "2016-01-20"},
}

ACCOUNTS = {
    5001: {"member_id": 1, "nickname": "Everyday", "iban": "FR9252601815908301661318609"},
    5002: {"member_id": 2, "nickname": "Checking", "iban": "DE46935181909378657975"},
    5003: {"member_id": 1, "nickname": "Rainy day", "iban": "FR8213909960308246281948219"},
    5004: {"member_id": 3, "nickname": "Joint", "iban": "DE47432319487574911862"},
}

TRANSACTIONS = {
    5001: [("2026-11-03", "Rent November", "-1250.00"), ("2026-11-05", "Salary ACME SAS", "3410.55")],
    5002: [("2026-11-02", "Systembolaget", "-48.20"), ("2026-11-28", "Payroll Nordlys AB", "2980.00")],
    5003: [("2026-11-30", "Transfer from Everyday", "200.00")],
    5004: [("2026-11-12", "Grocer", "-86.10")],
}


def mask(iban: str) -> str:
    """`FR76 •••• 0189`: what the member's own statement needs to recognise the account."""
    return f"{iban[:4]} •••• {iban[-4:]}"


def create_app(check_owner: bool) -> Flask:
    app = Flask(__name__)
    transactions = {k: list(v) for k, v in TRANSACTIONS.items()}

    def member_required(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            member = TOKENS.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
            if member is None:
                return jsonify(error="authentication required"), 401
            g.member_id = member
            return view(*args, **kwargs)

        return wrapped

    def account_from_query():
        raw = request.args.get("account_id", "")
        if not raw.isdigit():
            abort(400, description="account_id is required")
        account = ACCOUNTS.get(int(raw))
        if account is None or (check_owner and account["member_id"] != g.member_id):
            abort(404, description="no such account")
        return int(raw), account

    @app.errorhandler(400)
    @app.errorhandler(404)
    def error(e):
        return jsonify(error=e.description if hasattr(e, "description") else "not found"), e.code

    @app.get("/")
    def index():
        return jsonify(service="ridgeline-members", version="3.4.1", docs="/api/me")

    @app.get("/api/me")
    @member_required
    def me():
        return jsonify(MEMBERS[g.member_id])

    @app.get("/api/accounts")
    @member_required
    def accounts():
        mine = [
            {
                "account_id": number,
                "nickname": account["nickname"],
                "statements": f"/api/statements?account_id={number}",
                "regenerate": f"/api/statements/regenerate?account_id={number}",
            }
            for number, account in ACCOUNTS.items()
            if account["member_id"] == g.member_id
        ]
        return jsonify(accounts=mine)

    @app.get("/api/statements")
    @member_required
    def statements():
        number, account = account_from_query()
        holder = MEMBERS[account["member_id"]]
        return jsonify(
            account_id=number,
            period="2026-11",
            holder=holder["name"],
            email=holder["email"],
            iban=mask(account["iban"]) if check_owner else account["iban"],
            transactions=[{"date": d, "description": t, "amount": a} for d, t, a in transactions[number]],
        )

    @app.get("/api/statements/regenerate")
    @member_required
    def regenerate():
        number, _ = account_from_query()
        transactions[number] = []
        return jsonify(status="regenerating", account_id=number)

    return app


app = create_app(check_owner=False)
