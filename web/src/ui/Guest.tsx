// The guest view, opened from `<origin>/join#code=…`: a name, then the chat.

import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../client/http";
import { http, session, signOut, startSession } from "../state/session";
import type { ChatStore } from "../state/chat";
import { ConnectionBadge } from "./ConnectionBadge";
import { Conversation } from "./Conversation";

function inviteCode(): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return params.get("code") ?? undefined;
}

export function GuestView() {
  const [left, setLeft] = useState(false);
  const store = session.value;
  if (left) {
    return (
      <main class="center">
        <p class="card" role="status">You left the conversation. You can close this tab.</p>
      </main>
    );
  }
  if (store?.isGuest && store.me.roomId) {
    // After an escalation to a new room the guest's access moves there: follow the
    // newest room the guest is in.
    const current = store.roomList.value[0]?.id ?? store.me.roomId;
    return <GuestChat store={store} roomId={current} onLeft={() => setLeft(true)} />;
  }
  return <JoinForm />;
}

function JoinForm() {
  const code = inviteCode();
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (!code) {
    return (
      <main class="center">
        <p class="card" role="alert">This invite link is incomplete. Ask for a new one.</p>
      </main>
    );
  }
  async function join(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await http.joinAsGuest({ inviteCode: code!, displayName: name.trim() });
      // The code is single-use: drop it from the address bar (and from history).
      history.replaceState(null, "", "/join");
      startSession();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "unauthorized"
          ? "This invite link has expired or was already used. Ask for a new one."
          : `Cannot join: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="center">
      <form class="card" onSubmit={join} aria-labelledby="join-title">
        <h1 id="join-title">Join the support chat</h1>
        <label for="guest-name">Your name</label>
        <input id="guest-name" required autocomplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>Join</button>
      </form>
    </main>
  );
}

function GuestChat({ store, roomId, onLeft }: { store: ChatStore; roomId: string; onLeft: () => void }) {
  const room = store.rooms.value[roomId];
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (store.selected.value !== roomId) void store.select(roomId).catch(() => {});
  }, [roomId]);
  async function leave() {
    try {
      if (room?.status === "open") await store.socket.request("room.leave", { roomId });
      signOut();
      onLeft();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <div class="guest">
      <header class="topbar">
        <h1>{room?.title ?? "Support chat"}</h1>
        <ConnectionBadge store={store} />
        <span class="who">{store.me.identity.displayName}</span>
        <button type="button" onClick={() => void leave()}>Leave</button>
      </header>
      {error && <p role="alert" class="error">{error}</p>}
      <main class="main">
        <Conversation store={store} roomId={roomId} />
        {room?.status === "concluded" && <Rating store={store} roomId={roomId} />}
      </main>
    </div>
  );
}

/** CSAT: once per room, shortly after it concludes. */
function Rating({ store, roomId }: { store: ChatStore; roomId: string }) {
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState("");
  const [state, setState] = useState<"asking" | "sent" | string>("asking");
  if (state === "sent") return <p class="notice" role="status">Thank you for your feedback.</p>;
  async function rate(e: Event) {
    e.preventDefault();
    try {
      await store.socket.request("issue.rate", { roomId, rating, comment: comment.trim() || undefined });
      setState("sent");
    } catch (err) {
      setState((err as Error).message);
    }
  }
  return (
    <form class="card rating" onSubmit={rate} aria-label="Rate this conversation">
      <fieldset>
        <legend>How did we do?</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input type="radio" name="rating" checked={rating === n} onChange={() => setRating(n)} /> {n}
          </label>
        ))}
      </fieldset>
      <label for="rating-comment">Comment</label>
      <input id="rating-comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <button type="submit" disabled={rating === 0}>Rate</button>
      {state !== "asking" && <p role="alert" class="error">{state}</p>}
    </form>
  );
}
