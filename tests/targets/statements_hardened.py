"""The hardened twin of `statements_api`: same routes, members and tokens; a statement is served
only for an account of the caller's (another member's account is a 404, as if it did not exist),
with the IBAN masked."""
from statements_api import create_app

HIDE_SERVER_VERSION = True

app = create_app(check_owner=True)
