"""The hardened twin of `orders_html`: same pages, customers and session login; an order that is
not the signed-in customer's answers 404, as if it did not exist."""
from orders_html import create_app

HIDE_SERVER_VERSION = True

app = create_app(check_owner=True)
