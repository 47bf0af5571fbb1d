// Layout of the await graph: d3-dag's Sugiyama layout per connected
// component, left to right (awaiter → awaited), components packed on shelves.
//
// Stability (nodes must not jump on every delta):
// - Only structural edges shape the layout (awaits, gather-child, owned-by);
//   "created by" edges are drawn on top and can be toggled without moving
//   anything.
// - A component's layout is cached by a structural signature (node kinds and
//   edges in a canonical order, no ids), so an update that changes only states,
//   or swaps one sleep future for the next one, reuses the same positions, and
//   the many identical small components (a worker awaiting a sleep) are laid
//   out once.
// - Each component keeps the slot it was packed in while it still fits; new
//   or grown components take new slots at the end; the whole graph is
//   re-packed only when most of the area is holes, or when asked (fit/reset).
//
// Cost: the layout is incremental. Only components that have a node whose
// kind or structural out-edges changed, or that lost or gained a node, are
// found and placed again; the others keep their placed nodes and routes as
// they were (the same objects), so an update of a 5,000-node graph where a
// thousand tasks moved on to a new sleep costs a few milliseconds.
//
// Big components (more than SMALL_COMPONENT boxes): sibling branches of the
// same shape (the 2,500 tasks of a gather, each with its sleep; the consumers
// blocked on one queue, each through its own get-future) are handed to
// d3-dag as one tall node, a stack, whose copies are placed one under the
// other from one d3-dag layout of the branch. d3-dag then arranges a handful
// of nodes instead of thousands, with the cheap operators (DFS decrossing)
// kept for what remains big.

import {
  coordCenter,
  coordGreedy,
  decrossDfs,
  decrossTwoLayer,
  graph as dagGraph,
  layeringLongestPath,
  sugiyama,
  type MutGraphNode,
} from "d3-dag";
import type { AwaitGraph, GraphEdge, GraphNode } from "../../../model/graph";

export const NODE_H = 24;
const GAP_IN_LAYER = 10;
/** Between a node and the leaf folded into its box. */
const INLINE_GAP = 36;
const GAP_BETWEEN_LAYERS = 56;
const COMP_GAP = 24;
/**
 * Components with more boxes than this: sibling branches of one shape are
 * stacked, and d3-dag uses the linear-time DFS decrossing instead of
 * two-layer sweeps, and one node size for all.
 */
const SMALL_COMPONENT = 120;
/** A piece with more boxes than this is left to d3-dag (stacks are for many small pieces). */
const MAX_BRANCH = 40;

export function nodeWidth(n: GraphNode): number {
  switch (n.type) {
    case "task":
      return 160;
    case "queue":
    case "sync":
      return 130;
    default:
      return 104;
  }
}

/** Edge types that shape the layout; the others are drawn over it. */
export const isLayoutEdge = (e: GraphEdge): boolean => e.type !== "created-by";

export interface PlacedNode {
  readonly id: number;
  /** Centre. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface LayoutResult {
  readonly nodes: ReadonlyMap<number, PlacedNode>;
  /** Route of each structural edge ("from>to"), in graph coordinates. */
  readonly routes: ReadonlyMap<string, [number, number][]>;
  /** Structural out-neighbours of each node (deduplicated). */
  readonly out: ReadonlyMap<number, readonly number[]>;
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Components laid out by d3-dag in this call (the rest came from the cache). */
  readonly computed: number;
  /** Components found and placed again in this call (the rest kept their nodes as they were). */
  readonly placed: number;
}

interface CompLayout {
  /** Per canonical index: centre relative to the component's top-left. */
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** Edge routes by canonical "i>j". */
  readonly routes: Map<string, [number, number][]>;
  readonly w: number;
  readonly h: number;
}

interface Slot {
  x: number;
  y: number;
  w: number;
  h: number;
}

const edgeKey = (from: number, to: number): string => `${from}>${to}`;

/** A graph component: node ids in canonical order and the structural signature. */
interface Component {
  readonly ids: number[];
  readonly sig: string;
  readonly key: number;
  /** Structural edges as canonical index pairs (deduplicated). */
  readonly pairs: [number, number][];
}

/** A component as placed: its layout, its slot, and what it put into the result. */
interface Placed {
  readonly comp: Component;
  readonly lay: CompLayout;
  slot: Slot;
  nodes: PlacedNode[];
  routes: [string, [number, number][]][];
}

