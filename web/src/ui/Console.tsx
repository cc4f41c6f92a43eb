// The agent console: header, room list with "New conversation", and the open room.

import { useState } from "preact/hooks";
import type { RoomKind } from "../client/wire";
import type { ChatStore } from "../state/chat";
import { signOut } from "../state/session";
import { ConnectionBadge } from "./ConnectionBadge";
import { Conversation } from "./Conversation";
import { IssueActions } from "./IssueActions";
import { RobotPanel } from "./Robots";
import { SupervisorDashboard } from "./Supervisor";
import { AdminUsers } from "./Admin";
import { RoomHeader } from "./RoomHeader";

export function Console({ store }: { store: ChatStore }) {
  const selected = store.selected.value;
  const room = selected ? store.rooms.value[selected] : undefined;
  const isSupervisor = store.me.identity.roles.includes("supervisor");
  const isAdmin = store.me.identity.roles.includes("admin");
  const [view, setView] = useState<"rooms" | "dashboard" | "admin">(isSupervisor ? "dashboard" : "rooms");
  return (
    <div class="console">
      <header class="topbar">
        <h1>iStackBuddy Chat</h1>
        <ConnectionBadge store={store} />
        <span class="who">
          {store.me.identity.displayName}
          {store.me.identity.tier ? ` (${store.me.identity.tier})` : ""}
        </span>
        {view !== "rooms" && (
          <button type="button" onClick={() => setView("rooms")}>Conversations</button>
        )}
        {isSupervisor && view !== "dashboard" && (
          <button type="button" onClick={() => setView("dashboard")}>Supervisor dashboard</button>
        )}
        {isAdmin && view !== "admin" && (
          <button type="button" onClick={() => setView("admin")}>Users</button>
        )}
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      {store.error.value && <p role="alert" class="error">{store.error.value}</p>}
      {view === "admin" ? (
        <main class="main">
          <AdminUsers store={store} />
        </main>
      ) : view === "dashboard" ? (
        <main class="main">
          <SupervisorDashboard store={store} onOpen={() => setView("rooms")} />
        </main>
      ) : (
      <div class="panes">
        <aside class="sidebar">
          <NewConversation store={store} />
          <RoomList store={store} />
        </aside>
        <main class="main">
          {room ? (
            <>
              <RoomHeader key={room.id} store={store} roomId={room.id} />
              <div class="tools">
                <IssueActions store={store} roomId={room.id} />
                <RobotPanel store={store} roomId={room.id} />
              </div>
              <Conversation store={store} roomId={room.id} />
            </>
          ) : (
            <p class="muted">No conversation open. Start one with “New conversation”.</p>
          )}
        </main>
      </div>
      )}
    </div>
  );
}

function RoomList({ store }: { store: ChatStore }) {
  const rooms = store.roomList.value;
  return (
    <nav aria-label="Conversations">
      <ul class="rooms">
        {rooms.map((r) => {
          const issue = store.issues.value[r.issueId];
          const unread = store.unread.value[r.id] ?? 0;
          return (
            <li key={r.id}>
              <button
                type="button"
                class={r.id === store.selected.value ? "room selected" : "room"}
                aria-current={r.id === store.selected.value ? "true" : undefined}
                onClick={() => void store.select(r.id)}
              >
                <span class="title">{issue?.title ?? r.title}</span>
                <span class="meta">
                  {issue?.customerName && <span>{issue.customerName}</span>}
                  {issue?.tier && <span class="badge">{issue.tier}</span>}
                  <span class={`badge status-${r.status}`}>{r.status}</span>
                  {unread > 0 && <span class="badge unread" aria-label={`${unread} unread`}>{unread}</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function NewConversation({ store }: { store: ChatStore }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [customer, setCustomer] = useState("");
  const [formId, setFormId] = useState("");
  const [kind, setKind] = useState<RoomKind>("solo");
  const [error, setError] = useState<string>();

  if (!open) {
    return <button type="button" onClick={() => setOpen(true)}>New conversation</button>;
  }
  async function create(e: Event) {
    e.preventDefault();
    setError(undefined);
    try {
      await store.createRoom(kind, title, {
        title,
        customerName: customer.trim() || undefined,
        formId: formId.trim() || undefined,
      });
      setOpen(false);
      setTitle("");
      setCustomer("");
      setFormId("");
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return (
    <form class="card" onSubmit={create} aria-label="New conversation">
      <label for="nc-title">Title</label>
      <input id="nc-title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      <label for="nc-customer">Customer name</label>
      <input id="nc-customer" value={customer} onInput={(e) => setCustomer(e.currentTarget.value)} />
      <label for="nc-form">Form id</label>
      <input id="nc-form" inputMode="numeric" value={formId} onInput={(e) => setFormId(e.currentTarget.value)} />
      <fieldset>
        <legend>Kind</legend>
        <label><input type="radio" name="nc-kind" checked={kind === "solo"} onChange={() => setKind("solo")} /> Solo</label>
        <label><input type="radio" name="nc-kind" checked={kind === "group"} onChange={() => setKind("group")} /> Group</label>
      </fieldset>
      {error && <p role="alert" class="error">{error}</p>}
      <div class="row">
        <button type="submit">Create</button>
        <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </form>
  );
}
