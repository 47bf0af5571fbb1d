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

/** A big component of mixed shapes: a gather of tasks awaiting sleeps, gets on 3 queues, locks, small gathers. */
function server(n: number): AwaitGraph {
  const nodes = [node(1, "task"), node(2, "future", "gather")];
  const edges: GraphEdge[] = [{ from: 1, to: 2, type: "awaits" }];
  const qs = [3, 4, 5];
  for (const q of qs) nodes.push(node(q, "queue", "Queue"));
  nodes.push(node(6, "sync", "Lock"));
  let id = 10;
  for (let i = 0; i < n; i++) {
    const t = id++;
    nodes.push(node(t, "task"));
    edges.push({ from: 2, to: t, type: "gather-child" });
    const f = id++;
    switch (i % 4) {
      case 0:
        nodes.push(node(f, "timer", "sleep"));
        edges.push({ from: t, to: f, type: "awaits" });
        break;
      case 1:
        nodes.push(node(f, "future", "get"));
        edges.push({ from: t, to: f, type: "awaits" }, { from: f, to: qs[i % 3]!, type: "owned-by" });
        break;
      case 2:
        nodes.push(node(f, "future", "acquire"));
        edges.push({ from: t, to: f, type: "awaits" }, { from: f, to: 6, type: "owned-by" });
        break;
      default: {
        nodes.push(node(f, "future", "gather"));
        edges.push({ from: t, to: f, type: "awaits" });
        for (let j = 0; j <= i % 3; j++) {
          const c = id++;
          const s = id++;
          nodes.push(node(c, "task"), node(s, "timer", "sleep"));
          edges.push({ from: f, to: c, type: "gather-child" }, { from: c, to: s, type: "awaits" });
        }
      }
    }
  }
  return { nodes, edges, truncated: false };
}

test("big components: pieces of one shape between the same hubs are stacked; no overlaps, every edge routed", () => {
  for (const g of [server(400), gatherStar(500)]) {
    const r = new GraphLayout().layout(g);
    assert.equal(r.components, 1);
    assertNoOverlap(g, r);
    assertRoutes(g, r);
  }
  // The consumers of a queue (task → get-future → queue) stand in one column, each future right of its task.
  const g = server(400);
  const r = new GraphLayout().layout(g);
  const getters = g.edges.filter((e) => e.type === "owned-by" && e.to === 3).map((e) => e.from);
  assert.ok(getters.length > 20);
  const xs = new Set(getters.map((f) => r.nodes.get(f)!.x));
  assert.equal(xs.size, 1, "one column");
  for (const e of g.edges.filter((x) => x.type === "awaits" && getters.includes(x.to))) {
    assert.equal(r.nodes.get(e.from)!.y, r.nodes.get(e.to)!.y, "a consumer and its get-future on one row");
    assert.ok(r.nodes.get(e.from)!.x < r.nodes.get(e.to)!.x);
  }
});

test("the layout is incremental: an update places again only the components it changed", () => {
  const g1 = server(200);
  const extra: GraphNode[] = [];
  const extraEdges: GraphEdge[] = [];
  for (let i = 0; i < 50; i++) {
    extra.push(node(100_000 + 2 * i, "task"), node(100_001 + 2 * i, "timer", "sleep"));
    extraEdges.push({ from: 100_000 + 2 * i, to: 100_001 + 2 * i, type: "awaits" });
  }
  const g = { nodes: [...g1.nodes, ...extra], edges: [...g1.edges, ...extraEdges], truncated: false };
  const L = new GraphLayout();
  const r1 = L.layout(g);
  assert.equal(r1.components, 51);
  assert.equal(r1.placed, 51);
  // Nothing changed: nothing placed again, nothing moved.
  const r2 = L.layout(g);
  assert.equal(r2.placed, 0);
  assert.equal(r2.computed, 0);
  for (const [id, p] of r1.nodes) assert.equal(r2.nodes.get(id), p, `node ${id}`);
  // One worker moves on to its next sleep, another finishes: two components placed again, the rest untouched.
  const nodes = g.nodes.filter((n) => n.id !== 100_001 && n.id !== 100_002 && n.id !== 100_003);
  nodes.push(node(200_000, "timer", "sleep"));
  const edges = g.edges.filter((e) => e.to !== 100_001 && e.from !== 100_002);
  edges.push({ from: 100_000, to: 200_000, type: "awaits" });
  const r3 = L.layout({ nodes, edges, truncated: false });
  assert.equal(r3.placed, 1);
  assert.equal(r3.computed, 0);
  assert.equal(r3.components, 50);
  assert.deepEqual({ ...r3.nodes.get(200_000)!, id: 100_001 }, r1.nodes.get(100_001));
  for (const [id, p] of r1.nodes)
    if (id !== 100_000 && r3.nodes.has(id)) assert.equal(r3.nodes.get(id), p, `node ${id}`);
});