function kindLabel(n: GraphNode): string {
  return n.type === "future" || n.type === "unknown" ? "f" : n.type[0]!;
}

const KIND_WIDTH = new Map<string, string>();
/** Kind and width: what a node contributes to a structural signature (one string per node type). */
function kindWidth(n: GraphNode): string {
  let s = KIND_WIDTH.get(n.type);
  if (s === undefined) KIND_WIDTH.set(n.type, (s = kindLabel(n) + nodeWidth(n)));
  return s;
}

/** Node kinds in the order of their signature strings (futures and unknown ids alike). */
const TYPE_RANK: Record<GraphNode["type"], number> = { future: 0, unknown: 0, queue: 1, sync: 2, timer: 3, task: 4 };

/** The out- or in-list of a node without links (shared, never pushed to). */
const NONE: number[] = [];

/** Structural out- and in-neighbours of every node (deduplicated, no self-links, out lists sorted). */
interface Adjacency {
  readonly nodeById: Map<number, GraphNode>;
  readonly kw: Map<number, string>;
  readonly out: Map<number, number[]>;
  readonly inn: Map<number, number[]>;
}

function adjacency(g: AwaitGraph): Adjacency {
  const nodeById = new Map<number, GraphNode>();
  const kw = new Map<number, string>();
  const out = new Map<number, number[]>();
  const inn = new Map<number, number[]>();
  for (const n of g.nodes) {
    nodeById.set(n.id, n);
    kw.set(n.id, kindWidth(n));
    out.set(n.id, NONE);
    inn.set(n.id, NONE);
  }
  let dupes = false;
  for (const e of g.edges) {
    if (!isLayoutEdge(e) || e.from === e.to) continue;
    let o = out.get(e.from);
    let i = inn.get(e.to);
    if (o === undefined || i === undefined) continue;
    if (o === NONE) out.set(e.from, (o = []));
    if (i === NONE) inn.set(e.to, (i = []));
    o.push(e.to);
    i.push(e.from);
    if (o.length > 1) dupes = true;
  }
  if (dupes) {
    // Two edge types between the same nodes (awaits and owned-by, say) are one link here.
    const dedupe = (m: Map<number, number[]>): void => {
      for (const [id, l] of m) {
        if (l.length < 2) continue;
        l.sort((a, b) => a - b);
        let k = 1;
        for (let j = 1; j < l.length; j++) if (l[j] !== l[k - 1]) l[k++] = l[j]!;
        l.length = k;
        m.set(id, l);
      }
    };
    dedupe(out);
    dedupe(inn);
  }
  return { nodeById, kw, out, inn };
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** The connected groups (over structural edges both ways) that the seeds are in. */
function groupsFrom(seeds: Iterable<number>, adj: Adjacency, visited: Set<number>): number[][] {
  const groups: number[][] = [];
  for (const start of seeds) {
    if (visited.has(start) || !adj.nodeById.has(start)) continue;
    const members = [start];
    visited.add(start);
    for (let k = 0; k < members.length; k++) {
      const v = members[k]!;
      for (const list of [adj.out.get(v)!, adj.inn.get(v)!])
        for (const w of list) {
          if (!visited.has(w)) {
            visited.add(w);
            members.push(w);
          }
        }
    }
    groups.push(members);
  }
  return groups;
}

/**
 * A component with its nodes in canonical order: a DFS from the sources, ties
 * broken by kind, degrees and finally id. The signature encodes kinds, widths
 * and edges by those indexes, so equal signatures mean equal structure (the
 * cached layout is valid for it); isomorphic components ordered differently
 * only miss the cache.
 */
function canonical(members: number[], adj: Adjacency): Component {
  const { out, inn, kw, nodeById } = adj;
  if (members.length === 1) {
    const id = members[0]!;
    return { ids: members, sig: `${kw.get(id)!}|`, key: id, pairs: [] };
  }
  // Rank: kind, then out- and in-degree, as one number (cheap to compare).
  const ranks = new Map<number, number>();
  for (const id of members)
    ranks.set(id, TYPE_RANK[nodeById.get(id)!.type] * 1e12 + out.get(id)!.length * 1e6 + inn.get(id)!.length);
  const cmp = (a: number, b: number): number => ranks.get(a)! - ranks.get(b)! || a - b;
  // DFS along out-edges from sources (or from the smallest rank when all are in a cycle).
  const sources = members.filter((v) => inn.get(v)!.length === 0).sort(cmp);
  const roots = sources.length === members.length ? sources : [...sources, ...[...members].sort(cmp)];
  const order = dfsOrder(roots, (v) => out.get(v)!, cmp);
  const index = new Map<number, number>();
  order.forEach((v, i) => index.set(v, i));
  const pairs: [number, number][] = [];
  for (const v of order) for (const w of out.get(v)!) pairs.push([index.get(v)!, index.get(w)!]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const sig = order.map((v) => kw.get(v)!).join(",") + "|" + pairs.map(([a, b]) => `${a}-${b}`).join(",");
  let key = Infinity;
  for (const v of members) {
    const t = nodeById.get(v)!.type;
    if ((t === "task" || t === "queue" || t === "sync") && v < key) key = v;
  }
  if (key === Infinity) key = Math.min(...members);
  return { ids: order, sig, key, pairs };
}

/**
 * Depth-first order from the roots in turn (each root not reached yet starts
 * a walk), children in `cmp` order: the canonical order of a component or a
 * piece, so that equal shapes list their nodes in corresponding order.
 */
function dfsOrder(
  roots: readonly number[],
  next: (v: number) => readonly number[],
  cmp: (a: number, b: number) => number,
): number[] {
  const order: number[] = [];
  const placed = new Set<number>();
  for (const root of roots) {
    const stack = [root];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (placed.has(v)) continue;
      placed.add(v);
      order.push(v);
      const o = next(v);
      const kids = o.length === 1 ? o : o.filter((w) => !placed.has(w)).sort(cmp);
      for (let j = kids.length - 1; j >= 0; j--) if (!placed.has(kids[j]!)) stack.push(kids[j]!);
    }
  }
  return order;
}

/** Weakly connected components over the structural edges, each in canonical order (see canonical). */
export function components(g: AwaitGraph): Component[] {
  const adj = adjacency(g);
  const ids = [...adj.nodeById.keys()].sort((a, b) => a - b);
  return groupsFrom(ids, adj, new Set()).map((m) => canonical(m, adj));
}

export class GraphLayout {
  private readonly cache = new Map<string, CompLayout>();
  private slots = new Map<number, Slot>();
  private shelfWidth = 0;
  private cursorX = 0;
  private cursorY = 0;
  private rowH = 0;
  private usedArea = 0;
  private maxCache: number;
  /** The last call's structure: out-lists and kinds by node, and the component each node is in. */
  private prev: Adjacency | null = null;
  private compOf = new Map<number, Placed>();
  private placedComps = new Set<Placed>();
  private repack = true;

  constructor(maxCache = 2000) {
    this.maxCache = maxCache;
  }

  /** Forget where components were packed: the next layout packs them afresh. */
  resetPacking(): void {
    this.slots = new Map();
    this.shelfWidth = 0;
    this.cursorX = this.cursorY = this.rowH = 0;
    this.usedArea = 0;
    this.repack = true;
  }

  layout(g: AwaitGraph): LayoutResult {
    const adj = adjacency(g);
    const prev = this.prev;
    this.prev = adj;

    // Components to find again: those with a node that is new, gone, or whose kind or out-edges changed.
    const stale = new Set<Placed>();
    const seeds: number[] = [];
    if (prev === null) {
      for (const p of this.placedComps) stale.add(p);
      seeds.push(...[...adj.nodeById.keys()].sort((a, b) => a - b));
    } else {
      for (const [id, o] of adj.out) {
        const po = prev.out.get(id);
        if (po !== undefined && sameList(po, o) && prev.kw.get(id) === adj.kw.get(id)) continue;
        seeds.push(id);
        const p = this.compOf.get(id);
        if (p !== undefined) stale.add(p);
      }
      for (const id of prev.nodeById.keys()) {
        if (adj.nodeById.has(id)) continue;
        const p = this.compOf.get(id);
        if (p !== undefined) stale.add(p);
      }
      seeds.sort((a, b) => a - b);
    }
    // The nodes left of a stale component are seeds too (it may have split).
    for (const p of stale) for (const id of p.comp.ids) if (adj.nodeById.has(id)) seeds.push(id);
    const groups = groupsFrom(seeds, adj, new Set());
    // A component that was not stale but is reached from a seed has been merged into a new one.
    for (const grp of groups)
      for (const id of grp) {
        const p = this.compOf.get(id);
        if (p !== undefined && !stale.has(p)) stale.add(p);
      }
    for (const p of stale) {
      this.placedComps.delete(p);
      for (const id of p.comp.ids) if (this.compOf.get(id) === p) this.compOf.delete(id);
    }

    let computed = 0;
    const fresh: Placed[] = [];
    for (const members of groups) {
      const comp = canonical(members, adj);
      let lay = this.cache.get(comp.sig);
      if (lay === undefined) {
        lay = layoutComponent(comp, adj.nodeById, false);
        computed++;
        if (this.cache.size >= this.maxCache) {
          const first = this.cache.keys().next().value;
          if (first !== undefined) this.cache.delete(first);
        }
        this.cache.set(comp.sig, lay);
      } else {
        // Refresh its place in the LRU order.
        this.cache.delete(comp.sig);
        this.cache.set(comp.sig, lay);
      }
      const p: Placed = { comp, lay, slot: { x: 0, y: 0, w: 0, h: 0 }, nodes: [], routes: [] };
      fresh.push(p);
      this.placedComps.add(p);
      for (const id of comp.ids) this.compOf.set(id, p);
    }

    // Packing: keep slots that still fit, decide whether to re-pack.
    const keys = new Set<number>();
    for (const p of this.placedComps) keys.add(p.comp.key);
    for (const k of [...this.slots.keys()]) if (!keys.has(k)) this.slots.delete(k);
    let live = 0;
    let totalArea = 0;
    for (const p of this.placedComps) {
      const s = this.slots.get(p.comp.key);
      totalArea += (p.lay.w + COMP_GAP) * (p.lay.h + COMP_GAP);
      if (s !== undefined && p.lay.w <= s.w && p.lay.h <= s.h) live += s.w * s.h;
    }
    if (this.slots.size > 0 && this.usedArea > 0 && live < this.usedArea * 0.4) this.resetPacking();
    let toPlace: Iterable<Placed> = fresh;
    if (this.repack) {
      this.repack = false;
      this.shelfWidth = Math.max(700, Math.sqrt(totalArea) * 1.6);
      for (const p of this.placedComps) this.shelfWidth = Math.max(this.shelfWidth, p.lay.w + COMP_GAP);
      // Everything is placed again, in the order of the components' keys (stable).
      toPlace = [...this.placedComps].sort((a, b) => a.comp.key - b.comp.key);
    } else {
      fresh.sort((a, b) => a.comp.key - b.comp.key);
    }
    let placedNow = 0;
    for (const p of toPlace) {
      placedNow++;
      const { comp, lay } = p;
      let s = this.slots.get(comp.key);
      if (s === undefined || lay.w > s.w || lay.h > s.h) {
        s = this.allocate(lay.w, lay.h);
        this.slots.set(comp.key, s);
      }
      p.slot = s;
      p.nodes = comp.ids.map((id, i) => ({
        id,
        x: s.x + lay.xs[i]!,
        y: s.y + lay.ys[i]!,
        w: nodeWidth(adj.nodeById.get(id)!),
        h: NODE_H,
      }));
      p.routes = [];
      for (const [a, b] of comp.pairs) {
        const r = lay.routes.get(edgeKey(a, b));
        if (r !== undefined) {
          p.routes.push([edgeKey(comp.ids[a]!, comp.ids[b]!), shift(r, s.x, s.y)]);
        }
      }
    }

    const nodes = new Map<number, PlacedNode>();
    const routes = new Map<string, [number, number][]>();
    let width = 0;
    let height = 0;
    for (const p of this.placedComps) {
      for (const n of p.nodes) nodes.set(n.id, n);
      for (const [k, r] of p.routes) routes.set(k, r);
      width = Math.max(width, p.slot.x + p.slot.w);
      height = Math.max(height, p.slot.y + p.slot.h);
    }
    return {
      nodes,
      routes,
      out: adj.out,
      width,
      height,
      components: this.placedComps.size,
      computed,
      placed: placedNow,
    };
  }

  private allocate(w: number, h: number): Slot {
    if (this.cursorX > 0 && this.cursorX + w > this.shelfWidth) {
      this.cursorY += this.rowH + COMP_GAP;
      this.cursorX = 0;
      this.rowH = 0;
    }
    const s = { x: this.cursorX, y: this.cursorY, w, h };
    this.cursorX += w + COMP_GAP;
    this.rowH = Math.max(this.rowH, h);
    this.usedArea += w * h;
    return s;
  }
}

/**
 * Stacks of a big component. Hubs are boxes with many links (a gather with
 * its children, a queue with its consumers, a lock with its waiters); the
 * rest falls into pieces, connected without going through a hub. Pieces of
 * the same shape linked to the same hubs in the same way (2,500 tasks of a
 * gather, each with its sleep; consumers each awaiting its get-future owned
 * by one queue) are copies of one another: one stack.
 */
interface Stack {
  /** Links of each copy to hubs: the hub (canonical index), hub → copy or copy → hub, the copy's box (local index). */
  readonly attach: readonly { hub: number; toCopy: boolean; li: number }[];
  /** Each copy's boxes (canonical indexes), in the same order for every copy. */
  readonly copies: number[][];
}

/** Layouts of stacked pieces by shape (the same few shapes come back on every update). */
const PIECE_LAYOUTS = new Map<string, CompLayout>();

/** A box with at least this many links is a hub. */
const HUB_DEGREE = 8;

function findStacks(boxes: number[], outL: number[][], inL: number[][], boxSig: string[]): Stack[] {
  const n = outL.length;
  const hub = new Uint8Array(n);
  for (const v of boxes) if (outL[v]!.length + inL[v]!.length >= HUB_DEGREE) hub[v] = 1;
  const seen = new Uint8Array(n);
  /** Which piece a box is in (while that piece is ordered). */
  const mark = new Int32Array(n).fill(-1);
  const codes = new Map<string, number>();
  const boxCode = (sig: string): number => {
    let c = codes.get(sig);
    if (c === undefined) codes.set(sig, (c = codes.size));
    return c;
  };
  const groups = new Map<string, Stack>();
  for (const start of boxes) {
    if (hub[start] || seen[start]) continue;
    // The piece: connected boxes, no hub in between.
    const members = [start];
    seen[start] = 1;
    for (let k = 0; k < members.length; k++) {
      const v = members[k]!;
      for (const list of [outL[v]!, inL[v]!])
        for (const w of list) {
          if (hub[w] || seen[w]) continue;
          seen[w] = 1;
          members.push(w);
        }
    }
    if (members.length > MAX_BRANCH) continue;
    if (members.length === 1) {
      // The common piece (a task with its folded future): its hub links are its shape.
      const attach: { hub: number; toCopy: boolean; li: number }[] = [];
      for (const w of outL[start]!) attach.push({ hub: w, toCopy: false, li: 0 });
      for (const w of inL[start]!) attach.push({ hub: w, toCopy: true, li: 0 });
      const sig = `${boxSig[start]}||${attach
        .map((a) => `${a.toCopy ? "<" : ">"}${a.hub}`)
        .sort()
        .join(",")}`;
      const grp = groups.get(sig);
      if (grp === undefined) groups.set(sig, { attach, copies: [members] });
      else grp.copies.push(members);
      continue;
    }
    // A canonical order (DFS from the piece's sources, ties by shape and hub links), so that
    // equal shapes give equal signatures with their boxes in corresponding order.
    // Ranks as numbers: shape of the box, then its out- and in-degree inside the piece, then
    // its hub links (how many, to which hubs). Ties are broken by id: equal pieces whose tied
    // boxes link to different hubs may then get different signatures (not stacked, never wrong).
    const here = start; // the piece's first box: marks its members
    for (const v of members) mark[v] = here;
    const rank = new Map<number, number>();
    for (const v of members) {
      let o = 0;
      let i = 0;
      let h = 0;
      for (const w of outL[v]!)
        if (mark[w] === here) o++;
        else h += 1 + w;
      for (const w of inL[v]!)
        if (mark[w] === here) i++;
        else h += 1 + 2 * w;
      rank.set(v, ((boxCode(boxSig[v]!) * 64 + o) * 64 + i) * 1e7 + (h % 1e7));
    }
    const cmp = (x: number, y: number): number => rank.get(x)! - rank.get(y)! || x - y;
    const hasParent = (v: number): number => (inL[v]!.some((w) => mark[w] === here) ? 1 : 0);
    const roots = [...members].sort((x, y) => hasParent(x) - hasParent(y) || cmp(x, y));
    const order = dfsOrder(roots, (v) => outL[v]!.filter((w) => mark[w] === here), cmp);
    const li = new Map<number, number>();
    order.forEach((v, i) => li.set(v, i));
    const parts: string[] = [];
    const attach: { hub: number; toCopy: boolean; li: number }[] = [];
    for (const v of order) {
      for (const w of outL[v]!) {
        if (hub[w]) attach.push({ hub: w, toCopy: false, li: li.get(v)! });
        else parts.push(`${li.get(v)}-${li.get(w)}`);
      }
      for (const w of inL[v]!) if (hub[w]) attach.push({ hub: w, toCopy: true, li: li.get(v)! });
    }
    const sig = `${order.map((v) => boxSig[v]).join(",")}|${parts.sort().join(",")}|${attach
      .map((a) => `${a.toCopy ? "<" : ">"}${a.hub}@${a.li}`)
      .sort()
      .join(",")}`;
    const grp = groups.get(sig);
    if (grp === undefined) groups.set(sig, { attach, copies: [order] });
    else grp.copies.push(order);
  }
  return [...groups.values()].filter((g) => g.copies.length >= 2);
}

/**
 * Lays out one component with d3-dag's Sugiyama (top to bottom there, turned
 * left to right here).
 *
 * Pendant leaves (a node whose only link is from a parent that has no other
 * child: the sleep a worker awaits, the queue-get future of a consumer) are
 * not handed to d3-dag: the parent's box is made wide enough for both and the
 * leaf is drawn in the right part of it. d3-dag reserves the space, so
 * nothing overlaps; it just has half the nodes to arrange in the common
 * "many tasks, each awaiting its own future" shape. In a big component,
 * pieces of one shape between the same hubs become stacks (see findStacks).
 *
 * `branch`: the component is one copy of a stack (every pendant leaf is folded).
 */
function layoutComponent(comp: Component, nodeById: ReadonlyMap<number, GraphNode>, branch: boolean): CompLayout {
  const n = comp.ids.length;
  const widths = comp.ids.map((id) => nodeWidth(nodeById.get(id)!));
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const routes = new Map<string, [number, number][]>();
  if (comp.pairs.length === 0) {
    // One node, nothing to arrange.
    xs[0] = widths[0]! / 2;
    ys[0] = NODE_H / 2;
    return { xs, ys, routes, w: widths[0]!, h: NODE_H };
  }
  const outDeg = new Int32Array(n);
  const inDeg = new Int32Array(n);
  for (const [a, b] of comp.pairs) {
    outDeg[a]!++;
    inDeg[b]!++;
  }
  /** leafOf[parent] = its folded leaf, or -1; folded[leaf] = true. */
  const leafOf = new Int32Array(n).fill(-1);
  const folded = new Uint8Array(n);
  for (const [a, b] of comp.pairs) {
    if (outDeg[a] === 1 && inDeg[b] === 1 && outDeg[b] === 0 && (branch || inDeg[a]! + outDeg[a]! < n - 1)) {
      leafOf[a] = b;
      folded[b] = 1;
    }
  }
  // A box's extent along the layers: the node, plus its folded leaf.
  const span = widths.map((w, i) => (leafOf[i]! >= 0 ? w + INLINE_GAP + widths[leafOf[i]!]! : w));

  // Boxes (unfolded nodes) and the links between them.
  const isBox = new Uint8Array(n);
  const boxes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (folded[i] === 1) continue;
    isBox[i] = 1;
    boxes.push(i);
  }
  const big = boxes.length > SMALL_COMPONENT;
  let stacks: Stack[] = [];
  const stackOf = new Int32Array(n).fill(-1);
  if (big) {
    const outL: number[][] = Array.from({ length: n }, () => []);
    const inL: number[][] = Array.from({ length: n }, () => []);
    for (const [a, b] of comp.pairs) {
      if (isBox[a] && isBox[b]) {
        outL[a]!.push(b);
        inL[b]!.push(a);
      }
    }
    const boxSig = comp.ids.map((id, i) => {
      const k = kindWidth(nodeById.get(id)!);
      return leafOf[i]! >= 0 ? `${k}+${kindWidth(nodeById.get(comp.ids[leafOf[i]!]!)!)}` : k;
    });
    stacks = findStacks(boxes, outL, inL, boxSig);
  }

  // Each stack: one layout of its first copy (with its folded leaves), for all copies. A copy
  // whose links to hubs would cross it (a hub's edge into a box that is not on the copy's
  // side facing the hub) is not stacked: its boxes go to d3-dag one by one.
  const withLeaves = (c: number[]): number[] => {
    const out: number[] = [];
    for (const v of c) {
      out.push(v);
      if (leafOf[v]! >= 0) out.push(leafOf[v]!);
    }
    return out;
  };
  const stackLay: { lay: CompLayout; copies: number[][]; pairs: [number, number][]; across: number; at: number[] }[] =
    [];
  stacks = stacks.filter((s) => {
    const members = withLeaves(s.copies[0]!);
    const local = new Map<number, number>();
    members.forEach((v, i) => local.set(v, i));
    const pairs: [number, number][] = [];
    for (const [a, b] of comp.pairs) {
      const la = local.get(a);
      const lb = local.get(b);
      if (la !== undefined && lb !== undefined) pairs.push([la, lb]);
    }
    const sub: Component = { ids: members.map((v) => comp.ids[v]!), sig: "", key: 0, pairs };
    // Copies of one shape recur from update to update (and across components): laid out once.
    const key = `${sub.ids.map((id) => kindWidth(nodeById.get(id)!)).join(",")}|${pairs.map(([a, b]) => `${a}-${b}`).join(",")}`;
    let lay = PIECE_LAYOUTS.get(key);
    if (lay === undefined) {
      lay = layoutComponent(sub, nodeById, true);
      if (PIECE_LAYOUTS.size >= 500) PIECE_LAYOUTS.delete(PIECE_LAYOUTS.keys().next().value!);
      PIECE_LAYOUTS.set(key, lay);
    }
    const lw = sub.ids.map((id) => nodeWidth(nodeById.get(id)!));
    /** Member index of each attachment's box. */
    const at = s.attach.map((a) => local.get(s.copies[0]![a.li]!)!);
    const ok = s.attach.every((a, k) => {
      const m = at[k]!;
      const l = lay.xs[m]! - lw[m]! / 2;
      const r = lay.xs[m]! + lw[m]! / 2;
      // Nothing of the copy lies wholly on the hub's side of the attached box.
      return a.toCopy
        ? members.every((_, u) => lay.xs[u]! + lw[u]! / 2 > l)
        : members.every((_, u) => lay.xs[u]! - lw[u]! / 2 < r);
    });
    if (!ok) return false;
    const across = s.copies.length * lay.h + (s.copies.length - 1) * GAP_IN_LAYER;
    stackLay.push({ lay, copies: s.copies.map(withLeaves), pairs, across, at });
    return true;
  });
  stacks.forEach((s, si) => {
    for (const c of s.copies) for (const v of c) stackOf[v] = si;
  });

  type Datum = { box: number } | { stack: number };
  const g = dagGraph<Datum, undefined>();
  const dn: (MutGraphNode<Datum, undefined> | null)[] = new Array<MutGraphNode<Datum, undefined> | null>(n).fill(null);
  for (const i of boxes) if (stackOf[i] === -1) dn[i] = g.node({ box: i });
  const sn = stacks.map((_, si) => g.node({ stack: si }));
  for (const [a, b] of comp.pairs) {
    const da = dn[a];
    const db = dn[b];
    if (da != null && db != null) g.link(da, db);
  }
  // One link between a stack and each hub it is linked to, per direction (the copies' own
  // edges and each copy's links are not d3-dag's business).
  stacks.forEach((s, si) => {
    const done = new Set<string>();
    for (const a of s.attach) {
      const k = `${a.hub}${a.toCopy}`;
      const h = dn[a.hub];
      if (done.has(k) || h == null) continue;
      done.add(k);
      if (a.toCopy) g.link(h, sn[si]!);
      else g.link(sn[si]!, h);
    }
  });
  const arranged = g.nnodes();
  const uniform = big && stacks.length === 0;
  let maxSpan = 0;
  for (const i of boxes) maxSpan = Math.max(maxSpan, span[i]!);
  /** A d3-dag node's size in its frame: across the layer, along the layers. */
  const size = (d: Datum): readonly [number, number] => {
    if ("box" in d) return [NODE_H, uniform ? maxSpan : span[d.box]!];
    const st = stackLay[d.stack]!;
    return [st.across, st.lay.w];
  };
  // In d3-dag's frame layers stack downwards: a node's extent across the layer is its
  // height here, along the layer direction its span (the frame is transposed below).
  const small = arranged <= SMALL_COMPONENT;
  const layout = sugiyama()
    .layering(layeringLongestPath())
    .decross(small ? decrossTwoLayer() : decrossDfs())
    // coordGreedy aligns long edges, at a cost that grows with them (27 s for an irregular
    // 5,000-node component); coordCenter is linear.
    .coord(small ? coordGreedy() : coordCenter())
    // Big components with nothing stacked: one size for all (a layer is as wide as its widest
    // box anyway), which keeps d3-dag on its fast path; otherwise each box its own span.
    .nodeSize(uniform ? ([NODE_H, maxSpan] as const) : (node: { data: Datum }) => size(node.data))
    .gap([GAP_IN_LAYER, GAP_BETWEEN_LAYERS]);
  let width: number;
  let height: number;
  if (arranged > 1) ({ width, height } = layout(g));
  else {
    const only = g.nodes().next().value!;
    [width, height] = size(only.data);
    only.x = width / 2;
    only.y = height / 2;
  }
  for (const node of g.nodes()) {
    const d = node.data;
    if ("stack" in d) {
      // The copies one under the other, each laid out as the first.
      const st = stackLay[d.stack]!;
      const left = node.y - st.lay.w / 2;
      let top = node.x - st.across / 2;
      for (const copy of st.copies) {
        copy.forEach((v, li) => {
          xs[v] = left + st.lay.xs[li]!;
          ys[v] = top + st.lay.ys[li]!;
        });
        for (const [la, lb] of st.pairs) {
          const r = st.lay.routes.get(edgeKey(la, lb));
          if (r !== undefined) routes.set(edgeKey(copy[la]!, copy[lb]!), shift(r, left, top));
        }
        top += st.lay.h + GAP_IN_LAYER;
      }
      continue;
    }
    const i = d.box;
    const box = uniform ? maxSpan : span[i]!;
    // The node at the left end of its box, its leaf (if any) at the right end.
    const left = node.y - box / 2;
    xs[i] = leafOf[i]! >= 0 ? left + widths[i]! / 2 : node.y;
    ys[i] = node.x;
    const leaf = leafOf[i]!;
    if (leaf >= 0) {
      xs[leaf] = left + span[i]! - widths[leaf]! / 2;
      ys[leaf] = node.x;
      routes.set(edgeKey(i, leaf), [
        [xs[i]!, node.x],
        [xs[leaf]!, node.x],
      ]);
    }
  }
  for (const link of g.links()) {
    const pts = link.points.map(([x, y]) => [y, x] as [number, number]);
    const s = link.source.data;
    const t = link.target.data;
    if ("box" in s && "box" in t) {
      // Start and end at the nodes themselves (a box with a folded leaf is wider than its node).
      pts[0] = [xs[s.box]!, ys[s.box]!];
      pts[pts.length - 1] = [xs[t.box]!, ys[t.box]!];
      routes.set(edgeKey(s.box, t.box), pts);
      continue;
    }
    // A link between a hub and a stack: a route per copy and link, from the hub to the copy's box.
    if (!("box" in s) && !("box" in t)) continue; // two stacks are never linked (hubs are boxes)
    const toCopy = "box" in s;
    const hub = "box" in s ? s.box : (t as { box: number }).box;
    const si = "stack" in s ? s.stack : (t as { stack: number }).stack;
    const st = stackLay[si]!;
    // From the hub towards the stack, whichever way the edges point.
    const fwd = toCopy ? pts : [...pts].reverse();
    stacks[si]!.attach.forEach((a, k) => {
      if (a.hub !== hub || a.toCopy !== toCopy) return;
      for (const copy of st.copies) {
        const v = copy[st.at[k]!]!;
        const r = elbow(fwd, [xs[hub]!, ys[hub]!], [xs[v]!, ys[v]!]);
        if (toCopy) routes.set(edgeKey(hub, v), r);
        else routes.set(edgeKey(v, hub), r.reverse());
      }
    });
  }
  return { xs, ys, routes, w: height, h: width };
}

/** A route moved by (dx, dy). */
function shift(r: readonly [number, number][], dx: number, dy: number): [number, number][] {
  const out = new Array<[number, number]>(r.length);
  for (let k = 0; k < r.length; k++) out[k] = [r[k]![0] + dx, r[k]![1] + dy];
  return out;
}

/**
 * d3-dag's route from an attachment to a stack, ending at one copy's root
 * instead of the stack's centre: through the route's bends, then in
 * horizontally.
 */
function elbow(pts: [number, number][], from: [number, number], to: [number, number]): [number, number][] {
  const out: [number, number][] = [from];
  for (let k = 1; k < pts.length - 1; k++) out.push(pts[k]!);
  const last = out[out.length - 1]!;
  const mid = (last[0] + to[0]) / 2;
  out.push([mid, last[1]], [mid, to[1]], to);
  return out;
}
