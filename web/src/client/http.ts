// HTTP half of the client: JSON requests with the bearer token, errors as ApiError.
//
// Where the token lives: in memory, mirrored to sessionStorage so a reload of the same
// tab stays signed in. sessionStorage is per tab and is cleared when the tab closes, so
// the token never outlives the tab, and it is never put in a URL (the WebSocket uses a
// single-use ticket instead) nor in localStorage.

import type {
  ErrorBody,
  ErrorCode,
  GuestLoginRequest,
  GuestTokenResponse,
  IdentityView,
  LoginRequest,
  TicketResponse,
  TokenResponse,
} from "./wire";

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | "network",
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** What a signed-in tab keeps: enough to talk to the API and to know who it is. */
export interface Credentials {
  token: string;
  expiresAt: string;
  identity: IdentityView;
  /** Guests are bound to one room. */
  roomId?: string;
}

const STORAGE_KEY = "istackbuddy.session";

/** Minimal Storage so tests (and private modes without storage) can pass their own. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function defaultStore(): KeyValueStore | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled: memory only
  }
}

export class Http {
  private creds: Credentials | undefined;

  constructor(
    private readonly base = "",
    private readonly store: KeyValueStore | undefined = defaultStore(),
    private readonly fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args),
  ) {
    const saved = this.store?.getItem(STORAGE_KEY);
    if (saved) {
      try {
        const creds = JSON.parse(saved) as Credentials;
        if (Date.parse(creds.expiresAt) > Date.now()) this.creds = creds;
      } catch {
        this.store?.removeItem(STORAGE_KEY);
      }
    }
  }

  get credentials(): Credentials | undefined {
    return this.creds;
  }

  private remember(creds: Credentials | undefined) {
    this.creds = creds;
    if (creds) this.store?.setItem(STORAGE_KEY, JSON.stringify(creds));
    else this.store?.removeItem(STORAGE_KEY);
  }

  signOut() {
    this.remember(undefined);
  }

  async login(body: LoginRequest): Promise<Credentials> {
    const r = await this.json<TokenResponse>("POST", "/auth/login", body, false);
    const creds = { token: r.token, expiresAt: r.expiresAt, identity: r.identity };
    this.remember(creds);
    return creds;
  }

  async joinAsGuest(body: GuestLoginRequest): Promise<Credentials> {
    const r = await this.json<GuestTokenResponse>("POST", "/auth/guest", body, false);
    const creds = { token: r.token, expiresAt: r.expiresAt, identity: r.identity, roomId: r.roomId };
    this.remember(creds);
    return creds;
  }

  /** A single-use WebSocket ticket: browsers cannot set headers on the handshake. */
  async ticket(): Promise<string> {
    const r = await this.json<TicketResponse>("POST", "/auth/ws-ticket", undefined, true);
    return r.ticket;
  }

  /** A non-JSON answer (a Markdown transcript), as text. */
  async text(path: string): Promise<string> {
    if (!this.creds) throw new ApiError("unauthorized", "not signed in", 401);
    const res = await this.fetchImpl(this.base + path, {
      headers: { authorization: `Bearer ${this.creds.token}` },
    }).catch((e) => {
      throw new ApiError("network", `cannot reach the server (${String(e)})`);
    });
    const body = await res.text();
    if (!res.ok) {
      const detail = (safeParse(body) as Partial<ErrorBody> | undefined)?.error;
      throw new ApiError(detail?.code ?? "internal", detail?.message ?? `HTTP ${res.status}`, res.status);
    }
    return body;
  }

  async json<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth) {
      if (!this.creds) throw new ApiError("unauthorized", "not signed in", 401);
      headers.authorization = `Bearer ${this.creds.token}`;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError("network", `cannot reach the server (${String(e)})`);
    }
    const text = await res.text();
    const parsed: unknown = text ? safeParse(text) : undefined;
    if (!res.ok) {
      const detail = (parsed as Partial<ErrorBody> | undefined)?.error;
      // A token the server no longer accepts ends the session in this tab.
      if (res.status === 401 && auth) this.remember(undefined);
      throw new ApiError(detail?.code ?? "internal", detail?.message ?? `HTTP ${res.status}`, res.status);
    }
    return parsed as T;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
