// Where the API is. Locally the UI is served by the gateway itself (or by Vite with a
// proxy), so both are this page's origin. On AWS the UI comes from S3/CloudFront and
// the HTTP and WebSocket APIs have their own URLs, written at deploy time into
// `/config.json` next to index.html: {"apiUrl": "https://…", "wsUrl": "wss://…/prod"}.

export interface RuntimeConfig {
  /** Prefix for HTTP paths ("" = same origin). */
  apiUrl: string;
  /** The WebSocket endpoint, without the ticket. */
  wsUrl: string;
}

export function sameOrigin(loc: { protocol: string; host: string } = location): RuntimeConfig {
  return { apiUrl: "", wsUrl: `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws` };
}

/** Reads `/config.json` when the deployment provides one; same origin otherwise. */
export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  const fallback = sameOrigin();
  try {
    const res = await fetchImpl("/config.json", { cache: "no-store" });
    if (!res.ok || !res.headers.get("content-type")?.includes("json")) return fallback;
    const c = (await res.json()) as Partial<RuntimeConfig>;
    return {
      apiUrl: typeof c.apiUrl === "string" ? c.apiUrl.replace(/\/$/, "") : fallback.apiUrl,
      wsUrl: typeof c.wsUrl === "string" ? c.wsUrl : fallback.wsUrl,
    };
  } catch {
    return fallback;
  }
}
