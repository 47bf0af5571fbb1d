// The await graph and wait-for cycles, computed from the current state. Works
// on anything shaped like the model's maps (the model's own records and the
// mirror's plain views both fit), so the adapter and the webview share it.

import type { AwaitKind, FutureState, TaskState } from "./types";

export interface TaskLike {
  readonly id: number;
  readonly name: string;
  readonly coro: string;
  readonly loop: number;
  readonly state: TaskState;
  readonly parent: number | null;
  readonly awaitingId: number | null;
  readonly awaitingKind: AwaitKind | null;
}
export interface FutureLike {
  readonly id: number;
  readonly type: string;
  readonly state: FutureState;
  readonly loop: number | null;
  readonly owner: number | null;
  readonly children: readonly number[];
  readonly dueNs: number | null;
}
export interface QueueLike {
  readonly id: number;
  readonly type: string;
  readonly size: number;
  readonly maxsize: number;
  readonly getters: readonly number[];
  readonly putters: readonly number[];
}
export interface SyncLike {
  readonly id: number;
  readonly type: string;
  readonly state: string;
  readonly waiters: readonly number[];
  readonly holder: number | null;
}

/** Read access to a model's objects by id. */
export interface ModelReader {
  readonly tasks: ReadonlyMap<number, TaskLike>;
  readonly futures: ReadonlyMap<number, FutureLike>;
  readonly queues: ReadonlyMap<number, QueueLike>;
  readonly syncs: ReadonlyMap<number, SyncLike>;
}

/**
 * task: an asyncio Task; future: any future but a sleep; timer: a sleep()
 * future (dueNs set); queue / sync: a queue or primitive; unknown: an id
 * something awaits that the model has not seen or has evicted.
 */
export type GraphNodeType = "task" | "future" | "timer" | "queue" | "sync" | "unknown";

export interface GraphNode {
  readonly id: number;
  readonly type: GraphNodeType;
  /** Future type, queue/primitive class, "task", or the awaiter's idea of the kind for unknown ones. */
  readonly kind: string;
  readonly label: string;
  /** Task/future state, primitive state, queue "size/maxsize", "" for unknown. */
  readonly state: string;
  readonly loop: number | null;
  readonly dueNs: number | null;
}

/**
 * awaits: a task's latest step left it awaiting the target (also a task
 * listed as getter/putter/waiter of a queue or primitive).
 * created-by: from a task to the task that created it.
 * gather-child: from a gather/wait/shield future to what it collects.
 * owned-by: from a future to the queue or primitive it belongs to.
 */
export type GraphEdgeType = "awaits" | "created-by" | "gather-child" | "owned-by";

export interface GraphEdge {
  readonly from: number;
  readonly to: number;
  readonly type: GraphEdgeType;
}

export interface AwaitGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  /** True when maxNodes cut the graph. */
  readonly truncated: boolean;
}

export interface AwaitGraphOptions {
  /** Seed finished tasks too (default false: only pending/running tasks seed the graph). */
  includeDone?: boolean;
  /** Keep only objects of this loop (futures without a loop are kept). */
  loop?: number;
  /** Keep only what is connected (edges taken both ways) to these ids. */
  roots?: readonly number[];
  /** With roots: at most this many hops away (default unlimited). */
  depth?: number;
  /** Include created-by edges (default true). */
  createdBy?: boolean;
  /** At most this many nodes (default 5000); the graph says truncated. */
  maxNodes?: number;
}

const FINISHED = new Set<string>(["done", "cancelled", "failed"]);

/**
 * The await graph of the current state. Seeds: live tasks (all tasks with
 * includeDone), and queues / primitives that have waiters. Everything a seed
 * awaits, owns or collects is pulled in whatever its state, so every edge has
 * both ends as nodes.
 */
