"""The hardened twin of `rewards_api`: same routes, members and sign-in; a card or voucher list is
served only for the caller's own member number (anyone else's is a 404, as if it did not exist)."""
from rewards_api import create_app

HIDE_SERVER_VERSION = True

app = create_app(check_owner=True)
