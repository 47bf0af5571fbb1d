// The await graph's layout (webview/src/graph/layout.ts, d3-dag per
// component): every node placed, no two boxes overlap, edges routed from
// node to node, and positions stable across updates that do not change a
// component's structure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { AwaitGraph, GraphEdge, GraphNode } from "../../model/graph";
import { parseTrace } from "../../model/trace";
import { GraphLayout, components, type LayoutResult } from "../../webview/src/graph/layout";

const node = (id: number, type: GraphNode["type"], kind = type as string, state = "pending"): GraphNode => ({
  id,
  type,
  kind,
  label: kind,
  state,
  loop: 1,
  dueNs: null,
});

function assertNoOverlap(g: AwaitGraph, r: LayoutResult): void {
  const boxes = g.nodes.map((n) => {
    const p = r.nodes.get(n.id);
    assert.ok(p !== undefined, `node ${n.id} is placed`);
    assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y));
    return { id: n.id, x0: p.x - p.w / 2, x1: p.x + p.w / 2, y0: p.y - p.h / 2, y1: p.y + p.h / 2 };
  });
  boxes.sort((a, b) => a.x0 - b.x0);
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i]!;
    for (let j = i + 1; j < boxes.length && boxes[j]!.x0 < a.x1; j++) {
      const b = boxes[j]!;
      const overlap = a.x1 > b.x0 + 0.01 && b.x1 > a.x0 + 0.01 && a.y1 > b.y0 + 0.01 && b.y1 > a.y0 + 0.01;
      assert.ok(!overlap, `nodes ${a.id} and ${b.id} overlap`);
    }
  }
}

function assertRoutes(g: AwaitGraph, r: LayoutResult): void {
  for (const e of g.edges) {
    if (e.type === "created-by" || e.from === e.to) continue;
    const pts = r.routes.get(`${e.from}>${e.to}`);
    assert.ok(pts !== undefined && pts.length >= 2, `edge ${e.from}>${e.to} is routed`);
    const a = r.nodes.get(e.from)!;
    const b = r.nodes.get(e.to)!;
    assert.deepEqual(pts[0], [a.x, a.y]);
    assert.deepEqual(pts[pts.length - 1], [b.x, b.y]);
  }
}

/** main awaits a gather of n tasks, each awaiting its own sleep. */
function gatherStar(n: number): AwaitGraph {
  const nodes = [node(1, "task"), node(2, "future", "gather")];
  const edges: GraphEdge[] = [{ from: 1, to: 2, type: "awaits" }];
  for (let i = 0; i < n; i++) {
    const t = 100 + 2 * i;
    nodes.push(node(t, "task"), node(t + 1, "timer", "sleep"));
    edges.push({ from: 2, to: t, type: "gather-child" }, { from: t, to: t + 1, type: "awaits" });
    edges.push({ from: t, to: 1, type: "created-by" });
  }
  return { nodes, edges, truncated: false };
}

test("recorded programs: every node placed, no overlaps, every structural edge routed between its nodes", () => {
  const dir = join(process.cwd(), "test/fixtures/traces");
  for (const name of ["producer_consumer", "gather_and_timeouts", "await_cycle", "deadlock", "leaky_tasks"]) {
    const { model } = parseTrace(readFileSync(join(dir, `${name}.jsonl`), "utf8"));
    for (const includeDone of [false, true]) {
      const g = model.awaitGraph({ includeDone });
      const r = new GraphLayout().layout(g);
      assert.equal(r.nodes.size, g.nodes.length, name);
      assertNoOverlap(g, r);
      assertRoutes(g, r);
    }
  }
});

test("a gather of 300 tasks with their sleeps (one component, leaves folded) has no overlaps", () => {
  const g = gatherStar(300);
  const r = new GraphLayout().layout(g);
  assert.equal(r.components, 1);
  assertNoOverlap(g, r);
  assertRoutes(g, r);
  // Each sleep sits right of the task awaiting it, on its row.
  for (let i = 0; i < 300; i++) {
    const t = r.nodes.get(100 + 2 * i)!;
    const s = r.nodes.get(101 + 2 * i)!;
    assert.equal(s.y, t.y);
    assert.ok(s.x - s.w / 2 > t.x + t.w / 2);
  }
});

test("identical components are laid out once; a state change or a new sleep future moves nothing", () => {
  const g1: AwaitGraph = {
    nodes: [node(1, "task"), node(2, "timer", "sleep"), node(3, "task"), node(4, "timer", "sleep"), node(5, "task")],
    edges: [
      { from: 1, to: 2, type: "awaits" },
      { from: 3, to: 4, type: "awaits" },
    ],
    truncated: false,
  };
  const L = new GraphLayout();
  const r1 = L.layout(g1);
  assert.equal(r1.components, 3);
  assert.equal(r1.computed, 2, "task→sleep once, the lone task once");
  // Task 1 finished its sleep and awaits a new one (id 6); task 3 changed state.
  const g2: AwaitGraph = {
    nodes: [
      node(1, "task"),
      node(6, "timer", "sleep"),
      node(3, "task", "task", "running"),
      node(4, "timer", "sleep"),
      node(5, "task"),
    ],
    edges: [
      { from: 1, to: 6, type: "awaits" },
      { from: 3, to: 4, type: "awaits" },
    ],
    truncated: false,
  };
  const r2 = L.layout(g2);
  assert.equal(r2.computed, 0);
  for (const id of [1, 3, 4, 5]) assert.deepEqual(r2.nodes.get(id), r1.nodes.get(id), `node ${id}`);
  assert.deepEqual({ ...r2.nodes.get(6)!, id: 2 }, r1.nodes.get(2));
  // A new component does not move the others.
  const g3: AwaitGraph = {
    nodes: [...g2.nodes, node(7, "task"), node(8, "queue", "Queue")],
    edges: [...g2.edges, { from: 7, to: 8, type: "awaits" }],
    truncated: false,
  };
  const r3 = L.layout(g3);
  for (const id of [1, 3, 4, 5, 6]) assert.deepEqual(r3.nodes.get(id), r2.nodes.get(id), `node ${id}`);
  assertNoOverlap(g3, r3);
});

test("created-by edges do not shape the layout", () => {
  const g = gatherStar(20);
  const without: AwaitGraph = { ...g, edges: g.edges.filter((e) => e.type !== "created-by") };
  const a = new GraphLayout().layout(g);
  const b = new GraphLayout().layout(without);
  assert.deepEqual([...a.nodes.entries()], [...b.nodes.entries()]);
});

test("components: equal structure gives equal signatures, different structure different ones", () => {
  const [a, b] = components({
    nodes: [node(1, "task"), node(2, "timer", "sleep"), node(10, "task"), node(11, "timer", "sleep")],
    edges: [
      { from: 1, to: 2, type: "awaits" },
      { from: 10, to: 11, type: "awaits" },
    ],
    truncated: false,
  });
  assert.equal(a!.sig, b!.sig);
  const [c] = components({
    nodes: [node(1, "task"), node(2, "future", "queue-get")],
    edges: [{ from: 1, to: 2, type: "awaits" }],
    truncated: false,
  });
  assert.notEqual(c!.sig, a!.sig);
  const cyc = components({
    nodes: [node(1, "task"), node(2, "task")],
    edges: [
      { from: 1, to: 2, type: "awaits" },
      { from: 2, to: 1, type: "awaits" },
    ],
    truncated: false,
  });
  assert.equal(cyc.length, 1);
  assert.equal(cyc[0]!.ids.length, 2);
});
