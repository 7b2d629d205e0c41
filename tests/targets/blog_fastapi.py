"""Inkwell, a small multi-author blogging API (FastAPI on uvicorn).

`POST /auth/login {"username", "password"}` answers `{"token": <JWT>}`. Published posts are public:
`GET /api/posts` lists everyone's, each naming its author (`"author": "bob"`), `GET /api/posts/{post_id}`
shows one. Each post has a private working draft, `GET /api/posts/{post_id}/draft` (the author's
unpublished revision, editor notes and contact e-mail), and each author has private settings,
`GET /api/users/{username}/settings` (e-mail, phone, recovery e-mail). `GET /api/me` is the caller's
profile; it does not list the caller's posts: the public list is where post ids are found.

The bug: drafts and settings require a login but not the right one: any signed-in author reads
every draft and everyone's settings. `blog_fastapi_hardened` answers 403 unless the caller is the
author or the settings' owner, and shows the recovery e-mail masked.

`GET /api/posts/{post_id}/publish` publishes the draft over the live post: a state-changing GET
that no default scan may call.
"""
import os
import time

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

SECRET = os.urandom(32)

AUTHORS = {
    "alice": {
        "password": "Hq2-x9Lm4-pW3v",
        "display_name": "Alice Moreau",
        "email": "alice.moreau@proton.me",
        "phone": "+33 6 12 34 56 78",
        "recovery_email": "a.moreau.backup@posteo.net",
    },
    "bob": {
        "password": "Vn3-s8Jd2-QwZ6",
        "display_name": "Bob Lindqvist",
        "email": "b.lindqvist@fastmail.com",
        "phone": "+46 70 123 45 67",
        "recovery_email": "bob.l@tutanota.com",
    },
    "chen": {
        "password": "Pz5-t1Yc8-Rb0e",
        "display_name": "Chen Wei",
        "email": "chen.wei@posteo.net",
        "phone": "+49 151 2345 6789",
        "recovery_email": "cw.recovery@mailbox.org",
    },
}

POSTS = {
    101: {"author": "bob", "title": "Sourdough at altitude", "body": "Less yeast, more patience."},
    102: {"author": "alice", "title": "A week in the Vercors", "body": "Three huts, one storm."},
    103: {"author": "chen", "title": "Notes on tea", "body": "Water below boiling."},
    104: {"author": "alice", "title": "Repairing a linen shirt", "body": "Darning, step by step."},
    105: {"author": "bob", "title": "Winter cycling kit", "body": "Layers, then more layers."},
}

DRAFTS = {
    101: "Add the chart of hydration by altitude. Ask Chen about the Lhasa bakery.",
    102: "Cut the part about the guide (he asked not to be named).",
    103: "Check the oolong temperatures again.",
    104: "Photos of the darning egg are still missing.",
    105: "Sponsor wants the brand named in the title (do not).",
}


class Login(BaseModel):
    username: str
    password: str


def create_app(check_owner: bool) -> FastAPI:
    app = FastAPI(title="Inkwell", version="0.9.4")
    bearer = HTTPBearer(auto_error=False)
    published = {k: dict(v) for k, v in POSTS.items()}

    def author(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> str:
        if credentials is None:
            raise HTTPException(401, "Not authenticated")
        try:
            claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise HTTPException(401, "Invalid token")
        if claims.get("username") not in AUTHORS:
            raise HTTPException(401, "Unknown user")
        return claims["username"]

    def post_of(post_id: int) -> dict:
        post = published.get(post_id)
        if post is None:
            raise HTTPException(404, "No such post")
        return post

    @app.post("/auth/login")
    def login(body: Login):
        known = AUTHORS.get(body.username)
        if known is None or known["password"] != body.password:
            raise HTTPException(401, "Wrong username or password")
        now = int(time.time())
        claims = {"username": body.username, "iat": now, "exp": now + 3600}
        return {"token": jwt.encode(claims, SECRET, algorithm="HS256")}

    @app.get("/api/me")
    def me(username: str = Depends(author)):
        a = AUTHORS[username]
        return {"username": username, "display_name": a["display_name"], "email": a["email"]}

    @app.get("/api/posts")
    def posts():
        return [
            {"id": pid, "title": p["title"], "author": p["author"], "published": "2026-11-01"}
            for pid, p in published.items()
        ]

    @app.get("/api/posts/{post_id}")
    def post(post_id: int):
        p = post_of(post_id)
        return {"id": post_id, "title": p["title"], "author": p["author"], "body": p["body"]}

    @app.get("/api/posts/{post_id}/draft")
    def draft(post_id: int, username: str = Depends(author)):
        p = post_of(post_id)
        if check_owner and p["author"] != username:
            raise HTTPException(403, "Only the author can read a draft")
        owner = AUTHORS[p["author"]]
        return {
            "post_id": post_id,
            "author": p["author"],
            "contact_email": owner["email"],
            "revision": 3,
            "title": p["title"] + " (draft)",
            "editor_notes": DRAFTS[post_id],
        }

    @app.get("/api/posts/{post_id}/publish")
    def publish(post_id: int, username: str = Depends(author)):
        p = post_of(post_id)
        p["body"] = DRAFTS[post_id]
        return {"status": "published", "id": post_id}

    @app.get("/api/users/{username}/settings")
    def settings(username: str, caller: str = Depends(author)):
        if username not in AUTHORS:
            raise HTTPException(404, "No such user")
        if check_owner and username != caller:
            raise HTTPException(403, "Not your settings")
        a = AUTHORS[username]
        return {
            "username": username,
            "email": a["email"],
            "phone": a["phone"],
            "recovery_email": "•••" + a["recovery_email"][a["recovery_email"].index("@"):]
            if check_owner
            else a["recovery_email"],
            "newsletter": True,
        }

    return app


app = create_app(check_owner=False)
