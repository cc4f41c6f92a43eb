// The tab's session: one Http (holding the token) and, once signed in, one ChatStore.

import { effect, signal } from "@preact/signals";
import type { RuntimeConfig } from "../client/config";
import { Http } from "../client/http";
import { ChatStore } from "./chat";

/** Replaced once by `configure` before the first render (hence `let`). */
export let http = new Http();
let wsUrl: string | undefined;

export function configure(config: RuntimeConfig): void {
  http = new Http(config.apiUrl);
  wsUrl = config.wsUrl;
}

/** The live session of this tab, if signed in. */
export const session = signal<ChatStore | undefined>(undefined);

/** Set when the server ended the session (disabled, revoked, expired). */
export const sessionEnded = signal(false);

export function startSession(): ChatStore {
  session.value?.stop();
  const store = new ChatStore(http, undefined, wsUrl);
  session.value = store;
  sessionEnded.value = false;
  // The socket gives up only when the server refuses the session (Http has then
  // forgotten the token): back to the sign-in screen, saying why.
  const stopWatching = effect(() => {
    if (store.socket.state.value === "closed" && !http.credentials && session.peek() === store) {
      queueMicrotask(() => {
        stopWatching();
        store.stop();
        session.value = undefined;
        sessionEnded.value = true;
      });
    }
  });
  store.start().catch((e: unknown) => (store.error.value = e instanceof Error ? e.message : String(e)));
  return store;
}

export function signOut(): void {
  session.value?.stop();
  session.value = undefined;
  http.signOut();
}

/** A reload of a signed-in tab picks its session up again (sessionStorage, same tab). */
export function resumeSession(): void {
  if (http.credentials && !session.value) startSession();
}
