// File upload and download (PROTOCOL §2 "Files"): declare, PUT the bytes to the
// pre-signed URL with exactly the headers given, then ask the server to check them.

import type { Http } from "./http";
import { ApiError } from "./http";
import type { CompleteFileResponse, CreateFileResponse, DownloadResponse, Message, Visibility } from "./wire";

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Uploads `file` into `roomId`; `onProgress` gets 0..1. Resolves with the completed
 * (or failed, with the reason as text) message. */
export async function uploadFile(
  http: Http,
  roomId: string,
  file: File,
  onProgress: (fraction: number) => void = () => {},
  visibility?: Visibility,
): Promise<Message> {
  const bytes = await file.arrayBuffer();
  const declared = await http.json<CreateFileResponse>("POST", "/files", {
    roomId,
    name: file.name,
    contentType: file.type || "application/octet-stream",
    size: file.size,
    sha256: await sha256Hex(bytes),
    visibility,
  });
  await put(declared.upload, bytes, onProgress);
  const done = await http.json<CompleteFileResponse>(
    "POST",
    `/files/${encodeURIComponent(declared.fileId)}/complete`,
  );
  return done.message;
}

/** XMLHttpRequest rather than fetch: fetch cannot report upload progress. */
function put(req: CreateFileResponse["upload"], body: ArrayBuffer, onProgress: (f: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? (onProgress(1), resolve())
        : reject(new ApiError("bad_request", `upload refused (HTTP ${xhr.status})`, xhr.status));
    xhr.onerror = () => reject(new ApiError("network", "upload failed"));
    xhr.send(body);
  });
}

/** A short-lived URL for the file (or its thumbnail). */
export function fileUrl(http: Http, fileId: string, variant: "original" | "thumbnail" = "original") {
  return http.json<DownloadResponse>("GET", `/files/${encodeURIComponent(fileId)}?variant=${variant}`);
}
