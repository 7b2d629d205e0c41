"""Drives `leakprobe mcp` with the official MCP Python SDK, the way an assistant would, and asserts
every answer. Exits non-zero (with the failed assertion on stderr) when anything is wrong; prints
one JSON object with what it measured on success.

    python client_flow.py flow     --server stdio:/path/to/leakprobe|URL --target URL --flags FILE
    python client_flow.py refusals --server stdio:/path/to/leakprobe|URL --target URL --request-log FILE

`stdio:BINARY` starts `BINARY mcp` in the current directory; a URL connects over streamable HTTP.
"""
import argparse
import asyncio
import json
import os
import sys
import time

from mcp import Client, StdioServerParameters

TOOLS = {"scan_api", "get_scan", "list_scans", "explain_finding", "rescan_finding", "detect_pii", "diff_scans"}
# Raw values the helpdesk target serves; no tool output may contain any of them.
RAW_PII = [
    "512-44-7781", "623-18-9042", "401-72-3356",
    "maria.keller@northwind-mail.com", "d.okafor@fabrikam-post.net", "+1 415 555 0134",
]
SNIPPET_SECRETS = ["ops.lead@tailspin-air.com", "372-84-1956", "sk_live_9fQ2xT7LmZ4pR8vW1cY6bN3d"]
SEEN_TEXT = []


def connect(server: str) -> Client:
    if server.startswith("stdio:"):
        params = StdioServerParameters(command=server[len("stdio:"):], args=["mcp"], cwd=os.getcwd(),
                                       env={"NO_COLOR": "1"})
        return Client(params, read_timeout_seconds=180)
    return Client(server, read_timeout_seconds=180)


def text_of(result) -> str:
    assert result.content, f"empty result: {result}"
    text = "".join(getattr(c, "text", "") for c in result.content)
    SEEN_TEXT.append(text)
    return text


async def call(client, name, args, progress=None):
    result = await client.call_tool(name, args, progress_callback=progress)
    text = text_of(result)
    assert not result.is_error, f"{name}({args}) failed: {text}"
    return json.loads(text)


async def refused(client, name, args, *words):
    result = await client.call_tool(name, args)
    text = text_of(result)
    assert result.is_error, f"{name}({args}) should be a tool error, got: {text[:300]}"
    for w in words:
        assert w.lower() in text.lower(), f"{name}({args}) error should mention {w!r}: {text}"
    return text


def finding(scan, check, endpoint_part):
    for f in scan["findings"]:
        if f["check"] == check and endpoint_part in f["endpoint"]:
            return f
    raise AssertionError(f"no {check} finding on {endpoint_part}: {[(f['check'], f['endpoint']) for f in scan['findings']]}")


