// A file or image message: thumbnail for images, a download button for both. URLs are
// short-lived, so they are asked for when shown / clicked, never stored.

import { useEffect, useState } from "preact/hooks";
import type { Http } from "../client/http";
import { fileUrl } from "../client/files";
import type { FileData, Message } from "../client/wire";

export function FileBody({ message: m, http }: { message: Message; http: Http }) {
  const data = m.data as FileData | undefined;
  const [thumb, setThumb] = useState<string>();
  const [error, setError] = useState<string>();
  // Images show inline: the thumbnail when the server made one, else the original
  // (e.g. the forms robot's SVG graph, which gets no PNG thumbnail).
  const showInline = m.contentType === "image" && m.status === "complete";
  const variant = data?.thumbnail ? "thumbnail" : "original";

  useEffect(() => {
    if (!showInline || !data) return;
    let live = true;
    fileUrl(http, data.fileId, variant).then(
      (r) => live && setThumb(r.downloadUrl),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [showInline, variant, data?.fileId]);

  if (m.status === "failed") return <p class="text error">{m.text}</p>;
  if (!data) return <p class="text">{m.text}</p>;

  async function download() {
    setError(undefined);
    try {
      const r = await fileUrl(http, data!.fileId);
      const a = document.createElement("a");
      a.href = r.downloadUrl;
      a.download = r.name;
      a.rel = "noopener";
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div class="file">
      {thumb && (
        <img src={thumb} alt={data.name} width={data.thumbnail?.width ?? data.width} height={data.thumbnail?.height ?? data.height} />
      )}
      <p class="text">
        {data.name} <span class="muted">({formatSize(data.size)})</span>
      </p>
      {m.status === "complete" ? (
        <button type="button" class="small" onClick={() => void download()} aria-label={`Download ${data.name}`}>
          Download
        </button>
      ) : (
        <span class="muted">Checking upload…</span>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </div>
  );
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
