import { useState } from "preact/hooks";
import type { Http } from "../client/http";
import type { Message } from "../client/wire";
import { FileBody } from "./FileBody";
import { GraphView } from "./GraphView";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

interface Props {
  message: Message;
  mine: boolean;
  http: Http;
  /** Present when the viewer may share this message with everyone (employees, a
   * complete employees-only message). `text` is the edited copy, if edited. */
  onShare?: (text?: string) => Promise<void>;
}

/** One message. Robot answers and whispers are marked as seen by employees only, so an
 * agent never mistakes them for something the customer can read. */
export function MessageItem({ message: m, mine, http, onShare }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.text);
  const [error, setError] = useState<string>();
  const classes = ["msg", `by-${m.author.kind}`, mine ? "mine" : "", m.visibility === "employees" ? "private" : ""];

  async function share() {
    setError(undefined);
    try {
      await onShare!(draft.trim() && draft !== m.text ? draft : undefined);
      setEditing(false);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <article class={classes.join(" ")} aria-label={m.author.displayName}>
      <header>
        <span class="author">{m.author.displayName}</span>
        <time dateTime={m.createdAt}>{time.format(new Date(m.createdAt))}</time>
        {m.visibility === "employees" && <span class="badge">Employees only</span>}
        {m.sharedFrom && <span class="badge">Shared</span>}
        {m.status === "pending" && <span class="badge">Pending…</span>}
        {m.status === "streaming" && <span class="badge">Writing…</span>}
        {m.status === "failed" && <span class="badge error">Failed</span>}
        {onShare && !editing && (
          <button type="button" class="small" onClick={() => { setDraft(m.text); setEditing(true); }}>
            Share
          </button>
        )}
      </header>
      <Body message={m} http={http} />
      {editing && (
        <div class="share">
          <label for={`share-${m.id}`}>Shared text</label>
          <textarea id={`share-${m.id}`} rows={3} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          <div class="row">
            <button type="button" onClick={() => void share()}>Share with everyone</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
          {error && <p role="alert" class="error">{error}</p>}
        </div>
      )}
    </article>
  );
}

function Body({ message: m, http }: { message: Message; http: Http }) {
  if (m.contentType === "graph" && m.status === "complete") return <GraphView message={m} />;
  if (m.contentType === "file" || m.contentType === "image") return <FileBody message={m} http={http} />;
  return <p class="text">{m.text}</p>;
}
