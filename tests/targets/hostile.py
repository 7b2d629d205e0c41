"""Hostile targets on raw asyncio sockets: one misbehaviour per process, chosen by HOSTILE_CASE.

Flask cannot send a garbage status line, reset a connection or trickle headers, so this speaks
HTTP/1.1 by hand. The root `/` answers normally (a JSON page linking to a few endpoints) and every
other path is hostile, so a scan gets past recon and meets the misbehaviour on nearly every request
("on an endpoint"). Cases ending in `_root` make `/` hostile too. Without HOSTILE_CASE the target is
`mixed`: one endless stream, one endpoint that never answers and one that answers normally.

serve.py calls `serve()` instead of running `app`. TARGET_CERT/TARGET_KEY wrap the socket in TLS.
"""
import asyncio
import json
import os
import socket
import ssl
import struct
import zlib

CASE = os.environ.get("HOSTILE_CASE", "mixed")
HOSTILE_ROOT = CASE.endswith("_root")
KIND = CASE[: -len("_root")] if HOSTILE_ROOT else CASE

MIB = 1024 * 1024
LINKS = ["/api/users", "/api/orders", "/api/feed", "/api/export", "/api/reports", "/api/me"]
# A JSON body of ~2 MiB: ordinary records, nothing sensitive (the detector has to read it all).
PAGE = json.dumps({"items": [{"id": i, "sku": f"A-{i:06d}", "qty": i % 7} for i in range(48000)]}).encode()
# ~1.9 MB of customer records, whole (under the 2 MiB body cap), each with an e-mail address: every
# analyzer reads all of it.
RECORDS = (
    json.dumps(
        {"items": [{"id": i, "name": f"Customer {i}", "email": f"c{i}@fastmail.fm", "city": "Lyon"} for i in range(22000)]}
    ).encode()
    if KIND == "pages_silent"
    else b""
)


def gzip_bomb() -> bytes:
    """1 GiB of zeros in about 1 MB of gzip: a full flush makes every later MiB compress to the same
    bytes, so the block is computed once and repeated."""
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    # An empty final stored block, then the gzip trailer (CRC-32, size mod 2^32).
    return first + block * 1023 + b"\x03\x00" + struct.pack("<II", crc, (1024 * MIB) & 0xFFFFFFFF)


def brotli_bomb() -> bytes:
    import brotli

    c = brotli.Compressor(quality=1)
    zeros = bytes(MIB)
    return b"".join(c.process(zeros) for _ in range(1024)) + c.finish()


BOMB = gzip_bomb() if KIND == "gzip_bomb" else brotli_bomb() if KIND == "brotli_bomb" else b""


def head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send(writer, status: str, body: bytes, ctype="application/json", extra=()) -> None:
    writer.write(head(status, [("Content-Type", ctype), ("Content-Length", str(len(body))), *extra]) + body)
    await writer.drain()


async def endless(writer, chunked: bool, pause: float = 0.0, json_like: bool = True) -> None:
    """200 with a body that never ends: chunked, or under a Content-Length of a terabyte."""
    framing = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(10**12))
    ctype = "application/json" if json_like else "application/octet-stream"
    writer.write(head("200 OK", [("Content-Type", ctype), framing]))
    chunk = b'{"x": "' + b"x" * 65000 + b'"},' if json_like else b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
    while True:
        writer.write(frame)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)


