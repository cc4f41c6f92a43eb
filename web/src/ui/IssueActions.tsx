// Escalate (same room or a new one), conclude, and the issue's history: the
// employee's controls over the issue a room belongs to.

import { useState } from "preact/hooks";
import type { Conclusion } from "../client/wire";
import type { ChatStore } from "../state/chat";

const CONCLUSIONS: Conclusion[] = ["resolved", "unresolved", "escalated", "guest-disengaged"];

export function IssueActions({ store, roomId }: { store: ChatStore; roomId: string }) {
  const room = store.rooms.value[roomId];
  const issue = room && store.issues.value[room.issueId];
  const [open, setOpen] = useState<"escalate" | "conclude" | undefined>();
  const [newRoom, setNewRoom] = useState(true);
  const [note, setNote] = useState("");
  const [conclusion, setConclusion] = useState<Conclusion>("resolved");
  const [error, setError] = useState<string>();
  if (!room) return null;

  async function run(f: () => Promise<void>) {
    setError(undefined);
    try {
      await f();
      setOpen(undefined);
      setNote("");
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const escalate = () =>
    run(async () => {
      const r = await store.socket.request("issue.escalate", { roomId, newRoom, note: note.trim() || undefined });
      store.accept(r);
      store.socket.follow(r.room.id, r.room.lastSeq);
      if (r.room.id !== roomId) await store.select(r.room.id);
    });
  const conclude = () =>
    run(async () => {
      store.accept(
        await store.socket.request("issue.conclude", { roomId, conclusion, note: note.trim() || undefined }),
      );
    });

  return (
    <div class="issue">
      {room.status === "open" && (
        <div class="row">
          <button type="button" aria-expanded={open === "escalate"} onClick={() => setOpen(open === "escalate" ? undefined : "escalate")}>
            Escalate
          </button>
          <button type="button" aria-expanded={open === "conclude"} onClick={() => setOpen(open === "conclude" ? undefined : "conclude")}>
            Conclude
          </button>
        </div>
      )}
      {open && (
        <form
          class="card"
          aria-label={open === "escalate" ? "Escalate" : "Conclude"}
          onSubmit={(e) => {
            e.preventDefault();
            void (open === "escalate" ? escalate() : conclude());
          }}
        >
          {open === "escalate" ? (
            <label class="inline">
              <input type="checkbox" checked={newRoom} onChange={(e) => setNewRoom(e.currentTarget.checked)} /> In a new room
            </label>
          ) : (
            <>
              <label for={`conclusion-${roomId}`}>Conclusion</label>
              <select id={`conclusion-${roomId}`} value={conclusion} onChange={(e) => setConclusion(e.currentTarget.value as Conclusion)}>
                {CONCLUSIONS.map((c) => <option key={c} value={c}>{c}</option>)}
              </select>
            </>
          )}
          <label for={`note-${roomId}`}>Note</label>
          <input id={`note-${roomId}`} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <div class="row">
            <button type="submit">{open === "escalate" ? "Escalate one tier" : "Conclude conversation"}</button>
            <button type="button" onClick={() => setOpen(undefined)}>Cancel</button>
          </div>
        </form>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      {issue && issue.history.length > 0 && (
        <details>
          <summary>Issue history ({issue.history.length})</summary>
          <ol class="history">
            {issue.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{new Date(h.at).toLocaleString()}</time> — {h.event}
                {h.note ? `: ${h.note}` : ""}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}
