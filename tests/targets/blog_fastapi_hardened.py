"""The hardened twin of `blog_fastapi`: same routes, authors and tokens; a draft is the author's
only and settings are their owner's only (403 for anybody else); the recovery e-mail is masked."""
from blog_fastapi import create_app

app = create_app(check_owner=True)
