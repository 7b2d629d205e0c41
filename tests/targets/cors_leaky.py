"""The storefront with the CORS mistakes teams actually ship.

- `/api/*`: `supports_credentials=True` without `origins`: flask-cors then echoes any request
  Origin (`null` included) together with `Access-Control-Allow-Credentials: true`.
- `/partner/v1/*`: a hand-written hook meant to trust "our domain and its subdomains" that checks
  `hostname.endswith(domain)` without the dot, so `evil<domain>` passes.
- `/public/v1/*`: `origins="*"` on public data (fine: info).
"""
from urllib.parse import urlsplit

from flask import Flask, request
from flask_cors import CORS

import shop_api


@shop_api.partner.after_request
def partner_cors(response):
    origin = request.headers.get("Origin", "")
    own_domain = request.host.rsplit(":", 1)[0]
    hostname = urlsplit(origin).hostname or ""
    if hostname.endswith(own_domain):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


app = Flask(__name__)
shop_api.register(app)
CORS(app, resources={r"/api/*": {"supports_credentials": True}, r"/public/*": {"origins": "*", "send_wildcard": True}})
