"""Acme HR's personnel service (FastAPI), deployed behind the company's API gateway.

The OpenAPI document FastAPI serves at `/openapi.json` names the production gateway as its only
server — `https://api.acme-hr.example/v1`, where the gateway strips `/v1` before forwarding — so
every documented path (`/personnel/records/{record_id}`) is served at the app's root here, not
under `/v1`. A scanner that trusts `servers` requests `/v1/personnel/…` and finds nothing.

The leak: `GET /personnel/records/{record_id}` answers without credentials with the employee's
full record (SSN, home address, phone, private e-mail). The directory (`/personnel/records`) lists
only names and departments. PERSONNEL_MASKED=1 is the fixed release: the record is a directory
card (name, department, work e-mail) and nothing personal.
"""
import os

from fastapi import FastAPI, HTTPException

MASKED = os.environ.get("PERSONNEL_MASKED") == "1"

app = FastAPI(
    title="Acme HR personnel",
    version="3.2.1",
    servers=[{"url": "https://api.acme-hr.example/v1", "description": "Production gateway"}],
)

RECORDS = {
    "E-20931": {
        "record_id": "E-20931",
        "name": "Ines Carvalho",
        "department": "Finance",
        "work_email": "i.carvalho@acme-hr.example",
        "private_email": "ines.carvalho@posteo.pt",
        "phone": "+351 912 345 678",
        "ssn": "524-71-3386",
        "home_address": "Rua das Flores 12, 4050-262 Porto",
    },
    "E-20944": {
        "record_id": "E-20944",
        "name": "Daniel Brooks",
        "department": "Logistics",
        "work_email": "d.brooks@acme-hr.example",
        "private_email": "dbrooks77@fastmail.com",
        "phone": "+1 415 555 0142",
        "ssn": "219-09-9999",
        "home_address": "1458 Alder Street, Eugene, OR 97401",
    },
}

CARD = ("record_id", "name", "department", "work_email")


@app.get("/personnel/records")
def directory():
    return [{"record_id": r["record_id"], "name": r["name"], "department": r["department"]} for r in RECORDS.values()]


@app.get("/personnel/records/{record_id}")
def record(record_id: str):
    found = RECORDS.get(record_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such record")
    return {k: found[k] for k in CARD} if MASKED else found