export function awaitGraph(m: ModelReader, opts: AwaitGraphOptions = {}): AwaitGraph {
  const includeDone = opts.includeDone ?? false;
  const createdBy = opts.createdBy ?? true;
  const maxNodes = opts.maxNodes ?? 5000;
  const loop = opts.loop;

  const nodes = new Map<number, GraphNode>();
  const edges: GraphEdge[] = [];
  /** Keys of the edges that two expansions can both make (the ones into queues and primitives). */
  const sharedEdgeKeys = new Set<string>();
  const pending: number[] = [];
  // Without roots the graph is cut at maxNodes as it grows, whole neighbourhoods first (each
  // seed's closure is expanded before the next seed): a cut graph shows tasks with what they
  // await, not tasks alone, and 10,000 tasks cost what maxNodes nodes cost.
  const cutEarly = opts.roots === undefined;
  let full = false;

  const inLoop = (l: number | null): boolean => loop === undefined || l === null || l === loop;

  /** An edge that only its from-node's expansion makes, once. */
  const addEdge = (from: number, to: number, type: GraphEdgeType): void => {
    edges.push({ from, to, type });
  };
  /** An edge that a queue's or primitive's expansion can make too. */
  const addSharedEdge = (from: number, to: number, type: GraphEdgeType): void => {
    const key = `${from}>${to}>${type}`;
    if (sharedEdgeKeys.has(key)) return;
    sharedEdgeKeys.add(key);
    edges.push({ from, to, type });
  };
  const isOwner = (id: number): boolean => m.queues.has(id) || m.syncs.has(id);

  /** Adds a node for id (whatever it is); returns false if filtered out by loop, or the graph is full. */
  const addNode = (id: number, kindHint: string | null): boolean => {
    if (nodes.has(id)) return true;
    if (cutEarly && nodes.size >= maxNodes) {
      full = true;
      return false;
    }
    const t = m.tasks.get(id);
    if (t !== undefined) {
      if (!inLoop(t.loop)) return false;
      nodes.set(id, {
        id,
        type: "task",
        kind: "task",
        label: t.name || t.coro || `task ${id}`,
        state: t.state,
        loop: t.loop,
        dueNs: null,
      });
      pending.push(id);
      return true;
    }
    const f = m.futures.get(id);
    if (f !== undefined) {
      if (!inLoop(f.loop)) return false;
      const timer = f.type === "sleep";
      nodes.set(id, {
        id,
        type: timer ? "timer" : "future",
        kind: f.type,
        label: timer ? "sleep" : f.type,
        state: f.state,
        loop: f.loop,
        dueNs: f.dueNs,
      });
      pending.push(id);
      return true;
    }
    const q = m.queues.get(id);
    if (q !== undefined) {
      nodes.set(id, {
        id,
        type: "queue",
        kind: q.type,
        label: q.type,
        state: `${q.size}/${q.maxsize > 0 ? q.maxsize : "∞"}`,
        loop: null,
        dueNs: null,
      });
      pending.push(id);
      return true;
    }
    const s = m.syncs.get(id);
    if (s !== undefined) {
      nodes.set(id, { id, type: "sync", kind: s.type, label: s.type, state: s.state, loop: null, dueNs: null });
      pending.push(id);
      return true;
    }
    const kind = kindHint ?? "unknown";
    nodes.set(id, { id, type: "unknown", kind, label: `${kind} #${id}`, state: "", loop: null, dueNs: null });
    return true;
  };

  /** A waiter listed by a queue/primitive: a future owned by it, or a task awaiting it. */
  const linkWaiter = (w: number, owner: number): void => {
    if (m.futures.has(w)) {
      if (addNode(w, null)) addSharedEdge(w, owner, "owned-by");
    } else if (m.tasks.has(w)) {
      if (addNode(w, null)) addSharedEdge(w, owner, "awaits");
    } else if (addNode(w, null)) {
      addSharedEdge(w, owner, "owned-by");
    }
  };

  /** Expands the nodes not expanded yet: edges out of each, pulling their targets in. */
  let expanded = 0;
  const expand = (): void => {
    for (; expanded < pending.length && !full; expanded++) {
      const id = pending[expanded]!;
      const t = m.tasks.get(id);
      if (t !== undefined) {
        const a = t.awaitingId;
        if (a !== null && addNode(a, t.awaitingKind)) {
          if (isOwner(a)) addSharedEdge(id, a, "awaits");
          else addEdge(id, a, "awaits");
        }
        if (createdBy && t.parent !== null) {
          const p = m.tasks.get(t.parent);
          if (p !== undefined && addNode(p.id, null)) addEdge(id, p.id, "created-by");
        }
        continue;
      }
      const f = m.futures.get(id);
      if (f !== undefined) {
        const kids = f.children;
        if (kids.length > 0) {
          const once = kids.length > 1 ? new Set<number>() : null;
          for (const c of kids) {
            if (once !== null) {
              if (once.has(c)) continue;
              once.add(c);
            }
            if (addNode(c, null)) addEdge(id, c, "gather-child");
          }
        }
        if (f.owner !== null && addNode(f.owner, null)) addSharedEdge(id, f.owner, "owned-by");
        continue;
      }
      const q = m.queues.get(id);
      if (q !== undefined) {
        for (const w of q.getters) linkWaiter(w, id);
        for (const w of q.putters) linkWaiter(w, id);
        continue;
      }
      const s = m.syncs.get(id);
      if (s !== undefined) for (const w of s.waiters) linkWaiter(w, id);
    }
  };

  // Seeds, by id so that the result does not depend on the maps' insertion order.
  const byId = <V extends { readonly id: number }>(map: ReadonlyMap<number, V>, keep: (v: V) => boolean): number[] => {
    const ids: number[] = [];
    for (const v of map.values()) if (keep(v)) ids.push(v.id);
    return ids.sort((a, b) => a - b);
  };
  const seeds = [
    ...byId(m.tasks, (t) => includeDone || !FINISHED.has(t.state)),
    ...byId(m.queues, (q) => q.getters.length > 0 || q.putters.length > 0),
    ...byId(m.syncs, (s) => s.waiters.length > 0),
  ];
  for (const id of seeds) {
    if (full) break;
    addNode(id, null);
    if (cutEarly) expand();
  }
  expand();

  let keep: Set<number> | null = null;
  if (opts.roots !== undefined) {
    const adj = new Map<number, number[]>();
    const link = (a: number, b: number): void => {
      let l = adj.get(a);
      if (l === undefined) adj.set(a, (l = []));
      l.push(b);
    };
    for (const e of edges) {
      link(e.from, e.to);
      link(e.to, e.from);
    }
    const depth = opts.depth ?? Infinity;
    keep = new Set<number>();
    let frontier: number[] = [];
    for (const r of opts.roots) {
      if (nodes.has(r) && !keep.has(r)) {
        keep.add(r);
        frontier.push(r);
      }
    }
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const next: number[] = [];
      for (const a of frontier)
        for (const b of adj.get(a) ?? []) {
          if (!keep.has(b)) {
            keep.add(b);
            next.push(b);
          }
        }
      frontier = next;
    }
  }

  let outNodes = keep === null ? [...nodes.values()] : [...nodes.values()].filter((n) => keep.has(n.id));
  let truncated = full;
  if (outNodes.length > maxNodes) {
    outNodes = outNodes.slice(0, maxNodes);
    truncated = true;
  }
  if (keep === null && !truncated) return { nodes: outNodes, edges, truncated };
  const present = new Set(outNodes.map((n) => n.id));
  const outEdges = edges.filter((e) => present.has(e.from) && present.has(e.to));
  return { nodes: outNodes, edges: outEdges, truncated };
}

