"""A loyalty-programme API on FastAPI with the generated docs switched off (`docs_url=None`,
`openapi_url=None`) and a hand-written developer page instead, as teams do when they do not want to
publish their schema. Nothing links to the endpoints; only the page's text names them, with JSON
examples.

The leak: `GET /api/v2/members/{member_id}` returns the whole member row, SSN and date of birth
included (the page only shows the harmless fields). `LOYALTY_PUBLIC_FIELDS=1` is the fix: a
response model with the public fields only.
"""
import os
from datetime import date
from typing import Optional

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

PUBLIC_ONLY = os.environ.get("LOYALTY_PUBLIC_FIELDS") == "1"

app = FastAPI(title="Northwind Loyalty", docs_url=None, redoc_url=None, openapi_url=None)


class Member(BaseModel):
    id: int
    full_name: str
    email: str
    phone: str
    ssn: str
    date_of_birth: date
    tier: str
    points: int


class PublicMember(BaseModel):
    id: int
    tier: str
    points: int


class Redemption(BaseModel):
    member_id: int
    reward_sku: str
    quantity: int = 1
    note: Optional[str] = None


MEMBERS = {
    1: Member(id=1, full_name="Olivia Chen", email="olivia.chen@protonmail.com", phone="+1 646-555-0113",
              ssn="512-48-7391", date_of_birth=date(1986, 3, 14), tier="gold", points=18250),
    2: Member(id=2, full_name="Samuel Okafor", email="sam.okafor@gmail.com", phone="+1 713-555-0176",
              ssn="431-72-9056", date_of_birth=date(1991, 11, 2), tier="silver", points=4120),
}
REWARDS = [{"sku": "RW-COFFEE", "points": 900}, {"sku": "RW-LOUNGE", "points": 12000}]

DEVELOPERS = """<!doctype html>
<html><head><meta charset="utf-8"><title>Northwind Loyalty API — Developer guide</title></head>
<body>
<h1>Northwind Loyalty API v2</h1>
<p>All requests and responses are JSON. Authentication is not required on the staging host.</p>

<h2>Rewards</h2>
<h3><span class="verb">GET</span> <code>/api/v2/rewards</code></h3>
<p>The reward catalogue.</p>
<pre>[{"sku": "RW-COFFEE", "points": 900}]</pre>

<h2>Members</h2>
<h3><span class="verb">GET</span> <code>/api/v2/members/{member_id}</code></h3>
<p>A member's tier and balance.</p>
<pre>{"id": 1, "tier": "gold", "points": 18250}</pre>

<h3><span class="verb">POST</span> <code>/api/v2/redemptions</code></h3>
<p>Redeem points for a reward. Request body:</p>
<pre>{"member_id": 1, "reward_sku": "RW-COFFEE", "quantity": 1, "note": "birthday"}</pre>
<p>Response: <code>201 Created</code></p>
<pre>{"redemption_id": 77, "points_left": 17350}</pre>
</body></html>"""


@app.get("/")
def service_info():
    return {"service": "northwind-loyalty", "version": "2.4.1", "status": "ok"}


@app.get("/developers", response_class=HTMLResponse)
def developers():
    return DEVELOPERS


@app.get("/api/v2/rewards")
def rewards():
    return REWARDS


@app.get("/api/v2/members/{member_id}")
def member(member_id: int):
    found = MEMBERS.get(member_id)
    if found is None:
        raise HTTPException(status_code=404, detail="member not found")
    if PUBLIC_ONLY:
        return PublicMember(**found.model_dump())
    return found


@app.post("/api/v2/redemptions", status_code=201)
def redeem(redemption: Redemption):
    member = MEMBERS.get(redemption.member_id)
    if member is None:
        raise HTTPException(status_code=404, detail="member not found")
    cost = next((r["points"] for r in REWARDS if r["sku"] == redemption.reward_sku), None)
    if cost is None or cost * redemption.quantity > member.points:
        raise HTTPException(status_code=422, detail="cannot redeem")
    return {"redemption_id": 77, "points_left": member.points - cost * redemption.quantity}
