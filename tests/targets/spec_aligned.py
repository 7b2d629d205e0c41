"""The hardened twin of `spec_drift`: the same storefront and spec, and the code does what the spec
says (bearer enforced, v1 answers 410 Gone, the stock route needs a token). See spec_shop.py."""
from spec_shop import create_app

HIDE_SERVER_VERSION = True
app = create_app(drift=False)
