// vitest/config re-exports Vite's defineConfig with the `test` block typed.
import { defineConfig } from "vitest/config";

// The gateway the dev and preview servers forward API calls to. Proxying keeps the
// app same-origin in development, so no CORS setup is needed and the WebSocket
// handshake carries a loopback Origin that chat-local already allows.
const target = process.env.CHAT_API ?? "http://127.0.0.1:8080";

const apiPaths = ["/auth", "/me", "/users", "/files", "/supervisor", "/admin", "/blobs", "/healthz"];

const proxy: Record<string, { target: string; changeOrigin: boolean; ws?: boolean }> = {};
for (const path of apiPaths) proxy[path] = { target, changeOrigin: false };
proxy["/ws"] = { target: target.replace(/^http/, "ws"), changeOrigin: false, ws: true };

export default defineConfig({
  // Preact's automatic JSX runtime via esbuild: no Babel plugin needed.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  server: { proxy, strictPort: true },
  preview: { proxy, strictPort: true },
  build: { outDir: "dist", target: "es2022", sourcemap: false },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
