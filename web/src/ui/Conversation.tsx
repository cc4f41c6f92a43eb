// One room: its message log (history paging, live events, typing) and the composer.
// Shared by the agent console and the guest view.

import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatStore } from "../state/chat";
import { uploadFile } from "../client/files";
import { MessageItem } from "./MessageItem";

export function Conversation({ store, roomId }: { store: ChatStore; roomId: string }) {
  const room = store.rooms.value[roomId];
  const state = store.roomState.value[roomId];
  const messages = state?.messages ?? [];
  const logRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  // Follow new messages unless the reader scrolled up to read older ones.
  useEffect(() => {
    const el = logRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, messages.at(-1)?.text]);

  const typers = Object.entries(store.typing.value[roomId] ?? {})
    .filter(([, until]) => until > Date.now())
    .map(([userId]) => store.displayName(roomId, userId));

  const concluded = room?.status === "concluded";

  return (
    <section class="conversation" aria-label={room?.title ?? "Conversation"}>
      <div
        class="log"
        role="log"
        aria-label="Messages"
        ref={logRef}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {state?.hasOlder && (
          <button type="button" class="link" onClick={() => void store.loadOlder(roomId)}>
            Load earlier messages
          </button>
        )}
        {state && !state.loaded && <p class="muted">Loading…</p>}
        {messages.map((m) => (
          <MessageItem
            key={m.id}
            message={m}
            mine={m.author.id === store.me.identity.userId}
            http={store.http}
            onShare={
              !store.isGuest && !concluded && m.author.kind === "robot" && m.visibility === "employees" && m.status === "complete"
                ? async (text) => store.accept(await store.socket.request("message.share", { roomId, messageId: m.id, text }))
                : undefined
            }
          />
        ))}
      </div>
      <p class="typing" aria-live="polite">
        {typers.length > 0 && `${typers.join(", ")} ${typers.length > 1 ? "are" : "is"} typing…`}
      </p>
      {concluded ? (
        <p class="notice" role="status">
          This conversation has concluded{room?.conclusion ? ` (${room.conclusion})` : ""}.
        </p>
      ) : room && !room.members.some((p) => p.id === store.me.identity.userId) ? (
        <p class="notice" role="status">You are observing this conversation silently.</p>
      ) : (
        <Composer store={store} roomId={roomId} />
      )}
    </section>
  );
}

function Composer({ store, roomId }: { store: ChatStore; roomId: string }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [whisper, setWhisper] = useState(false);
  const [progress, setProgress] = useState<number>();
  const fileRef = useRef<HTMLInputElement>(null);

  async function upload(file: File) {
    setError(undefined);
    setProgress(0);
    try {
      const message = await uploadFile(store.http, roomId, file, setProgress, whisper ? "employees" : undefined);
      store.accept({ message });
      if (message.status === "failed") setError(`Upload failed: ${message.text}`);
    } catch (e) {
      setError(`Upload failed: ${(e as Error).message}`);
    } finally {
      setProgress(undefined);
    }
  }

  async function send() {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await store.send(roomId, body, whisper ? "employees" : undefined);
      setText("");
    } catch (e) {
      setError(`Not sent: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for={`composer-${roomId}`}>Message</label>
      <textarea
        id={`composer-${roomId}`}
        rows={2}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          store.notifyTyping(roomId);
        }}
        onKeyDown={(e) => {
          // Enter sends; Shift+Enter starts a new line; never while composing (IME).
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" disabled={busy || !text.trim()}>Send</button>
      {!store.isGuest && (
        <label class="inline">
          <input type="checkbox" checked={whisper} onChange={(e) => setWhisper(e.currentTarget.checked)} />
          Employees only (whisper)
        </label>
      )}
      <div class="upload">
        <input
          type="file"
          hidden
          ref={fileRef}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (file) void upload(file);
          }}
        />
        <button type="button" disabled={progress !== undefined} onClick={() => fileRef.current?.click()}>
          Upload file
        </button>
        {progress !== undefined && <progress aria-label="Upload progress" max={1} value={progress} />}
      </div>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
