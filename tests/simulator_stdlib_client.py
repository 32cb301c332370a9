"""A client flow against `snow-connect simulator` with Python's standard library only.

Usage: simulator_stdlib_client.py BASE_URL CLIENT_ID CLIENT_SECRET USERNAME PASSWORD

Run by tests/simulator.rs. It does what an integration's CI would: a password grant, a query
with BETWEEN, an insert with its own sys_id, a PATCH, a DELETE, and checks each answer.
Exits 0 and prints "ok" when every step behaved; otherwise raises with what differed.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE, CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD = sys.argv[1:6]
SYS_ID = "5f0c1e2d3b4a59687766554433221100"


def call(method, path, token=None, body=None, form=None):
    headers = {"Accept": "application/json"}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw = response.read().decode()
            return response.status, lowered(response.headers), raw
    except urllib.error.HTTPError as error:
        return error.code, lowered(error.headers), error.read().decode()


def lowered(headers):
    # Header names are case-insensitive; the simulator sends them in lower case.
    return {name.lower(): value for name, value in headers.items()}


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


status, _, raw = call(
    "POST",
    "/oauth_token.do",
    form={
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
    },
)
expect(status == 200, "token: %s %s" % (status, raw))
grant = json.loads(raw)
expect(grant["token_type"] == "Bearer" and grant["expires_in"] == 1799, "token body: " + raw)
token = grant["access_token"]

query = urllib.parse.quote(
    "opened_atBETWEENjavascript:gs.dateGenerate('2024-03-05','00:00:00')"
    "@javascript:gs.dateGenerate('2024-03-07','23:59:59')^ORDERBYnumber"
)
status, headers, raw = call(
    "GET", "/api/now/table/incident?sysparm_fields=number&sysparm_query=" + query, token
)
expect(status == 200, "query: %s %s" % (status, raw))
numbers = [r["number"] for r in json.loads(raw)["result"]]
expect(numbers == ["INC0000002", "INC0000003", "INC0000004"], "BETWEEN rows: %r" % numbers)
expect(headers.get("x-total-count") == "3", "X-Total-Count: %r" % headers.get("x-total-count"))

status, headers, raw = call(
    "POST",
    "/api/now/table/incident",
    token,
    body={"sys_id": SYS_ID, "short_description": "stdlib insert", "impact": "1", "urgency": "2"},
)
expect(status == 201, "insert: %s %s" % (status, raw))
created = json.loads(raw)["result"]
expect(created["sys_id"] == SYS_ID, "kept sys_id: " + created["sys_id"])
expect(created["priority"] == "2", "priority from impact and urgency: " + created["priority"])
expect(headers.get("location", "").endswith("/api/now/table/incident/" + SYS_ID), "Location")

status, _, raw = call(
    "PATCH", "/api/now/table/incident/" + SYS_ID, token, body={"short_description": "patched"}
)
expect(status == 200, "patch: %s %s" % (status, raw))
patched = json.loads(raw)["result"]
expect(patched["short_description"] == "patched", "patched value")
expect(patched["sys_mod_count"] == "1", "sys_mod_count: " + patched["sys_mod_count"])

status, _, raw = call(
    "GET", "/api/now/table/incident?sysparm_fields=sys_id&sysparm_query=short_description=patched", token
)
expect([r["sys_id"] for r in json.loads(raw)["result"]] == [SYS_ID], "query sees the patch: " + raw)

status, _, raw = call("DELETE", "/api/now/table/incident/" + SYS_ID, token)
expect(status == 204 and raw == "", "delete: %s %r" % (status, raw))

status, _, raw = call("GET", "/api/now/table/incident/" + SYS_ID, token)
expect(status == 404, "read after delete: %s %s" % (status, raw))
expect(json.loads(raw)["error"]["message"] == "No Record found", raw)

print("ok")
