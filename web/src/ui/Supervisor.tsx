// The supervisor dashboard: live rooms (member, online and guest counts), queues by
// tier, issues by tier and status, the audit log; observe or break in from the table.
// Polled every few seconds: these are HTTP reads, not pushed.

import { useEffect, useState } from "preact/hooks";
import type {
  AuditResponse,
  Issue,
  IssuesResponse,
  Participant,
  ParticipantsResponse,
  QueuesResponse,
  RoomsResponse,
  RoomSummary,
} from "../client/wire";
import type { ChatStore } from "../state/chat";

const POLL_MS = 5_000;
const TIERS = ["T1", "T2", "T3"] as const;

interface Snapshot {
  rooms: RoomSummary[];
  queues: QueuesResponse["queues"];
  issues: Issue[];
  audit: AuditResponse["entries"];
}

export function SupervisorDashboard({ store, onOpen }: { store: ChatStore; onOpen: () => void }) {
  const [data, setData] = useState<Snapshot>();
  const [error, setError] = useState<string>();
  const [people, setPeople] = useState<{ title: string; participants: Participant[] }>();

  useEffect(() => {
    let live = true;
    async function load() {
      try {
        const [rooms, queues, issues, audit] = await Promise.all([
          store.http.json<RoomsResponse>("GET", "/supervisor/rooms?status=open"),
          store.http.json<QueuesResponse>("GET", "/supervisor/queues"),
          store.http.json<IssuesResponse>("GET", "/supervisor/issues"),
          store.http.json<AuditResponse>("GET", "/supervisor/audit?limit=500"),
        ]);
        if (live) {
          setData({ rooms: rooms.rooms, queues: queues.queues, issues: issues.issues, audit: audit.entries.slice(-20).reverse() });
          setError(undefined);
        }
      } catch (e) {
        if (live) setError((e as Error).message);
      }
    }
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [store]);

  async function act(f: () => Promise<void>) {
    try {
      await f();
      onOpen();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function participants(r: RoomSummary) {
    try {
      const { participants } = await store.http.json<ParticipantsResponse>(
        "GET",
        `/supervisor/rooms/${encodeURIComponent(r.id)}/participants`,
      );
      setPeople({ title: r.title, participants });
    } catch (e) {
      setError((e as Error).message);
    }
  }

  /** The room's Markdown transcript, saved as a file (the read is audited). */
  async function transcript(r: RoomSummary) {
    try {
      const md = await store.http.text(`/supervisor/rooms/${encodeURIComponent(r.id)}/transcript?format=markdown`);
      const url = URL.createObjectURL(new Blob([md], { type: "text/markdown" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `transcript-${r.id}.md`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section class="dashboard" aria-label="Supervisor dashboard">
      {error && <p role="alert" class="error">{error}</p>}
      {!data ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="stats">
            <div class="card">
              <h2>Queues</h2>
              <ul>
                {TIERS.map((t) => (
                  <li key={t}>{t}: {data.queues.find((q) => q.tier === t)?.waiting ?? 0} waiting</li>
                ))}
              </ul>
            </div>
            <div class="card">
              <h2>Issues</h2>
              <table aria-label="Issues by tier">
                <thead><tr><th>Tier</th><th>Open</th><th>Concluded</th></tr></thead>
                <tbody>
                  {TIERS.map((t) => (
                    <tr key={t}>
                      <th scope="row">{t}</th>
                      <td>{data.issues.filter((i) => i.tier === t && i.status === "open").length}</td>
                      <td>{data.issues.filter((i) => i.tier === t && i.status === "concluded").length}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <table class="rooms-table" aria-label="Rooms">
            <thead>
              <tr>
                <th>Title</th><th>Tier</th><th>Kind</th><th>Members</th><th>Online</th><th>Guests</th>
                <th>Waiting since</th><th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.rooms.map((r) => (
                <tr key={r.id}>
                  <td>{r.title}</td>
                  <td>{r.tier}</td>
                  <td>{r.kind}</td>
                  <td>{r.memberCount}</td>
                  <td>{r.onlineCount}</td>
                  <td>{r.guestCount}</td>
                  <td>{r.waitingSince ? new Date(r.waitingSince).toLocaleTimeString() : ""}</td>
                  <td class="row">
                    <button type="button" onClick={() => void act(() => store.observe(r.id))}>Observe</button>
                    <button type="button" onClick={() => void act(() => store.breakIn(r.id))}>Break in</button>
                    <button type="button" aria-label={`Participants of ${r.title}`} onClick={() => void participants(r)}>
                      Participants
                    </button>
                    <button type="button" aria-label={`Transcript of ${r.title}`} onClick={() => void transcript(r)}>
                      Transcript
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {people && (
            <div class="card">
              <h2>Participants: {people.title}</h2>
              <ul aria-label="Participants">
                {people.participants.map((p) => (
                  <li key={p.id}>
                    {p.displayName} — {p.kind}
                    {p.tier ? ` ${p.tier}` : ""}, {p.online ? "online" : "offline"}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <h2>Audit log</h2>
          <ol class="audit" aria-label="Audit log">
            {data.audit.map((e) => (
              <li key={e.seq}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> {e.actor} — {e.action}
                {e.roomId ? ` (${e.roomId})` : ""}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
