"""The storefront's hardened twin: the same routes, CORS limited to the shop's own front ends.

flask-cors compares plain-string origins exactly (case-insensitively), so look-alike, suffix and
`null` origins get no CORS headers. Public data keeps its wildcard, without credentials.
"""
from flask import Flask
from flask_cors import CORS

import shop_api

HIDE_SERVER_VERSION = True

app = Flask(__name__)
shop_api.register(app)
CORS(
    app,
    resources={
        r"/api/*": {"origins": ["https://shop.northwind-outfitters.com"], "supports_credentials": True},
        r"/partner/*": {"origins": ["https://partners.northwind-outfitters.com"], "supports_credentials": True},
        r"/public/*": {"origins": "*", "send_wildcard": True},
    },
)
