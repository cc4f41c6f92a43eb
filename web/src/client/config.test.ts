import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "./config";

vi.stubGlobal("location", { protocol: "https:", host: "chat.example" });

function answer(status: number, body: string, type: string) {
  return (async () => new Response(body, { status, headers: { "content-type": type } })) as unknown as typeof fetch;
}

describe("loadConfig", () => {
  it("uses the deploy-time config.json when there is one", async () => {
    const c = await loadConfig(answer(200, '{"apiUrl":"https://api.example/","wsUrl":"wss://ws.example/prod"}', "application/json"));
    expect(c).toEqual({ apiUrl: "https://api.example", wsUrl: "wss://ws.example/prod" });
  });

  it("falls back to this origin (an SPA fallback answers HTML, or nothing is there)", async () => {
    expect(await loadConfig(answer(200, "<!doctype html>", "text/html"))).toEqual({ apiUrl: "", wsUrl: "wss://chat.example/ws" });
    expect(await loadConfig(answer(404, "", "text/plain"))).toEqual({ apiUrl: "", wsUrl: "wss://chat.example/ws" });
  });
});
