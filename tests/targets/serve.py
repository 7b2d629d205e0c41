"""Serve one test target on 127.0.0.1 with an ephemeral port, the way `flask run` would.

Usage: python serve.py TARGET_MODULE

Prints `PORT <n>` once listening, then serves until killed. The Werkzeug development server is used
on purpose: it is what careless deployments run, and its `Server` header is part of what we test.
"""
import importlib
import os
import sys

from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    module = importlib.import_module(sys.argv[1])
    server = make_server("127.0.0.1", 0, module.app, threaded=True)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
