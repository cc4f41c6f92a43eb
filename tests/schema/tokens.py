"""Prepares the schemathesis runs: prints `role token` lines for an employee (alice),
a supervisor (sam) and a guest of a fresh solo room, and writes a schemathesis config
(TOML) that points the operations' ids at real data, so the fuzzing reaches past
`404 not_found`: alice opens the room over the WebSocket, sends a message, uploads a
small file and invites the guest, who redeems the code over HTTP.

Usage: python3 tests/schema/tokens.py http://127.0.0.1:PORT CONFIG.toml
"""

import asyncio
import base64
import hashlib
import json
import sys
import urllib.request

import websockets


def post(base, path, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def upload(base, token, room_id):
    """A complete text file in the room; returns its id."""
    content = b"schema fuzzing\n"
    declared = post(base, "/files", {
        "roomId": room_id, "name": "note.txt", "contentType": "text/plain",
        "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
    }, token)
    put = declared["upload"]
    req = urllib.request.Request(put["url"], data=content, headers=put["headers"], method=put["method"])
    urllib.request.urlopen(req, timeout=10).close()
    done = post(base, f"/files/{declared['fileId']}/complete", {}, token)
    if done["message"]["status"] != "complete":
        raise SystemExit(f"upload did not complete: {done}")
    return declared["fileId"]


def login(base, user):
    return post(base, "/auth/login", {"username": user, "password": f"{user}-pass"})["token"]


async def call(ws, request_id, action, **fields):
    """Sends one action and returns its reply's data (events in between are skipped)."""
    await ws.send(json.dumps({"action": action, "requestId": request_id, **fields}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame.get("type") == "reply" and frame.get("requestId") == request_id:
            if not frame.get("ok"):
                raise SystemExit(f"{action} refused: {frame}")
            return frame["data"]


async def guest_room(base, employee_token):
    ws_url = base.replace("http://", "ws://", 1) + "/ws"
    headers = {"Authorization": f"Bearer {employee_token}"}
    async with websockets.connect(ws_url, additional_headers=headers, open_timeout=10) as ws:
        created = await call(
            ws, "1", "room.create", kind="solo", title="Schema fuzzing",
            issue={"title": "Schema fuzzing"},
        )
        room_id = created["room"]["id"]
        await call(ws, "2", "message.send", roomId=room_id, clientMsgId="fuzz-1", text="Hello")
        invite = await call(ws, "3", "room.inviteGuest", roomId=room_id, displayName="Fuzz Guest")
    # Redeemed after the socket closes: the room keeps its employee member either way.
    answer = post(base, "/auth/guest", {"inviteCode": invite["inviteCode"], "displayName": "Fuzz Guest"})
    return answer["token"], room_id, created["issue"]["id"]


def main():
    base, config = sys.argv[1].rstrip("/"), sys.argv[2]
    employee = login(base, "alice")
    supervisor = login(base, "sam")
    guest, room_id, issue_id = asyncio.run(guest_room(base, employee))
    file_id = upload(base, employee, room_id)
    with open(config, "w", encoding="utf-8") as f:
        f.write("[parameters]\n")
        for key, value in [("path.roomId", room_id), ("path.issueId", issue_id),
                           ("path.fileId", file_id), ("body.roomId", room_id)]:
            f.write(f"{json.dumps(key)} = {json.dumps(value)}\n")
    print("employee", employee)
    print("supervisor", supervisor)
    print("guest", guest)


if __name__ == "__main__":
    main()
