import type { ChatStore } from "../state/chat";

const LABEL = {
  idle: "Not connected",
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
} as const;

/** The live connection state, announced politely to screen readers. */
export function ConnectionBadge({ store }: { store: ChatStore }) {
  const state = store.socket.state.value;
  return (
    <span class={`conn conn-${state}`} role="status" aria-label={`Connection: ${LABEL[state]}`}>
      {LABEL[state]}
    </span>
  );
}
