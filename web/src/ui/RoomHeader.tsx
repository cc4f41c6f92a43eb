// The open room's header: what it is about, and inviting people in (a guest by link,
// an employee from the directory) or leaving it.

import { useState } from "preact/hooks";
import type { DirectoryEntry, UsersResponse } from "../client/wire";
import type { ChatStore } from "../state/chat";

export function RoomHeader({ store, roomId }: { store: ChatStore; roomId: string }) {
  const room = store.rooms.value[roomId]!;
  const issue = store.issues.value[room.issueId];
  const [link, setLink] = useState<string>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState(false);
  const [people, setPeople] = useState<DirectoryEntry[]>();
  const [person, setPerson] = useState("");
  const isMember = room.members.some((m) => m.id === store.me.identity.userId);
  const open = room.status === "open";

  async function run(f: () => Promise<void>) {
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const inviteGuest = () =>
    run(async () => {
      setCopied(false);
      setLink(await store.inviteGuest(roomId));
    });
  const showPeople = () =>
    run(async () => {
      const { users } = await store.http.json<UsersResponse>("GET", "/users");
      const here = new Set(room.members.map((m) => m.id));
      const others = users.filter((u) => !here.has(u.userId));
      setPeople(others);
      setPerson(others[0]?.userId ?? "");
    });
  const inviteEmployee = () =>
    run(async () => {
      store.accept(await store.socket.request("room.invite", { roomId, userId: person }));
      setPeople(undefined);
    });
  const leave = () =>
    run(async () => {
      store.accept(await store.socket.request("room.leave", { roomId }));
      store.socket.unfollow(roomId);
      await store.refreshRooms();
      store.selected.value = store.roomList.value[0]?.id;
    });

  return (
    <header class="roomhead">
      <div>
        <h2>{issue?.title ?? room.title}</h2>
        <p class="muted">
          {[issue?.customerName, issue?.tier, room.kind, room.status, `${room.onlineCount}/${room.memberCount} online`]
            .filter(Boolean)
            .join(" · ")}
        </p>
      </div>
      {open && isMember && (
        <div class="row">
          <button type="button" onClick={() => void inviteGuest()}>Invite guest</button>
          <button type="button" onClick={() => void showPeople()}>Invite employee</button>
          <button type="button" onClick={() => void leave()}>Leave room</button>
        </div>
      )}
      {people && (
        <div class="invite">
          <label for="invite-employee">Employee</label>
          <select id="invite-employee" value={person} onChange={(e) => setPerson(e.currentTarget.value)}>
            {people.map((p) => (
              <option key={p.userId} value={p.userId}>
                {p.displayName} {p.tier ? `(${p.tier})` : ""} {p.online ? "· online" : ""}
              </option>
            ))}
          </select>
          <button type="button" disabled={!person} onClick={() => void inviteEmployee()}>Invite</button>
          <button type="button" onClick={() => setPeople(undefined)}>Cancel</button>
        </div>
      )}
      {link && (
        <div class="invite">
          <label for="guest-link">Guest link</label>
          <input id="guest-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <button
            type="button"
            onClick={() => void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => {})}
          >
            {copied ? "Copied" : "Copy link"}
          </button>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </header>
  );
}
