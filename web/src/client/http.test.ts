import { describe, expect, it } from "vitest";
import { ApiError, Http, type KeyValueStore } from "./http";

class MemoryStore implements KeyValueStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

const identity = { userId: "u1", username: "alice", kind: "employee", tier: "T1", roles: [], displayName: "Alice" };
const future = new Date(Date.now() + 3_600_000).toISOString();

function fakeFetch(answers: Array<[number, unknown]>, seen: Array<{ url: string; init: RequestInit }>) {
  return (async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    const [status, body] = answers.shift()!;
    return new Response(body === undefined ? "" : JSON.stringify(body), { status });
  }) as unknown as typeof fetch;
}

describe("Http", () => {
  it("logs in, keeps the token for this tab only, and sends it as a bearer", async () => {
    const store = new MemoryStore();
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const http = new Http("", store, fakeFetch([[200, { token: "tok", expiresAt: future, identity }], [200, { ticket: "tk", expiresAt: future }]], seen));
    await http.login({ username: "alice", password: "alice-pass" });
    expect(JSON.parse(store.getItem("istackbuddy.session")!).token).toBe("tok");
    expect(await http.ticket()).toBe("tk");
    expect(seen[1].url).toBe("/auth/ws-ticket");
    expect((seen[1].init.headers as Record<string, string>).authorization).toBe("Bearer tok");
    // A new Http in the same tab (a reload) picks the session up.
    expect(new Http("", store).credentials?.identity.username).toBe("alice");
  });

  it("maps the error body to ApiError and forgets a rejected token", async () => {
    const store = new MemoryStore();
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const http = new Http("", store, fakeFetch([
      [200, { token: "tok", expiresAt: future, identity }],
      [401, { error: { code: "unauthorized", message: "revoked" } }],
    ], seen));
    await http.login({ username: "alice", password: "x" });
    const err = await http.ticket().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "unauthorized", status: 401, message: "revoked" });
    expect(http.credentials).toBeUndefined();
    expect(store.getItem("istackbuddy.session")).toBeNull();
  });

  it("ignores an expired saved session", () => {
    const store = new MemoryStore();
    store.setItem("istackbuddy.session", JSON.stringify({ token: "t", expiresAt: "2000-01-01T00:00:00Z", identity }));
    expect(new Http("", store).credentials).toBeUndefined();
  });

  it("refuses authenticated calls before sign-in without touching the network", async () => {
    const http = new Http("", new MemoryStore(), (() => { throw new Error("no"); }) as unknown as typeof fetch);
    await expect(http.ticket()).rejects.toMatchObject({ code: "unauthorized" });
  });
});
