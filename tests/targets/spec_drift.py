"""A storefront whose code drifted from its OpenAPI spec: `GET /api/accounts/{account_id}` is
declared bearer-only but answers anyone (with e-mail, phone and billing address), the deprecated
`GET /api/v1/products` still answers, and `GET /api/internal/stock-levels` is in the spec, linked from
nowhere, and open. See spec_shop.py."""
from spec_shop import create_app

app = create_app(drift=True)