async def flow(args) -> dict:
    out = {}
    async with connect(args.server) as client:
        assert client.server_info is not None and client.server_info.name == "leakprobe", client.server_info
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert TOOLS <= set(tools), f"missing tools: {TOOLS - set(tools)}"
        url_prop = tools["scan_api"].input_schema["properties"]["url"]
        assert "loopback" in url_prop.get("description", ""), url_prop
        assert tools["scan_api"].input_schema["required"] == ["url"], tools["scan_api"].input_schema
        assert "path" in tools["detect_pii"].input_schema["properties"]

        progress = []

        async def on_progress(value, total, message):
            progress.append((value, total, message))

        started = time.monotonic()
        first = await call(client, "scan_api", {"url": args.target, "time_limit": "90s"}, on_progress)
        out["scan_seconds"] = round(time.monotonic() - started, 2)
        out["scan_requests"] = first["requests"]
        assert first["scan_id"] and first["target"].startswith(args.target), first
        assert first["grade"] in "ABCDF" and 0 <= first["score"] < 90, (first["score"], first["grade"])
        assert len(first["categories"]) == 13, first["categories"]
        data = next(c for c in first["categories"] if c["category"] == "data_exposure")
        assert data["findings"] >= 1 and data["severity"] in ("high", "critical"), data
        leak = finding(first, "pii_in_response", "/api/customers")
        assert {"ssn", "email"} <= set(leak["pii_types"]), leak
        assert "CWE-359" in leak["cwe"] and leak["owasp"] == "API3:2023", leak
        assert len(progress) >= 3, f"progress notifications: {progress}"
        values = [p[0] for p in progress]
        assert values == sorted(values) and len(set(values)) == len(values), values
        assert any("requests sent" in (p[2] or "") for p in progress), progress
        out["progress_notifications"] = len(progress)

        got = await call(client, "get_scan", {"scan_id": first["scan_id"]})
        assert got["score"] == first["score"] and [f["id"] for f in got["findings"]] == [f["id"] for f in first["findings"]]

        listed = await call(client, "list_scans", {"target": args.target})
        assert listed["total"] >= 1 and listed["scans"][0]["scan_id"] == first["scan_id"], listed
        assert (await call(client, "list_scans", {"target": "http://127.0.0.1:1"}))["total"] == 0

        why = await call(client, "explain_finding", {"scan_id": first["scan_id"], "finding_id": leak["id"]})
        assert why["check"] == "pii_in_response" and why["finding"]["id"] == leak["id"], why
        assert why["what_it_finds"] and why["why_it_matters"] and why["remediation_flask"], why
        assert why["fix_code"] and any("def " in c or "jsonify" in c for c in why["fix_code"]), why["fix_code"]
        assert "CWE-359" in why["cwe"] and why["owasp"] == "API3:2023", why
        debugger = await call(client, "explain_finding", {"check": "werkzeug_debugger"})
        assert "debug" in debugger["remediation_flask"].lower() and "CWE-215" in debugger["cwe"], debugger
        await refused(client, "explain_finding", {"check": "no_such_check"}, "no check")

        before = await call(client, "rescan_finding", {"scan_id": first["scan_id"], "finding_id": leak["id"]})
        assert before["status"] == "still_present" and before["fixed"] is False, before
        assert before["check"] == "pii_in_response" and before["finding"]["id"] == leak["id"], before
        out["rescan_requests"] = before["requests"]
        # Only the one check ran: fewer requests than the full scan, and the history says so.
        assert before["requests"] < first["requests"], (before["requests"], first["requests"])
        partial = await call(client, "get_scan", {"scan_id": before["rescan_id"]})
        assert partial["only_checks"] == ["pii_in_response"], partial.get("only_checks")
        assert {f["check"] for f in partial["findings"]} == {"pii_in_response"}, partial["findings"]

        # The developer ships the fix: the flag switches the serialiser to public fields.
        with open(args.flags, "w", encoding="utf-8") as f:
            json.dump({"customer_view": "public"}, f)

        after = await call(client, "rescan_finding", {"scan_id": first["scan_id"], "finding_id": leak["id"]})
        assert after["status"] == "fixed" and after["fixed"] is True and "finding" not in after, after
        assert after["rescan_id"] not in (first["scan_id"], before["rescan_id"]), after

        second = await call(client, "scan_api", {"url": args.target, "time_limit": "90s"})
        serious = [f for f in second["findings"] if f["severity"] in ("medium", "high", "critical")]
        assert not serious, f"the fixed target still has medium+ findings: {serious}"
        assert second["score"] > first["score"], (first["score"], second["score"])
        out["clean_score"] = second["score"]

        diff = await call(client, "diff_scans", {"old": first["scan_id"], "new": second["scan_id"]})
        assert leak["id"] in [e["id"] for e in diff["disappeared"]], diff
        assert diff["score_change"] == second["score"] - first["score"] and not diff["appeared"], diff

        snippet = ("2026-12-01 10:42:07 INFO login ok user=ops.lead@tailspin-air.com ssn=372-84-1956\n"
                   "2026-12-01 10:42:09 DEBUG charging with stripe key sk_live_9fQ2xT7LmZ4pR8vW1cY6bN3d\n")
        found = await call(client, "detect_pii", {"text": snippet})
        kinds = {m["type"] for m in found["matches"]}
        assert {"email", "ssn", "api_key"} <= kinds, found
        email = next(m for m in found["matches"] if m["type"] == "email")
        assert email["line"] == 1 and email["value"] != "ops.lead@tailspin-air.com", email
        from_file = await call(client, "detect_pii", {"path": "logs/support.log"})
        assert from_file["source"] == "logs/support.log" and from_file["by_type"].get("email", 0) >= 1, from_file

        report = await client.read_resource(f"leakprobe://scans/{first['scan_id']}")
        body = report.contents[0].text
        SEEN_TEXT.append(body)
        parsed = json.loads(body)
        assert parsed["schema_version"] == "1" and parsed["score"] == first["score"], parsed.keys()
        docs = await client.read_resource("leakprobe://checks/pii_in_response")
        assert "## Remediation (Flask)" in docs.contents[0].text
        resources = {r.uri for r in (await client.list_resources()).resources}
        assert f"leakprobe://scans/{first['scan_id']}" in resources and "leakprobe://checks/werkzeug_debugger" in resources
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {"leakprobe://scans/{id}", "leakprobe://checks/{id}"}, templates

        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert "audit_api" in prompts, prompts
        prompt = await client.get_prompt("audit_api", {"url": args.target})
        text = prompt.messages[0].content.text
        assert args.target in text and "scan_api" in text and "rescan_finding" in text, text

    everything = "\n".join(SEEN_TEXT)
    for raw in RAW_PII + SNIPPET_SECRETS:
        assert raw not in everything, f"raw value {raw!r} left the server"
    out["leak_finding"] = leak["id"]
    out["first_score"] = first["score"]
    return out


