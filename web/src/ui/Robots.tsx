// Robots in a room (employees only): pick one, invite it, ask it. Answers arrive as
// employees-only messages in the log (streamed or after a batch delay) and can be
// shared from there.

import { useEffect, useState } from "preact/hooks";
import type { FileData, RobotInfo } from "../client/wire";
import type { ChatStore } from "../state/chat";

let robotsCache: Promise<RobotInfo[]> | undefined;

export function RobotPanel({ store, roomId }: { store: ChatStore; roomId: string }) {
  const room = store.rooms.value[roomId];
  const [robots, setRobots] = useState<RobotInfo[]>([]);
  const [robot, setRobot] = useState("");
  const [question, setQuestion] = useState("");
  const [args, setArgs] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();

  useEffect(() => {
    robotsCache ??= store.socket.request("robot.list", {}).then((r) => r.robots);
    robotsCache.then(
      (list) => {
        setRobots(list);
        setRobot((current) => current || list[0]?.name || "");
      },
      (e: Error) => {
        robotsCache = undefined;
        setError(e.message);
      },
    );
  }, [store]);

  if (!room || room.status !== "open") return null;
  const inRoom = room.members.some((m) => m.kind === "robot" && (m.id === robot || m.displayName === robot));
  const info = robots.find((r) => r.name === robot);
  // Files of this room a robot can read (`args.fileId`).
  const files = (store.roomState.value[roomId]?.messages ?? []).filter(
    (m) => m.contentType === "file" && m.status === "complete" && m.author.kind !== "robot",
  );

  async function run(f: () => Promise<void>) {
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const invite = () =>
    run(async () => store.accept(await store.socket.request("robot.invite", { roomId, robot })));
  const ask = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const { request, response } = await store.socket.request("robot.ask", {
        roomId,
        robot,
        text: question.trim(),
        args: Object.fromEntries(Object.entries(args).filter(([k, v]) => v && info?.args.some((a) => a.name === k))),
        clientMsgId: crypto.randomUUID(),
      });
      store.accept({ messages: [request, response] });
      setQuestion("");
      setArgs({});
    });
  };

  return (
    <form class="robots" onSubmit={ask} aria-label="Robots">
      <label for={`robot-${roomId}`}>Robot</label>
      <select id={`robot-${roomId}`} value={robot} onChange={(e) => setRobot(e.currentTarget.value)}>
        {robots.map((r) => (
          <option key={r.name} value={r.name} title={r.description}>{r.name}</option>
        ))}
      </select>
      <button type="button" onClick={() => void invite()} disabled={!robot || inRoom}>Invite robot</button>
      <label for={`question-${roomId}`}>Question</label>
      <input id={`question-${roomId}`} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} />
      {info?.args.map((a) => {
        const id = `arg-${roomId}-${a.name}`;
        const set = (v: string) => setArgs({ ...args, [a.name]: v });
        return (
          <span key={a.name} class="arg">
            <label for={id} title={a.description}>{a.name === "fileId" ? "Form file" : a.name}</label>
            {a.name === "fileId" ? (
              <select id={id} value={args.fileId ?? ""} onChange={(e) => set(e.currentTarget.value)}>
                <option value="">(none)</option>
                {files.map((m) => {
                  const d = m.data as Pick<FileData, "fileId" | "name">;
                  return <option key={d.fileId} value={d.fileId}>{d.name}</option>;
                })}
              </select>
            ) : (
              <input id={id} value={args[a.name] ?? ""} onInput={(e) => set(e.currentTarget.value)} />
            )}
          </span>
        );
      })}
      <button type="submit" disabled={!robot || !question.trim()}>Ask</button>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
