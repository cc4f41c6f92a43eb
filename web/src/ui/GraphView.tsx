// The forms robot's logic graph as SVG: nodes on a circle (simple, deterministic,
// no layout library), edges as lines, cycle members in red so the loops stand out.

import type { GraphData, Message } from "../client/wire";

const MAX_NODES = 150;

export function GraphView({ message }: { message: Message }) {
  const g = message.data as GraphData | undefined;
  if (!g || g.omitted) {
    return (
      <p class="text">
        Logic graph too large to show ({g?.nodeCount ?? "?"} nodes, {g?.edgeCount ?? "?"} edges); see the report.
      </p>
    );
  }
  const nodes = g.nodes.slice(0, MAX_NODES);
  const size = 520;
  const r = size / 2 - 60;
  const pos = new Map(
    nodes.map((n, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
      return [n.id, { x: size / 2 + r * Math.cos(a), y: size / 2 + r * Math.sin(a) }];
    }),
  );
  const cycleNodes = g.nodes.filter((n) => n.inCycle).length;
  return (
    <figure class="graph">
      <svg viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`Logic graph: ${g.nodes.length} nodes, ${cycleNodes} in cycles`}>
        {g.edges.map((e, i) => {
          const a = pos.get(e.from);
          const b = pos.get(e.to);
          if (!a || !b) return null;
          return <line key={i} x1={a.x} y1={a.y} x2={b.x} y2={b.y} class={e.inCycle ? "cycle" : ""} />;
        })}
        {nodes.map((n) => {
          const p = pos.get(n.id)!;
          return (
            <g key={n.id} class={n.inCycle ? "cycle" : ""}>
              <title>{`${n.label} (${n.kind})${n.inCycle ? " — in a cycle" : ""}`}</title>
              <circle cx={p.x} cy={p.y} r={6} />
              <text x={p.x + 8} y={p.y + 4}>{n.label.length > 18 ? `${n.label.slice(0, 17)}…` : n.label}</text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">
        {g.nodes.length} nodes, {g.edges.length} edges; {cycleNodes} in cycles (red)
        {g.nodes.length > MAX_NODES ? `; first ${MAX_NODES} shown` : ""}
      </figcaption>
    </figure>
  );
}
