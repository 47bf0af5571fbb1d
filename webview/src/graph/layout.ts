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

import { decrossDfs, decrossTwoLayer, coordGreedy, graph as dagGraph, layeringLongestPath, sugiyama } from "d3-dag";
import type { AwaitGraph, GraphEdge, GraphNode } from "../../../model/graph";

export const NODE_H = 24;
const GAP_IN_LAYER = 10;
/** Between a node and the leaf folded into its box. */
const INLINE_GAP = 36;
const GAP_BETWEEN_LAYERS = 56;
const COMP_GAP = 24;
/** Components above this size use the linear-time DFS decrossing instead of two-layer sweeps. */
const SMALL_COMPONENT = 120;

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
  readonly nodes: Map<number, PlacedNode>;
  /** Route of each structural edge ("from>to"), in graph coordinates. */
  readonly routes: Map<string, [number, number][]>;
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Components laid out by d3-dag in this call (the rest came from the cache). */
  readonly computed: number;
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

function kindLabel(n: GraphNode): string {
  return n.type === "future" || n.type === "unknown" ? "f" : n.type[0]!;
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

  constructor(maxCache = 2000) {
    this.maxCache = maxCache;
  }

  /** Forget where components were packed: the next layout packs them afresh. */
  resetPacking(): void {
    this.slots = new Map();
    this.shelfWidth = 0;
    this.cursorX = this.cursorY = this.rowH = 0;
    this.usedArea = 0;
  }

  layout(g: AwaitGraph): LayoutResult {
    const comps = components(g);
    const nodeById = new Map<number, GraphNode>();
    for (const n of g.nodes) nodeById.set(n.id, n);
    let computed = 0;
    const laid: { comp: Component; lay: CompLayout }[] = [];
    for (const comp of comps) {
      let lay = this.cache.get(comp.sig);
      if (lay === undefined) {
        lay = layoutComponent(comp, nodeById);
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
      laid.push({ comp, lay });
    }

    // Packing: keep slots that still fit, decide whether to re-pack.
    const keys = new Set(comps.map((c) => c.key));
    for (const k of [...this.slots.keys()]) if (!keys.has(k)) this.slots.delete(k);
    let live = 0;
    let totalArea = 0;
    for (const { comp, lay } of laid) {
      const s = this.slots.get(comp.key);
      totalArea += (lay.w + COMP_GAP) * (lay.h + COMP_GAP);
      if (s !== undefined && lay.w <= s.w && lay.h <= s.h) live += s.w * s.h;
    }
    if (this.slots.size > 0 && this.usedArea > 0 && live < this.usedArea * 0.4) this.resetPacking();
    if (this.shelfWidth === 0) {
      this.shelfWidth = Math.max(700, Math.sqrt(totalArea) * 1.6);
      for (const { lay } of laid) this.shelfWidth = Math.max(this.shelfWidth, lay.w + COMP_GAP);
    }

    const nodes = new Map<number, PlacedNode>();
    const routes = new Map<string, [number, number][]>();
    let width = 0;
    let height = 0;
    for (const { comp, lay } of laid) {
      let s = this.slots.get(comp.key);
      if (s === undefined || lay.w > s.w || lay.h > s.h) {
        s = this.allocate(lay.w, lay.h);
        this.slots.set(comp.key, s);
      }
      for (let i = 0; i < comp.ids.length; i++) {
        const id = comp.ids[i]!;
        const n = nodeById.get(id)!;
        nodes.set(id, { id, x: s.x + lay.xs[i]!, y: s.y + lay.ys[i]!, w: nodeWidth(n), h: NODE_H });
      }
      for (const [a, b] of comp.pairs) {
        const r = lay.routes.get(edgeKey(a, b));
        if (r !== undefined) {
          routes.set(
            edgeKey(comp.ids[a]!, comp.ids[b]!),
            r.map(([x, y]) => [s.x + x, s.y + y]),
          );
        }
      }
      width = Math.max(width, s.x + s.w);
      height = Math.max(height, s.y + s.h);
    }
    return { nodes, routes, width, height, components: comps.length, computed };
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
 * Weakly connected components over the structural edges, each with its nodes
 * in a canonical order: a DFS from the sources, ties broken by kind, degrees
 * and finally id. The signature encodes kinds, widths and edges by those
 * indexes, so equal signatures mean equal structure (the cached layout is
 * valid for it); isomorphic components ordered differently only miss the cache.
 */
export function components(g: AwaitGraph): Component[] {
  const out = new Map<number, number[]>();
  const inn = new Map<number, number[]>();
  const nodeById = new Map<number, GraphNode>();
  for (const n of g.nodes) {
    nodeById.set(n.id, n);
    out.set(n.id, []);
    inn.set(n.id, []);
  }
  const seenEdges = new Set<string>();
  for (const e of g.edges) {
    if (!isLayoutEdge(e) || e.from === e.to) continue;
    const o = out.get(e.from);
    const i = inn.get(e.to);
    if (o === undefined || i === undefined) continue;
    const k = edgeKey(e.from, e.to);
    if (seenEdges.has(k)) continue;
    seenEdges.add(k);
    o.push(e.to);
    i.push(e.from);
  }
  const ranks = new Map<number, string>();
  for (const [id, n] of nodeById)
    ranks.set(id, `${kindLabel(n)}${nodeWidth(n)}:${out.get(id)!.length}:${inn.get(id)!.length}`);
  const cmp = (a: number, b: number): number => {
    const ra = ranks.get(a)!;
    const rb = ranks.get(b)!;
    return ra < rb ? -1 : ra > rb ? 1 : a - b;
  };

  const seen = new Set<number>();
  const comps: Component[] = [];
  const ids = [...nodeById.keys()].sort((a, b) => a - b);
  for (const start of ids) {
    if (seen.has(start)) continue;
    // Collect the component (undirected BFS).
    const members: number[] = [start];
    seen.add(start);
    for (let k = 0; k < members.length; k++) {
      const v = members[k]!;
      for (const w of [...out.get(v)!, ...inn.get(v)!]) {
        if (!seen.has(w)) {
          seen.add(w);
          members.push(w);
        }
      }
    }
    // Canonical order: DFS along out-edges from sources (or from the smallest rank when all are in a cycle).
    const inComp = new Set(members);
    const order: number[] = [];
    const placed = new Set<number>();
    const sources = members.filter((v) => inn.get(v)!.length === 0).sort(cmp);
    const rest = [...members].sort(cmp);
    const visit = (root: number): void => {
      const stack = [root];
      while (stack.length > 0) {
        const v = stack.pop()!;
        if (placed.has(v)) continue;
        placed.add(v);
        order.push(v);
        const next = out
          .get(v)!
          .filter((w) => inComp.has(w) && !placed.has(w))
          .sort(cmp);
        for (let j = next.length - 1; j >= 0; j--) stack.push(next[j]!);
      }
    };
    for (const s of sources) visit(s);
    for (const v of rest) if (!placed.has(v)) visit(v);
    const index = new Map<number, number>();
    order.forEach((v, i) => index.set(v, i));
    const pairs: [number, number][] = [];
    for (const v of order) for (const w of out.get(v)!) pairs.push([index.get(v)!, index.get(w)!]);
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const sig =
      order.map((v) => kindLabel(nodeById.get(v)!) + nodeWidth(nodeById.get(v)!)).join(",") +
      "|" +
      pairs.map(([a, b]) => `${a}-${b}`).join(",");
    let key = Infinity;
    for (const v of members) {
      const t = nodeById.get(v)!.type;
      if ((t === "task" || t === "queue" || t === "sync") && v < key) key = v;
    }
    if (key === Infinity) key = Math.min(...members);
    comps.push({ ids: order, sig, key, pairs });
  }
  return comps;
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
 * "many tasks, each awaiting its own future" shape.
 */
function layoutComponent(comp: Component, nodeById: ReadonlyMap<number, GraphNode>): CompLayout {
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
    if (outDeg[a] === 1 && inDeg[b] === 1 && outDeg[b] === 0 && inDeg[a]! + outDeg[a]! < n - 1) {
      leafOf[a] = b;
      folded[b] = 1;
    }
  }
  // A box's extent along the layers: the node, plus its folded leaf.
  const span = widths.map((w, i) => (leafOf[i]! >= 0 ? w + INLINE_GAP + widths[leafOf[i]!]! : w));

  const g = dagGraph<number, undefined>();
  const dn = comp.ids.map((_, i) => (folded[i] === 1 ? null : g.node(i)));
  for (const [a, b] of comp.pairs) {
    const da = dn[a];
    const db = dn[b];
    if (da != null && db != null) g.link(da, db);
  }
  const arranged = g.nnodes();
  let maxSpan = 0;
  for (let i = 0; i < n; i++) if (folded[i] === 0) maxSpan = Math.max(maxSpan, span[i]!);
  // In d3-dag's frame layers stack downwards: a node's extent across the layer is its
  // height here, along the layer direction its span (the frame is transposed below).
  const layout = sugiyama()
    .layering(layeringLongestPath())
    .decross(arranged <= SMALL_COMPONENT ? decrossTwoLayer() : decrossDfs())
    .coord(coordGreedy())
    // Big components: one size for all (a layer is as wide as its widest box anyway), which
    // keeps d3-dag on its fast path; small ones: each box its own span.
    .nodeSize(
      arranged <= SMALL_COMPONENT
        ? (node: { data: number }) => [NODE_H, span[node.data]!] as const
        : ([NODE_H, maxSpan] as const),
    )
    .gap([GAP_IN_LAYER, GAP_BETWEEN_LAYERS]);
  const { width, height } =
    arranged > 1 ? layout(g) : { width: NODE_H, height: span[dn.findIndex((d) => d !== null)]! };
  if (arranged === 1) {
    for (const node of g.nodes()) {
      node.x = NODE_H / 2;
      node.y = height / 2;
    }
  }
  for (const node of g.nodes()) {
    const i = node.data;
    const box = arranged <= SMALL_COMPONENT ? span[i]! : maxSpan;
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
    // Start and end at the nodes themselves (a box with a folded leaf is wider than its node).
    pts[0] = [xs[link.source.data]!, ys[link.source.data]!];
    pts[pts.length - 1] = [xs[link.target.data]!, ys[link.target.data]!];
    routes.set(edgeKey(link.source.data, link.target.data), pts);
  }
  return { xs, ys, routes, w: height, h: width };
}