def log_lines(path) -> int:
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


async def refusals(args) -> dict:
    out = {}
    async with connect(args.server) as client:
        await refused(client, "scan_api", {"url": "http://192.0.2.1:8080/api"}, "refused", "allow-list", "nothing was sent")
        await refused(client, "scan_api", {"url": "http://evil.localhost:5000/"}, "refused")
        await refused(client, "scan_api", {"url": args.target, "active": True}, "active", "not allowed")
        await refused(client, "scan_api", {"url": "127.0.0.1:5000"}, "malformed URL")
        await refused(client, "scan_api", {"url": "http//127.0.0.1"}, "malformed URL")
        await refused(client, "scan_api", {"url": args.target, "max_requests": 10**7}, "max_requests")
        await refused(client, "scan_api", {"url": args.target, "spec": "../secrets/openapi.json"}, "..")
        await refused(client, "scan_api", {"url": args.target, "spec": "http://192.0.2.1/openapi.json"}, "refused")
        await refused(client, "detect_pii", {"path": "../outside.txt"}, "refused", "..")
        await refused(client, "detect_pii", {"path": "/etc/passwd"}, "refused", "outside")
        await refused(client, "detect_pii", {"path": "escape/passwd"}, "refused", "outside")
        await refused(client, "detect_pii", {"text": "a", "path": "logs/support.log"}, "exactly one")
        await refused(client, "scan_api", {"url": "http://127.0.0.1:1/"}, "scan failed")
        await refused(client, "get_scan", {"scan_id": "scan-999"}, "no scan")
        await refused(client, "rescan_finding", {"scan_id": "scan-999", "finding_id": "x"}, "no scan")
        out["sent_during_refusals"] = log_lines(args.request_log)
        assert out["sent_during_refusals"] == 0, f"{out['sent_during_refusals']} requests reached the target"
        # The server kept serving, and the request log does record requests when a scan is allowed.
        ok = await call(client, "scan_api", {"url": args.target, "max_requests": 40, "time_limit": "30s"})
        assert ok["scan_id"] and ok["requests"] > 0, ok
        out["logged_after_allowed_scan"] = log_lines(args.request_log)
        assert out["logged_after_allowed_scan"] > 0
    return out


async def permitted(args) -> dict:
    """A server whose leakprobe.toml allows active scans runs one."""
    async with connect(args.server) as client:
        scan = await call(client, "scan_api", {"url": args.target, "active": True, "max_requests": 300, "time_limit": "60s"})
        assert scan["scan_id"] and scan["requests"] > 0, scan
        await refused(client, "scan_api", {"url": "http://192.0.2.1/"}, "refused", "allow-list")
        return {"active_scan_requests": scan["requests"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["flow", "refusals", "permitted"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--flags")
    parser.add_argument("--request-log")
    args = parser.parse_args()
    out = asyncio.run({"flow": flow, "refusals": refusals, "permitted": permitted}[args.mode](args))
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"ASSERTION FAILED: {e}", file=sys.stderr)
        sys.exit(1)
