"""A generated warehouse/ERP API on FastAPI: 50 resources, four read operations each (list, detail,
history, notes), 200 GET operations in its OpenAPI document, the way code generators and CRUD
scaffolding build them (one router factory, registered in a loop).

Almost everything is catalogue data: bins, carriers, SKUs, tax rates. The one leak is the staff
roster of a picking zone, `GET /api/zones/{zone_id}/roster`: payroll records with SSNs, e-mails and
phone numbers. It is the last operation alphabetically, so a scanner that probes the first N
endpoints in order never reaches it. Its spec declares the sensitive fields (`ssn`), as generated
specs do.

`WAREHOUSE_STAFF_MASKED=1` is the fixed twin: the roster carries badges, roles and shifts only.
"""
import os
import random
from datetime import date, timedelta
from typing import List, Optional

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query
from pydantic import BaseModel

MASKED = os.environ.get("WAREHOUSE_STAFF_MASKED") == "1"

app = FastAPI(title="Northwind Logistics WMS", version="4.12.0")

# Entities of the warehouse domain, as the generator's config lists them. `zones` is last: its
# routers are registered last and sort last.
RESOURCES = [
    "adjustments", "allocations", "bins", "brands", "carriers", "categories", "cost-centers",
    "countries", "currencies", "customs-codes", "cycle-counts", "dock-doors", "freight-classes",
    "gl-accounts", "hazmat-classes", "incoterms", "inventory-lots", "item-groups", "kits", "labels",
    "locations", "manufacturers", "packaging-types", "pallets", "payment-terms", "pick-lists",
    "price-lists", "production-orders", "products", "purchase-orders", "putaway-rules",
    "quality-checks", "receipts", "replenishment-rules", "return-reasons", "routes",
    "sales-channels", "serial-numbers", "shipments", "shipping-methods", "skus", "stock-levels",
    "suppliers", "tax-rates", "transfer-orders", "units-of-measure", "variants", "vehicles",
    "work-orders", "zones",
]
STATUSES = ["active", "active", "active", "draft", "archived"]
PER_RESOURCE = 25


class Record(BaseModel):
    id: int
    code: str
    name: str
    status: str
    updated_on: date


class RecordPage(BaseModel):
    items: List[Record]
    total: int
    limit: int
    offset: int


class HistoryEntry(BaseModel):
    version: int
    field: str
    changed_on: date


class Note(BaseModel):
    id: int
    text: str
    created_on: date


class StaffMember(BaseModel):
    """The roster as the HR export table has it: everything, payroll fields included."""

    employee_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    ssn: str
    role: str
    shift: str


class StaffBadge(BaseModel):
    badge: str
    role: str
    shift: str


def generate(resource: str) -> List[Record]:
    rng = random.Random(resource)
    prefix = "".join(part[0] for part in resource.split("-")).upper()
    start = date(2024, 1, 1)
    return [
        Record(
            id=i,
            code=f"{prefix}-{1000 + i}",
            name=f"{resource.replace('-', ' ').title()} {rng.choice('ABCDEFGH')}{i}",
            status=rng.choice(STATUSES),
            updated_on=start + timedelta(days=rng.randrange(600)),
        )
        for i in range(1, PER_RESOURCE + 1)
    ]


def resource_router(resource: str) -> APIRouter:
    """The generated CRUD-read router of one entity."""
    singular = resource.replace("-", "_").rstrip("s")
    param = f"{singular}_id"
    records = {r.id: r for r in generate(resource)}
    router = APIRouter(prefix=f"/api/{resource}", tags=[resource])

    def find(record_id: int) -> Record:
        record = records.get(record_id)
        if record is None:
            raise HTTPException(status_code=404, detail=f"{singular} not found")
        return record

    @router.get("", response_model=RecordPage, operation_id=f"list_{singular}")
    def list_records(limit: int = Query(25, ge=1, le=100), offset: int = Query(0, ge=0)):
        items = list(records.values())
        return RecordPage(items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)

    @router.get(f"/{{{param}}}", response_model=Record, operation_id=f"get_{singular}")
    def get_record(record_id: int = Path(alias=param)):
        return find(record_id)

    @router.get(f"/{{{param}}}/history", response_model=List[HistoryEntry], operation_id=f"history_{singular}")
    def history(record_id: int = Path(alias=param)):
        record = find(record_id)
        return [HistoryEntry(version=v, field="status", changed_on=record.updated_on - timedelta(days=7 * v)) for v in range(1, 4)]

    if resource != "zones":

        @router.get(f"/{{{param}}}/notes", response_model=List[Note], operation_id=f"notes_{singular}")
        def notes(record_id: int = Path(alias=param)):
            record = find(record_id)
            return [Note(id=1, text=f"Checked {record.code} during cycle count", created_on=record.updated_on)]

    return router


FIRST = ["Maria", "James", "Aisha", "Tomasz", "Lucia", "Kenji", "Grace", "Dmitri", "Fatima", "Owen"]
LAST = ["Okafor", "Lindqvist", "Haddad", "Nowak", "Ferreira", "Tanaka", "Mensah", "Volkov", "Rahman", "Price"]
ROLES = ["picker", "packer", "forklift operator", "zone lead"]


def roster(zone_id: int) -> List[StaffMember]:
    rng = random.Random(zone_id)
    people = []
    for n in range(4):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        employee = 4100 + zone_id * 10 + n
        people.append(
            StaffMember(
                employee_id=employee,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@northwind-logistics.com".lower(),
                phone=f"+1-312-555-{rng.randrange(1000, 9999)}",
                ssn=f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
                role=rng.choice(ROLES),
                shift=rng.choice(["early", "late", "night"]),
            )
        )
    return people


zones = APIRouter(prefix="/api/zones", tags=["zones"])

if MASKED:

    @zones.get("/{zone_id}/roster", response_model=List[StaffBadge], operation_id="roster_zone")
    def zone_roster(zone_id: int):
        if not 1 <= zone_id <= PER_RESOURCE:
            raise HTTPException(status_code=404, detail="zone not found")
        return [StaffBadge(badge=f"B-{m.employee_id}", role=m.role, shift=m.shift) for m in roster(zone_id)]

else:

    @zones.get("/{zone_id}/roster", response_model=List[StaffMember], operation_id="roster_zone")
    def zone_roster(zone_id: int):
        if not 1 <= zone_id <= PER_RESOURCE:
            raise HTTPException(status_code=404, detail="zone not found")
        return roster(zone_id)


for name in RESOURCES:
    app.include_router(resource_router(name))
app.include_router(zones)


@app.get("/", include_in_schema=False)
def index():
    return {"service": "wms", "docs": "/docs", "openapi": "/openapi.json"}
