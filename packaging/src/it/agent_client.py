#!/usr/bin/env python3
"""A minimal Sentinel proxy for the package test: connects to the agent's Unix socket, sends the
golden handshake frame (agent-protocol-v2.md 12.1) and the golden RequestHeaders event (12.3),
and checks the AgentResponse: version 2, audit.custom.correlation_id equal to the event's id,
and optionally a decision, an audit tag and a request header operation.

usage: agent_client.py SOCKET [--decision allow] [--tag TAG] [--set-header NAME=VALUE]
Prints the handshake and the response; exits 0 when every check holds, 1 otherwise.
"""
import argparse
import json
import socket
import struct
import sys

# 12.1 Handshake request (proxy -> agent): header 00 00 00 7d 01
HANDSHAKE = (b'{"supported_versions":[2],"proxy_id":"zentinel-proxy","proxy_version":"0.6.20",'
             b'"config":null,"supported_encodings":["json"]}')
# 12.3 RequestHeaders event (proxy -> agent): header 00 00 02 0c 10
REQUEST_HEADERS = (
    b'{"correlation_id":"Jx7Qm2Rp4Kd","headers":{"accept":["*/*"],"host":["example.com"],'
    b'"user-agent":["curl/8.5.0"],"x-correlation-id":["Jx7Qm2Rp4Kd"],"x-forwarded-by":["Zentinel"]},'
    b'"metadata":{"client_ip":"127.0.0.1:51514","client_port":0,"correlation_id":"Jx7Qm2Rp4Kd",'
    b'"protocol":"HTTP/1.1","request_id":"6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77","route_id":"api",'
    b'"server_name":null,"timestamp":"2026-07-01T09:30:00.123456789+00:00","tls_cipher":null,'
    b'"tls_version":null,"upstream_id":null},"method":"GET","uri":"/api/users?id=42"}')
CORRELATION_ID = "Jx7Qm2Rp4Kd"
HANDSHAKE_REQUEST, HANDSHAKE_RESPONSE, EVENT_REQUEST_HEADERS, AGENT_RESPONSE = 0x01, 0x02, 0x10, 0x20


def frame(kind, payload):
    return struct.pack(">IB", len(payload) + 1, kind) + payload


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock):
    length, kind = struct.unpack(">IB", read_exactly(sock, 5))
    if length < 1 or length > 16 * 1024 * 1024:
        raise ValueError(f"invalid frame length {length}")
    return kind, read_exactly(sock, length - 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("--decision")
    parser.add_argument("--tag")
    parser.add_argument("--set-header")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    # The golden frames' headers, as the specification gives them.
    assert frame(HANDSHAKE_REQUEST, HANDSHAKE)[:5] == bytes.fromhex("0000007d01")
    assert frame(EVENT_REQUEST_HEADERS, REQUEST_HEADERS)[:5] == bytes.fromhex("0000020c10")

    problems = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(args.timeout)
        sock.connect(args.socket)
        sock.sendall(frame(HANDSHAKE_REQUEST, HANDSHAKE))
        kind, payload = read_frame(sock)
        if kind != HANDSHAKE_RESPONSE:
            raise SystemExit(f"agent_client: first frame has type 0x{kind:02x}, expected 0x02")
        handshake = json.loads(payload)
        print("handshake: " + json.dumps(handshake, sort_keys=True))
        if handshake.get("success") is not True or handshake.get("protocol_version") != 2:
            problems.append("handshake: success must be true and protocol_version 2")

        sock.sendall(frame(EVENT_REQUEST_HEADERS, REQUEST_HEADERS))
        while True:  # the agent may send control frames (health, metrics) in between
            kind, payload = read_frame(sock)
            if kind == AGENT_RESPONSE:
                break
            print(f"(control frame 0x{kind:02x} skipped)")
        response = json.loads(payload)
        print("response: " + json.dumps(response, sort_keys=True))

    if response.get("version") != 2:
        problems.append(f"version is {response.get('version')!r}, expected 2")
    correlation = response.get("audit", {}).get("custom", {}).get("correlation_id")
    if correlation != CORRELATION_ID:
        problems.append(f"audit.custom.correlation_id is {correlation!r}, expected {CORRELATION_ID!r}")
    if args.decision:
        decision = response.get("decision")
        name = decision if isinstance(decision, str) else next(iter(decision or {}), None)
        if name != args.decision:
            problems.append(f"decision is {decision!r}, expected {args.decision!r}")
    if args.tag and args.tag not in response.get("audit", {}).get("tags", []):
        problems.append(f"audit.tags {response.get('audit', {}).get('tags')!r} lacks {args.tag!r}")
    if args.set_header:
        name, value = args.set_header.split("=", 1)
        ops = response.get("request_headers", [])
        if not any(op.get("set", {}).get("name", "").lower() == name.lower()
                   and op.get("set", {}).get("value") == value for op in ops):
            problems.append(f"request_headers {ops!r} lacks set {name}: {value}")
    for problem in problems:
        print("agent_client: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
