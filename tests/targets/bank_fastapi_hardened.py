"""The hardened twin of `bank_fastapi`: same routes, customers and tokens; an account that is not
the caller's answers 404, as if it did not exist; IBANs are masked."""
from bank_fastapi import create_app

app = create_app(check_owner=True)
