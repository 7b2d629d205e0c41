"""A billing API left in debug mode whose PDF export fails for some customers. The exception message
names the customer (e-mail and phone), so the Werkzeug debugger page that answers the crash shows
personal data: the debugger-page finding carries those types, and the page is not reported again as
a generic "personal data in the response" (nor its per-process debugger SECRET as a leaked secret).
"""
from flask import Blueprint, Flask, jsonify

USE_DEBUGGER = True

api = Blueprint("billing", __name__, url_prefix="/api")

CUSTOMERS = {
    31: {"id": 31, "company": "Haddad Logistics", "email": "fatima.haddad@haddad-logistics.de", "phone": "+49 30 901820 44"},
}
INVOICES = {
    2024117: {"id": 2024117, "customer_id": 31, "total": "1840.00", "currency": "EUR", "template": "de-vat-v2"},
}
TEMPLATES = {"en-standard"}


class TemplateMissing(RuntimeError):
    pass


def render_pdf(invoice, customer):
    if invoice["template"] not in TEMPLATES:
        raise TemplateMissing(
            f"no PDF template {invoice['template']!r} for invoice {invoice['id']} of {customer['email']} "
            f"(contact {customer['phone']})"
        )
    return b"%PDF-1.7"


@api.get("/invoices")
def list_invoices():
    return jsonify([{"id": i["id"], "total": i["total"], "currency": i["currency"]} for i in INVOICES.values()])


@api.get("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id):
    invoice = INVOICES.get(invoice_id)
    if invoice is None:
        return jsonify(error="no such invoice"), 404
    return render_pdf(invoice, CUSTOMERS[invoice["customer_id"]])


app = Flask(__name__)
app.debug = True
app.register_blueprint(api)


@app.get("/")
def index():
    return jsonify(service="billing", links=["/api/invoices", "/api/invoices/2024117/pdf"])