async def stream(writer, total: int, piece: bytes, prefix=b"[", suffix=b"]") -> None:
    """A body of `total` bytes under its Content-Length, written without holding it in memory."""
    writer.write(head("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(total))]) + prefix)
    sent = len(prefix)
    while sent + len(piece) + len(suffix) <= total:
        writer.write(piece)
        sent += len(piece)
        await writer.drain()
    writer.write(b" " * (total - sent - len(suffix)) + suffix)
    await writer.drain()


def reset(writer) -> None:
    """Close with RST instead of FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def hostile(path: str, headers: dict, writer) -> bool:
    """Answers one request the way the case misbehaves; False closes the connection."""
    if KIND in ("mixed", "wrong_cert"):
        if path == "/api/stream":
            await endless(writer, chunked=True, json_like=False)
        if path == "/api/slow":
            await asyncio.sleep(3600)
        if path == "/api/ok":
            await send(writer, "200 OK", b'{"status": "ok"}')
            return True
        await send(writer, "404 Not Found", b'{"error": "not found"}')
        return True
    if KIND == "endless_chunked":
        await endless(writer, chunked=True)
    if KIND == "endless_length":
        await endless(writer, chunked=False)
    if KIND == "endless_trickle":
        # Never reaches the body cap: only the time limit can end it.
        await endless(writer, chunked=True, pause=0.2)
    if KIND == "huge_body":
        await stream(writer, 300 * MIB, b'{"id": 1, "name": "row"},' * 2000, prefix=b'[{"id": 0},', suffix=b"{}]")
        return True
    if KIND == "big_array":
        await stream(writer, 200 * MIB, b"[1,2,3,4,5,6,7,8,9,0]," * 4000, prefix=b"[", suffix=b"0]")
        return True
    if KIND == "many_pages":
        await send(writer, "200 OK", PAGE)
        return True
    if KIND == "pages_silent":
        # Pages under /api/ (not soft-404 look-alikes: other paths are 404) and one endpoint that
        # holds every request to the deadline, so the analysis of the pages starts with no time left.
        if path == "/api/slow":
            await asyncio.sleep(3600)
        if path.startswith("/api/"):
            await send(writer, "200 OK", RECORDS)
        else:
            await send(writer, "404 Not Found", b'{"error": "not found"}')
        return True
    if KIND == "slow_headers":
        writer.write(b"HTTP/1.1 200 OK\r\n")
        while True:
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.2)
    if KIND == "silent":
        await asyncio.sleep(3600)
    if KIND == "reset":
        reset(writer)
        return False
    if KIND == "redirect_loop":
        target = "/loop/b" if path.endswith("/a") else "/loop/a"
        await send(writer, "302 Found", b"", extra=[("Location", target)])
        return True
    if KIND == "offorigin_redirect":
        # Another origin on loopback: followed, it would still leave the scanned origin.
        await send(writer, "302 Found", b"", extra=[("Location", "http://127.0.0.2:9/stolen" + path)])
        return True
    if KIND in ("gzip_bomb", "brotli_bomb"):
        encoding = "gzip" if KIND == "gzip_bomb" else "br"
        await send(writer, "200 OK", BOMB, extra=[("Content-Encoding", encoding)])
        return True
    if KIND == "header_flood":
        flood = [(f"X-Flood-{i}", "y" * 20) for i in range(5000)]
        await send(writer, "200 OK", b"{}", extra=flood)
        return True
    if KIND == "huge_header":
        await send(writer, "200 OK", b"{}", extra=[("X-Huge", "z" * (4 * MIB))])
        return True
    if KIND == "garbage_status":
        writer.write(b"HTTP/1.1 2OO OK\x00\xff\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        return False
    if KIND == "garbage":
        writer.write(bytes(range(256)) * 64)
        await writer.drain()
        return False
    if KIND == "storm_429":
        await send(writer, "429 Too Many Requests", b'{"error": "slow down"}')
        return True
    if KIND == "storm_429_retry":
        await send(writer, "429 Too Many Requests", b'{"error": "slow down"}', extra=[("Retry-After", "1")])
        return True
    if KIND == "storm_503_long":
        await send(writer, "503 Service Unavailable", b'{"error": "down"}', extra=[("Retry-After", "3600")])
        return True
    if KIND == "non_utf8_json":
        await send(writer, "200 OK", b'{"name": "Jos\xe9 \xff\xfe", "email": "a\x80@example.com", "id": 7}')
        return True
    if KIND == "deep_json":
        depth = 1_000_000
        await send(writer, "200 OK", b"[" * depth + b"]" * depth)
        return True
    if KIND == "header_echo":
        echoed = json.dumps({"you_sent": headers}).encode()
        await send(writer, "200 OK", echoed, extra=[(f"X-Echo-{k}", v) for k, v in headers.items()])
        return True
    raise SystemExit(f"unknown HOSTILE_CASE {CASE}")


async def read_request(reader):
    """(method, path, headers) of the next request on the connection, its body read and dropped."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ") + ["", "", ""])[:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length") or 0)
    if length:
        await reader.readexactly(length)
    return method, target.split("?")[0], headers


async def handle(reader, writer) -> None:
    try:
        while True:
            request = await read_request(reader)
            if request is None:
                break
            _, path, headers = request
            if path == "/" and not HOSTILE_ROOT:
                await send(writer, "200 OK", json.dumps({"links": LINKS + ["/api/stream", "/api/slow", "/api/ok"]}).encode())
                continue
            if not await hostile(path, headers, writer):
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def garbage_tls(reader, writer) -> None:
    """A 'TLS' port that answers the ClientHello with bytes that are no TLS record."""
    try:
        await reader.read(1024)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n" + bytes(range(256)))
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main() -> None:
    context = None
    if os.environ.get("TARGET_CERT"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.environ["TARGET_CERT"], os.environ["TARGET_KEY"])
    handler = garbage_tls if KIND == "bad_tls" else handle
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context, limit=64 * 1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def serve() -> None:
    asyncio.run(main())
