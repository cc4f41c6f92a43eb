import { useState } from "preact/hooks";
import { http, sessionEnded, startSession } from "../state/session";
import { ApiError } from "../client/http";

export function SignIn() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await http.login({ username, password });
      startSession();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "unauthorized"
          ? "Wrong username or password."
          : err instanceof ApiError && err.code === "rate_limited"
            ? "Too many attempts. Wait a little and try again."
            : `Cannot sign in: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="center">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">iStackBuddy Chat</h1>
        <label for="username">Username</label>
        <input id="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        {sessionEnded.value && !error && (
          <p role="alert" class="error">Your session has ended. Sign in again.</p>
        )}
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}