export interface DeadlockCycle {
  /** The tasks of the cycle in wait order: tasks[i] waits for tasks[i+1], the last for the first. */
  readonly tasks: number[];
  /** via[i]: the future through which tasks[i] waits for the next one, or null when it awaits that task directly. */
  readonly via: (number | null)[];
}

/**
 * Cycles in the task wait-for graph: A waits for B when A's latest step left
 * it awaiting B, or a pending future that (through gather/wait/shield
 * children, nested) collects B, or a pending future owned by task B. Only
 * unfinished tasks and pending futures count.
 *
 * Limit: who holds a lock or will put into a queue is not on the wire, so a
 * deadlock through primitives (A holds L1 and waits for L2, B holds L2 and
 * waits for L1) is not found; only cycles of task → task waits are.
 * Returns one cycle per strongly connected component, ordered by its smallest
 * task id.
 */
export function deadlockCycles(m: ModelReader): DeadlockCycle[] {
  // Successors with the future each edge goes through.
  const succ = new Map<number, { to: number; via: number | null }[]>();
  // What the current task's walk has seen: ids stamped with the task's number (one map for all
  // tasks, not two sets per task: this runs on every view update over 10,000 tasks).
  const seen = new Map<number, number>();
  let stamp = 0;
  for (const t of m.tasks.values()) {
    if (FINISHED.has(t.state) || t.awaitingId === null) continue;
    // The common case, a task awaiting a plain future (a sleep): no task behind it.
    const f0 = m.futures.get(t.awaitingId);
    if (f0 !== undefined && (f0.state !== "pending" || (f0.children.length === 0 && f0.owner === null))) continue;
    const out: { to: number; via: number | null }[] = [];
    const here = ++stamp;
    const visit = (id: number, via: number | null): void => {
      const tt = m.tasks.get(id);
      if (tt !== undefined) {
        if (!FINISHED.has(tt.state) && seen.get(id) !== here) {
          seen.set(id, here);
          out.push({ to: id, via });
        }
        return;
      }
      const f = m.futures.get(id);
      if (f === undefined || f.state !== "pending" || seen.get(id) === here) return;
      seen.set(id, here);
      const v = via ?? id;
      for (const c of f.children) visit(c, v);
      if (f.owner !== null && m.tasks.has(f.owner)) visit(f.owner, v);
      // A task waiting on a held lock waits on the task that holds it.
      const held = f.owner !== null ? m.syncs.get(f.owner) : undefined;
      if (held !== undefined && held.holder !== null) visit(held.holder, v);
    };
    visit(t.awaitingId, null);
    if (out.length > 0) succ.set(t.id, out);
  }

  // Tarjan's SCC, iterative.
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const sccs: number[][] = [];
  let counter = 0;
  for (const start of succ.keys()) {
    if (index.has(start)) continue;
    const work: { v: number; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = succ.get(top.v) ?? [];
      if (top.i < edges.length) {
        const w = edges[top.i++]!.to;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        }
      } else {
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1]!.v;
          low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
        }
        if (low.get(top.v) === index.get(top.v)) {
          const comp: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            comp.push(w);
          } while (w !== top.v);
          const self = comp.length === 1 && (succ.get(top.v) ?? []).some((e) => e.to === top.v);
          if (comp.length > 1 || self) sccs.push(comp);
        }
      }
    }
  }

  // One concrete cycle per component: BFS from its smallest id back to itself.
  const cycles: DeadlockCycle[] = [];
  for (const comp of sccs) {
    const members = new Set(comp);
    const s = Math.min(...comp);
    const prev = new Map<number, { from: number; via: number | null }>();
    const queue = [s];
    let found = false;
    for (let qi = 0; qi < queue.length && !found; qi++) {
      const v = queue[qi]!;
      for (const e of succ.get(v) ?? []) {
        if (!members.has(e.to)) continue;
        if (e.to === s) {
          prev.set(-Infinity, { from: v, via: e.via }); // the closing edge
          found = true;
          break;
        }
        if (!prev.has(e.to)) {
          prev.set(e.to, { from: v, via: e.via });
          queue.push(e.to);
        }
      }
    }
    if (!found) continue; // cannot happen for a strongly connected component
    const tasks: number[] = [];
    const via: (number | null)[] = [];
    let link = prev.get(-Infinity)!;
    // Walk back from the node that closes the cycle to s.
    let v = link.from;
    via.unshift(link.via);
    tasks.unshift(v);
    while (v !== s) {
      link = prev.get(v)!;
      v = link.from;
      via.unshift(link.via);
      tasks.unshift(v);
    }
    cycles.push({ tasks, via });
  }
  cycles.sort((a, b) => a.tasks[0]! - b.tasks[0]!);
  return cycles;
}
