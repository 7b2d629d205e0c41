"""The hardened twin of `notes_fastapi`: the same Jotter API (routes, users, JWT logins), fixed.

Every write checks the note's owner (another user's note is a 404, as if it did not exist), the profile
to update is the token's (a body naming somebody else is refused with 403), and public sign-up takes a
`SignUp` model without `role`: new accounts are members, and the answer is the same whether or not
the name is taken (the e-mail says the rest). Failed logins are throttled.
"""
import os

os.environ["NOTES_HARDENED"] = "1"

from notes_fastapi import app  # noqa: E402,F401
