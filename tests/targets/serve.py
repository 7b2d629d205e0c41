"""Serve one test target on 127.0.0.1 with an ephemeral port, the way `flask run` (or `uvicorn`) would.

Usage: python serve.py TARGET_MODULE

Prints `PORT <n>` once listening, then serves until killed. WSGI apps (Flask) run on the Werkzeug
development server on purpose: it is what careless deployments run, and its `Server` header is part
of what we test. ASGI apps (FastAPI, Starlette) run on uvicorn, as they are deployed.
"""
import importlib
import os
import sys

from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class QuietHandler(WSGIRequestHandler):
    """No version in the Server header, as behind a hardened reverse proxy."""

    server_version = "app"
    sys_version = ""


class RequestLog:
    """Outermost WSGI layer: appends every request (method, path, query, body) as a JSON line to the
    file named by TARGET_REQUEST_LOG, so tests can assert what the scanner did and did not send."""

    def __init__(self, app, path: str):
        self.app = app
        self.path = path

    def __call__(self, environ, start_response):
        import io
        import json

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        entry = {
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "body": body.decode("utf-8", "replace")[:2000],
            "headers": {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
        }
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        return self.app(environ, start_response)


def legacy_tls_context(cert: str, key: str):
    """A TLS server context that still accepts TLS 1.0 and 1.1, as old appliances and forgotten
    load balancers do. OpenSSL 3 needs security level 0 for them (their handshakes sign with SHA-1)."""
    import ssl
    import warnings

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(cert, key)
    return context


class AsgiRequestLog:
    """The ASGI twin of RequestLog, for FastAPI/Starlette targets."""

    def __init__(self, app, path: str):
        self.app = app
        self.path = path

    async def __call__(self, scope, receive, send):
        import json

        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "body": body.decode("utf-8", "replace")[:2000],
            "headers": {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        }
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def is_asgi(app) -> bool:
    import inspect

    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(getattr(app, "__call__", None))


def serve_asgi(app) -> None:
    """uvicorn on a socket bound to port 0, so the port is known before serving starts."""
    import socket

    import uvicorn

    if os.environ.get("TARGET_REQUEST_LOG"):
        app = AsgiRequestLog(app, os.environ["TARGET_REQUEST_LOG"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_level="critical",
        ssl_certfile=os.environ.get("TARGET_CERT"),
        ssl_keyfile=os.environ.get("TARGET_KEY"),
    )
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    module = importlib.import_module(sys.argv[1])
    if hasattr(module, "serve"):
        # A target that speaks HTTP itself (raw sockets: tests/targets/hostile.py).
        module.serve()
        return
    if is_asgi(module.app):
        serve_asgi(module.app)
        return
    # Hardened twins set HIDE_SERVER_VERSION: in production they would sit behind a proxy that
    # hides the Werkzeug banner, and that header is not what they are testing.
    handler = QuietHandler if getattr(module, "HIDE_SERVER_VERSION", False) else WSGIRequestHandler
    ssl_context = None
    if os.environ.get("TARGET_CERT"):
        ssl_context = (os.environ["TARGET_CERT"], os.environ["TARGET_KEY"])
        if os.environ.get("TARGET_TLS_MIN") == "1.0":
            ssl_context = legacy_tls_context(*ssl_context)
    app = module.app
    if getattr(module, "USE_DEBUGGER", False):
        # What `flask run --debug` / `app.run(debug=True)` wrap the app in.
        from werkzeug.debug import DebuggedApplication

        app = DebuggedApplication(app, evalex=True)
    if os.environ.get("TARGET_REQUEST_LOG"):
        app = RequestLog(app, os.environ["TARGET_REQUEST_LOG"])
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler, ssl_context=ssl_context)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
