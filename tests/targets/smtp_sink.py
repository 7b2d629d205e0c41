"""A real SMTP server (aiosmtpd) on 127.0.0.1 with an ephemeral port, for the e-mail alert tests.

Usage: python smtp_sink.py [--starttls CERT KEY] [--auth USER PASSWORD]

Prints `PORT <n>` once listening, then one JSON line per message received: envelope sender and
recipients, the decoded headers and body, whether the session was under TLS and who logged in. With --starttls
the server offers STARTTLS and refuses mail before it; with --auth it requires a login (over TLS).
"""
import argparse
import asyncio
import email
import email.policy
import json
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["from"]),
            "to": str(message["to"]),
            "subject": str(message["subject"]),
            "body": message.get_content(),
            "tls": session.ssl is not None,
            "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", nargs=2, metavar=("USER", "PASSWORD"))
    args = parser.parse_args()
    options = {"hostname": "sink.test"}
    if args.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.starttls)
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        options.update(authenticator=authenticator(*args.auth), auth_required=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink(), **options), "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
