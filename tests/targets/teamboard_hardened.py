"""The hardened twin of `teamboard_api`: the same Teamboard API (routes, members, tokens, spec), fixed.

The console functions (`PUT /api/users/<username>/role`, `DELETE /api/users/<username>`) require the
ADMIN role (403 for members, before any lookup), the account update saves `display_name` only, and `PATCH /api/settings?account=…` checks that the
account is the caller's, as the read always did.
"""
import os

os.environ["TEAMBOARD_HARDENED"] = "1"

from teamboard_api import HIDE_SERVER_VERSION, app  # noqa: E402,F401
