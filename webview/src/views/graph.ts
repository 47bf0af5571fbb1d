// Await graph: tasks, futures, gathers, timers, queues and primitives as
// nodes; "awaits", "gather child", "owned by" and (dashed, togglable)
// "created by" edges; coloured by state; laid out by d3-dag (see
// ../graph/layout.ts), drawn with d3, zoom/pan/fit/focus; deadlock cycles in
// red; a keyboard-navigable node list.

import { select, type Selection } from "d3-selection";
import { zoom, zoomIdentity, zoomTransform, type D3ZoomEvent, type ZoomBehavior } from "d3-zoom";
import { line, curveBasis } from "d3-shape";
import "d3-transition";
import type { AwaitGraph, GraphEdge, GraphNode } from "../../../model/graph";
import { CODICON_CHARS } from "../codicons";
import { button, el, icon, setPressed } from "../dom";
import { GraphLayout, isLayoutEdge, type LayoutResult, type PlacedNode } from "../graph/layout";
import type { Changes, Store } from "../store";

const MAX_NODES = 5000;
/** The automatic fit zooms out no further (labels stay legible); the Fit button does. */
const READABLE_SCALE = 0.7;
const LIST_ROW_H = 22;
/**
 * A graph whose last layout took longer than LAYOUT_BUDGET_MS (a big component
 * changed: d3-dag ran on it) is laid out again at most every BIG_RELAYOUT_MS
 * while it keeps changing; meanwhile states are drawn at once, new structure
 * a moment later. Cheap (incremental) layouts are never deferred.
 */
const LAYOUT_BUDGET_MS = 20;
/**
 * A graph of more nodes than this has elements only for what is in view or
 * near it (a view's size around it); panning or zooming draws what comes into
 * view. Smaller graphs have all their elements.
 */
const CULL_ABOVE = 1500;
/** Below this zoom, nodes are drawn without labels and edges without arrowheads. */
const LOD_SCALE = 0.35;
const BIG_RELAYOUT_MS = 1500;
const SVG_NS = "http://www.w3.org/2000/svg";

/** The codicon of a node (none for tasks: the plain box is a task). */
function nodeIcon(n: GraphNode): keyof typeof CODICON_CHARS | null {
  switch (n.type) {
    case "task":
      return null;
    case "future":
      return n.kind === "gather" || n.kind === "wait" ? "type-hierarchy-sub" : "circle-large";
    case "timer":
      return "watch";
    case "queue":
      return "inbox";
    case "sync":
      return "lock";
    default:
      return "question";
  }
}

/** A drawn node: its elements and what they show (an update touches only what changed). */
interface NodeRec {
  readonly g: SVGGElement;
  readonly rect: SVGRectElement;
  readonly text: SVGTextElement;
  /** In the text: the codicon (font "codicon"), then the label. */
  readonly glyph: SVGTSpanElement;
  readonly label: SVGTSpanElement;
  readonly title: SVGTitleElement;
  n: GraphNode | null;
  p: PlacedNode | null;
  /** What the class shows besides the node's type and state; clsStale: the type or state changed. */
  sel: boolean;
  near: boolean;
  deadlock: boolean;
  clsStale: boolean;
  gen: number;
}

/** A drawn edge and the geometry its path was computed from. */
interface EdgeRec {
  readonly path: SVGPathElement;
  e: GraphEdge;
  a: PlacedNode | null;
  b: PlacedNode | null;
  route: [number, number][] | undefined;
  mutual: boolean;
  /** What the class shows besides the edge's type (null: no class set yet). */
  near: boolean | null;
  deadlock: boolean;
  gen: number;
}

export function nodeText(n: GraphNode): string {
  if (n.type === "queue") return `${n.label} ${n.state}`;
  if (n.type === "sync") return n.state === "" ? n.label : `${n.label} (${n.state})`;
  if (n.type === "task") return n.label;
  return `${n.kind}`;
}

function truncate(s: string, w: number): string {
  const max = Math.max(4, Math.floor((w - 14) / 6.6));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export class GraphView {
  readonly el: HTMLElement;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly viewport: Selection<SVGGElement, unknown, null, undefined>;
  private readonly edgesG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly nodesG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly zoomer: ZoomBehavior<SVGSVGElement, unknown>;
  private readonly layoutEngine = new GraphLayout();
  private readonly notice = el("div", { cls: "graph-notice", attrs: { "data-testid": "graph-notice" } });
  private readonly legend: HTMLElement;
  private readonly list: HTMLElement;
  private readonly listSpacer = el("div", { cls: "spacer" });
  private readonly listPool: HTMLElement[] = [];
  private readonly btnFocus: HTMLButtonElement;
  private readonly btnCreated: HTMLButtonElement;
  private readonly btnFinished: HTMLButtonElement;
  private readonly btnLegend: HTMLButtonElement;
  private readonly btnList: HTMLButtonElement;
  private readonly stage: HTMLElement;
  private graph: AwaitGraph | null = null;
  private lay: LayoutResult | null = null;
  private listNodes: GraphNode[] = [];
  /** The node list is sorted only when shown (sorting 5,000 labels on every update would cost more than the update). */
  private listStale = true;
  private readonly nodeRecs = new Map<number, NodeRec>();
  /** Drawn edges by their from-node (most nodes have one or two). */
  private readonly edgeRecs = new Map<number, EdgeRec[]>();
  /** Bumped per draw: records not seen in a draw are removed. */
  private gen = 0;
  private inCycle = new Set<number>();
  private forceLayout = true;
  /** What the last draw of a big graph covered (graph coordinates); null: everything. */
  private drawnArea: Area | null = null;
  private cullPending = false;
  private lastLayoutAt = 0;
  private deferred: number | null = null;
  private visible = false;
  private dirty = true;
  private needFit = true;
  private showList = false;
  /** Layout time of the last layout, ms (for the benchmark and the notice). */
  lastLayoutMs = 0;

  constructor(private readonly store: Store) {
    this.btnFocus = button("Focus", () => this.toggle("focus"), {
      icon: "target",
      cls: "toggle",
      pressed: store.ui.focus,
      title: "Show only the selection's neighbourhood",
    });
    this.btnCreated = button("Created by", () => this.toggle("createdBy"), {
      icon: "type-hierarchy-super",
      cls: "toggle",
      pressed: store.ui.createdBy,
      title: "Show dashed “created by” edges",
    });
    this.btnFinished = button("Finished", () => this.toggle("graphFinished"), {
      icon: "pass",
      cls: "toggle",
      pressed: store.ui.graphFinished,
      title: "Include finished tasks",
    });
    this.btnLegend = button("Legend", () => this.toggle("legend"), {
      icon: "info",
      cls: "toggle",
      pressed: store.ui.legend,
      title: "Show the legend",
    });
    this.btnList = button(
      "Nodes",
      () => {
        this.showList = !this.showList;
        setPressed(this.btnList, this.showList);
        this.list.hidden = !this.showList;
        this.renderList();
      },
      { icon: "list-flat", cls: "toggle", pressed: false, title: "List of nodes (keyboard navigation)" },
    );
    const fit = button("Fit", () => this.fit(true), { icon: "screen-full", title: "Fit the whole graph in view" });
    const relayout = button(
      "Re-layout",
      () => {
        this.layoutEngine.resetPacking();
        this.forceLayout = true;
        this.needFit = true;
        this.render(true);
      },
      { icon: "refresh", title: "Pack the graph afresh" },
    );

    const svgEl = document.createElementNS(SVG_NS, "svg");
    this.svg = select(svgEl);
    this.svg
      .attr("class", "graph-svg")
      .attr("role", "img")
      .attr("aria-label", "Await graph")
      .attr("data-testid", "graph");
    const defs = this.svg.append("defs");
    for (const [id, cls] of [
      ["arrow", "arrow"],
      ["arrow-created", "arrow created"],
      ["arrow-deadlock", "arrow deadlock"],
    ] as const) {
      defs
        .append("marker")
        .attr("id", `ls-${id}`)
        .attr("viewBox", "0 0 10 10")
        .attr("refX", 9)
        .attr("refY", 5)
        .attr("markerUnits", "userSpaceOnUse")
        .attr("markerWidth", 9)
        .attr("markerHeight", 9)
        .attr("orient", "auto-start-reverse")
        .append("path")
        .attr("class", cls)
        .attr("d", "M0,0L10,5L0,10z");
    }
    this.viewport = this.svg.append("g").attr("class", "viewport");
    this.edgesG = this.viewport.append("g").attr("class", "edges");
    this.nodesG = this.viewport.append("g").attr("class", "nodes");
    this.zoomer = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.02, 4])
      .on("zoom", (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        this.viewport.attr("transform", e.transform.toString());
        // Level of detail: no labels or arrowheads where they would be a few pixels tall.
        this.svg.classed("lod-low", e.transform.k < LOD_SCALE);
        if (this.drawnArea !== null && !this.cullPending && !covers(this.drawnArea, this.visibleArea(0))) {
          // A big graph is drawn around the view only: draw what the view moved onto.
          this.cullPending = true;
          requestAnimationFrame(() => {
            this.cullPending = false;
            if (this.graph !== null && this.lay !== null && this.visible) this.draw();
          });
        }
      });
    this.svg.call(this.zoomer).on("dblclick.zoom", null);
    this.svg.on("click", (ev: MouseEvent) => {
      const g = (ev.target as Element).closest<SVGGElement>("g.node");
      if (g?.dataset.id !== undefined) this.store.select(Number(g.dataset.id));
    });

    this.legend = this.makeLegend();
    this.list = el("div", {
      cls: "node-list",
      attrs: { role: "listbox", tabindex: "0", "aria-label": "Graph nodes", "data-testid": "graph-node-list" },
    });
    this.list.appendChild(this.listSpacer);
    this.list.hidden = true;
    this.list.addEventListener("scroll", () => this.renderList());
    this.list.addEventListener("keydown", (e) => this.onListKey(e));
    this.list.addEventListener("click", (e) => {
      const it = (e.target as HTMLElement).closest<HTMLElement>(".node-item");
      if (it?.dataset.id !== undefined) this.store.select(Number(it.dataset.id));
    });

    this.stage = el("div", { cls: "graph-stage" }, svgEl, this.legend, this.notice);
    this.el = el(
      "section",
      { cls: "view graph-view", attrs: { "aria-label": "Await graph" } },
      el(
        "div",
        { cls: "toolbar" },
        fit,
        this.btnFocus,
        this.btnCreated,
        this.btnFinished,
        this.btnLegend,
        this.btnList,
        relayout,
      ),
      el("div", { cls: "graph-body" }, this.list, this.stage),
    );
    new ResizeObserver(() => {
      if (this.visible && this.needFit) this.fit(false);
    }).observe(this.stage);
    store.subscribe((c) => this.update(c));
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && this.dirty) this.render(false);
  }

  private toggle(k: "focus" | "createdBy" | "graphFinished" | "legend"): void {
    this.store.setUi({ [k]: !this.store.ui[k] });
    if (k === "focus" || k === "graphFinished") this.needFit = true;
  }

  private update(c: Changes): void {
    if (c.data || c.ui || c.reset) this.dirty = true;
    if (c.selection && this.store.ui.focus) {
      this.dirty = true;
      this.needFit = true;
    }
    if (c.reset) this.needFit = true;
    if (!this.visible) return;
    if (this.dirty) this.render(false);
    else if (c.selection) {
      this.restyle();
      this.centerOnSelection();
    }
  }

  private render(force: boolean): void {
    this.dirty = false;
    const ui = this.store.ui;
    setPressed(this.btnFocus, ui.focus);
    setPressed(this.btnCreated, ui.createdBy);
    setPressed(this.btnFinished, ui.graphFinished);
    setPressed(this.btnLegend, ui.legend);
    this.legend.hidden = !ui.legend;
    const m = this.store.mirror;
    if (m === null) {
      this.notice.textContent = "Waiting for the program…";
      return;
    }
    const sel = this.store.selected;
    const focus = ui.focus && sel !== null;
    const g = m.awaitGraph({
      includeDone: ui.graphFinished || focus,
      createdBy: ui.createdBy,
      maxNodes: MAX_NODES,
      ...(focus ? { roots: [sel], depth: 2 } : {}),
    });
    // The layout is incremental (only changed components are placed again), so it runs on every
    // update, unless the last one was expensive and the graph is still changing (then in a moment).
    const now = performance.now();
    if (
      !force &&
      !this.forceLayout &&
      this.lay !== null &&
      this.lastLayoutMs > LAYOUT_BUDGET_MS &&
      now - this.lastLayoutAt < BIG_RELAYOUT_MS
    ) {
      if (this.deferred === null) {
        this.deferred = window.setTimeout(
          () => {
            this.deferred = null;
            this.dirty = true;
            if (this.visible) this.render(false);
          },
          BIG_RELAYOUT_MS - (now - this.lastLayoutAt),
        );
      }
      this.graph = mergeKnown(g, this.lay);
    } else {
      this.forceLayout = false;
      const t0 = performance.now();
      this.lay = this.layoutEngine.layout(g);
      this.lastLayoutMs = performance.now() - t0;
      // For the benchmark (bench/webview-bench.ts) and for anyone wondering why a big graph is slow.
      this.el.dataset.layoutMs = this.lastLayoutMs.toFixed(1);
      this.el.dataset.layoutNodes = String(g.nodes.length);
      this.el.dataset.layoutComponents = String(this.lay.components);
      this.el.dataset.layoutComputed = String(this.lay.computed);
      this.el.dataset.layoutPlaced = String(this.lay.placed);
      this.lastLayoutAt = performance.now();
      this.graph = g;
    }
    const shown = this.graph!;
    this.notice.textContent =
      shown.nodes.length === 0
        ? focus
          ? "Nothing connected to the selection."
          : "No live tasks: every task has finished (turn on “Finished” to see them)."
        : g.truncated
          ? `Showing the first ${MAX_NODES} nodes.`
          : "";
    this.notice.hidden = this.notice.textContent === "";
    this.draw();
    this.listStale = true;
    this.renderList();
    if (this.needFit) this.fit(false);
  }

  private draw(): void {
    const g = this.graph!;
    const lay = this.lay!;
    const gen = ++this.gen;
    const inCycle = new Set<number>();
    for (const c of this.store.deadlocks()) {
      for (const t of c.tasks) inCycle.add(t);
      for (const v of c.via) if (v !== null) inCycle.add(v);
    }
    this.inCycle = inCycle;
    const near = this.nearSelection();
    const selId = this.store.selected;
    const area = g.nodes.length > CULL_ABOVE ? this.visibleArea(1) : null;
    this.drawnArea = area;
    const inArea = (p: PlacedNode): boolean =>
      area === null ||
      (p.x + p.w / 2 >= area.x0 && p.x - p.w / 2 <= area.x1 && p.y + p.h / 2 >= area.y0 && p.y - p.h / 2 <= area.y1);

    // Nodes. Elements remember what they show: an update rewrites only what changed, so a
    // state change on a big graph does not rewrite thousands of attributes. The elements of
    // nodes that are gone are given to new ones (a task moving on to its next sleep future).
    for (const n of g.nodes) {
      const r = this.nodeRecs.get(n.id);
      const p = lay.nodes.get(n.id);
      if (r !== undefined && p !== undefined && inArea(p)) r.gen = gen;
    }
    const spare: NodeRec[] = [];
    for (const [id, r] of this.nodeRecs) {
      if (r.gen !== gen) {
        spare.push(r);
        this.nodeRecs.delete(id);
      }
    }
    const added = document.createDocumentFragment();
    for (const n of g.nodes) {
      const p = lay.nodes.get(n.id);
      if (p === undefined || !inArea(p)) continue;
      let r = this.nodeRecs.get(n.id);
      if (r === undefined) {
        r = spare.pop();
        if (r === undefined) {
          r = newNodeRec();
          added.appendChild(r.g);
        }
        r.n = null;
        r.gen = gen;
        this.nodeRecs.set(n.id, r);
      }
      const o = r.n;
      const op = r.p;
      if (op === null || op.x !== p.x || op.y !== p.y || op.w !== p.w) {
        r.g.setAttribute("transform", `translate(${p.x - p.w / 2},${p.y - p.h / 2})`);
      }
      if (op === null || op.w !== p.w || op.h !== p.h) {
        r.rect.setAttribute("width", String(p.w));
        r.rect.setAttribute("height", String(p.h));
        r.text.setAttribute("y", String(p.h / 2));
      }
      r.p = p;
      if (o !== n) {
        if (o === null || o.id !== n.id || o.type !== n.type || o.kind !== n.kind || o.label !== n.label) {
          r.g.setAttribute("data-id", String(n.id));
          r.g.setAttribute("data-type", n.type);
          r.g.setAttribute("data-kind", n.kind);
          r.rect.setAttribute("rx", n.type === "task" ? "4" : n.type === "queue" || n.type === "sync" ? "2" : "12");
          const ic = nodeIcon(n);
          r.glyph.textContent = ic === null ? "" : String.fromCodePoint(CODICON_CHARS[ic]);
          r.label.textContent = truncate(nodeText(n), ic === null ? p.w : p.w - 20);
          r.label.setAttribute("dx", ic === null ? "0" : "5");
          r.label.setAttribute("dy", ic === null ? "4.2" : "-2.5");
        }
        if (
          o === null ||
          o.id !== n.id ||
          o.type !== n.type ||
          o.kind !== n.kind ||
          o.label !== n.label ||
          o.state !== n.state
        ) {
          r.g.setAttribute("data-state", n.state);
          r.title.textContent = `${nodeText(n)} — ${n.type}${n.type === "task" ? "" : ` ${n.kind}`} #${n.id}${n.state ? `, ${n.state}` : ""}`;
        }
        r.n = n;
        if (o === null || o.type !== n.type || o.state !== n.state) r.clsStale = true;
      }
      setNodeClass(r, selId, near, inCycle);
    }
    this.nodesG.node()!.appendChild(added);
    for (const r of spare) r.g.remove();

    // Edges. Pairs that await each other (a wait-for cycle of two) are drawn as two arcs, not one line twice.
    const ui = this.store.ui;
    const lineGen = line<[number, number]>().curve(curveBasis);
    const addedEdges = document.createDocumentFragment();
    for (const e of g.edges) {
      if (e.type === "created-by" && !ui.createdBy) continue;
      const a = lay.nodes.get(e.from);
      const b = lay.nodes.get(e.to);
      if (a === undefined || b === undefined) continue;
      if (
        area !== null &&
        (Math.max(a.x, b.x) + 100 < area.x0 ||
          Math.min(a.x, b.x) - 100 > area.x1 ||
          Math.max(a.y, b.y) + 60 < area.y0 ||
          Math.min(a.y, b.y) - 60 > area.y1)
      )
        continue;
      let list = this.edgeRecs.get(e.from);
      let r = list?.find((x) => x.e.to === e.to && x.e.type === e.type);
      if (r === undefined) {
        const path = document.createElementNS(SVG_NS, "path");
        path.setAttribute("data-from", String(e.from));
        path.setAttribute("data-to", String(e.to));
        path.setAttribute("data-type", e.type);
        r = { path, e, a: null, b: null, route: undefined, mutual: false, near: null, deadlock: false, gen };
        if (list === undefined) this.edgeRecs.set(e.from, (list = []));
        list.push(r);
        addedEdges.appendChild(path);
      }
      r.e = e;
      r.gen = gen;
      const mutual = e.type !== "created-by" && isLayoutEdge(e) && (lay.out.get(e.to)?.includes(e.from) ?? false);
      // Endpoints placed as before (the same objects: their component was not placed again): same path.
      if (r.a !== a || r.b !== b || r.mutual !== mutual) {
        const route = e.type === "created-by" || mutual ? undefined : lay.routes.get(`${e.from}>${e.to}`);
        if (r.a === null || !samePlace(r.a, a) || !samePlace(r.b!, b) || r.route !== route || r.mutual !== mutual) {
          const d =
            e.type === "created-by"
              ? createdByCurve(a, b)
              : mutual
                ? mutualCurve(a, b, e.from < e.to)
                : (lineGen(route === undefined ? connector(a, b) : clip(route, a, b)) ?? "");
          r.path.setAttribute("d", d);
        }
        r.a = a;
        r.b = b;
        r.route = route;
        r.mutual = mutual;
      }
      setEdgeClass(r, selId, inCycle);
    }
    this.edgesG.node()!.appendChild(addedEdges);
    for (const [from, list] of this.edgeRecs) {
      let k = 0;
      for (const r of list) {
        if (r.gen === gen) list[k++] = r;
        else r.path.remove();
      }
      list.length = k;
      if (k === 0) this.edgeRecs.delete(from);
    }
  }

  /** The part of the graph in view, in graph coordinates, widened by `margin` views on each side. */
  private visibleArea(margin: number): Area {
    const svgEl = this.svg.node()!;
    const w = svgEl.clientWidth || 1000;
    const h = svgEl.clientHeight || 800;
    const t = zoomTransform(svgEl);
    const [x0, y0] = t.invert([-margin * w, -margin * h]);
    const [x1, y1] = t.invert([(1 + margin) * w, (1 + margin) * h]);
    return { x0, y0, x1, y1 };
  }

  /** The ids linked to the selection by an edge of the shown graph. */
  private nearSelection(): Set<number> {
    const near = new Set<number>();
    const selId = this.store.selected;
    if (selId !== null && this.graph !== null) {
      for (const e of this.graph.edges) {
        if (e.from === selId) near.add(e.to);
        if (e.to === selId) near.add(e.from);
      }
    }
    return near;
  }

  /** Classes that depend on the selection: cheap, no layout, no path. */
  private restyle(): void {
    if (this.graph === null) return;
    const selId = this.store.selected;
    const near = this.nearSelection();
    for (const r of this.nodeRecs.values()) setNodeClass(r, selId, near, this.inCycle);
    for (const list of this.edgeRecs.values()) for (const r of list) setEdgeClass(r, selId, this.inCycle);
    this.renderList();
  }

  /**
   * Fits the graph in view (`animate`: the Fit button, a short transition).
   * The automatic fit never zooms out below a readable scale: a graph wider
   * than a narrow sidebar is shown from its start (or around the selection)
   * and panned from there.
   */
  fit(animate: boolean): void {
    const lay = this.lay;
    const svgEl = this.svg.node()!;
    const w = svgEl.clientWidth;
    const h = svgEl.clientHeight;
    if (lay === null || w === 0 || h === 0) return;
    this.needFit = false;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const shown = this.graph === null ? null : new Set(this.graph.nodes.map((n) => n.id));
    for (const p of lay.nodes.values()) {
      if (shown !== null && !shown.has(p.id)) continue;
      minX = Math.min(minX, p.x - p.w / 2);
      maxX = Math.max(maxX, p.x + p.w / 2);
      minY = Math.min(minY, p.y - p.h / 2);
      maxY = Math.max(maxY, p.y + p.h / 2);
    }
    if (!Number.isFinite(minX)) return;
    const pad = 16;
    const fitK = Math.min(1.5, Math.max(0.02, Math.min((w - 2 * pad) / (maxX - minX), (h - 2 * pad) / (maxY - minY))));
    const k = animate ? fitK : Math.max(fitK, READABLE_SCALE);
    let t = zoomIdentity.translate(w / 2 - (k * (minX + maxX)) / 2, h / 2 - (k * (minY + maxY)) / 2).scale(k);
    if (k > fitK) {
      // Too big to fit legibly: show the selection, else the graph's top-left part.
      const selId = this.store.selected;
      const p = selId === null ? undefined : lay.nodes.get(selId);
      const cx = p !== undefined ? p.x : minX + (w / 2 - pad) / k;
      const cy = p !== undefined ? p.y : Math.min((minY + maxY) / 2, minY + (h / 2 - pad) / k);
      t = zoomIdentity.translate(w / 2 - k * cx, h / 2 - k * cy).scale(k);
    }
    if (animate) this.svg.transition().duration(250).call(this.zoomer.transform, t);
    else this.svg.call(this.zoomer.transform, t);
  }

  /** Pans (keeping the zoom) so that the selected node is in view. */
  private centerOnSelection(): void {
    const id = this.store.selected;
    const p = id === null ? undefined : this.lay?.nodes.get(id);
    if (p === undefined) return;
    const svgEl = this.svg.node()!;
    const w = svgEl.clientWidth;
    const h = svgEl.clientHeight;
    const cur = zoomTransform(svgEl);
    const [sx, sy] = cur.apply([p.x, p.y]);
    if (sx > 40 && sx < w - 40 && sy > 20 && sy < h - 20) return;
    const t = zoomIdentity.translate(w / 2 - cur.k * p.x, h / 2 - cur.k * p.y).scale(cur.k);
    this.svg.transition().duration(200).call(this.zoomer.transform, t);
  }

  private makeLegend(): HTMLElement {
    const item = (cls: string, text: string, shape: "dot" | "line" = "dot"): HTMLElement =>
      el("span", { cls: "legend-item" }, el("span", { cls: `swatch ${shape} ${cls}` }), el("span", { text }));
    const kind = (name: string, text: string): HTMLElement =>
      el("span", { cls: "legend-item" }, icon(name), el("span", { text }));
    return el(
      "div",
      { cls: "legend", attrs: { "data-testid": "graph-legend", "aria-label": "Legend" } },
      el(
        "div",
        { cls: "legend-row" },
        item("st-pending", "pending"),
        item("st-running", "running"),
        item("st-done", "done"),
        item("st-cancelled", "cancelled"),
        item("st-failed", "failed"),
      ),
      el(
        "div",
        { cls: "legend-row" },
        el("span", { cls: "legend-item" }, el("span", { cls: "swatch box" }), el("span", { text: "task" })),
        kind("circle-large", "future"),
        kind("type-hierarchy-sub", "gather"),
        kind("watch", "timer"),
        kind("inbox", "queue"),
        kind("lock", "lock/event"),
      ),
      el(
        "div",
        { cls: "legend-row" },
        item("e-awaits", "awaits", "line"),
        item("e-created-by", "created by", "line"),
        item("e-deadlock", "deadlock", "line"),
      ),
    );
  }

  // ---- node list (keyboard navigation) ------------------------------------------------

  private renderList(): void {
    if (!this.showList) return;
    if (this.listStale && this.graph !== null) {
      const text = new Map(this.graph.nodes.map((n) => [n.id, nodeText(n).toLowerCase()]));
      this.listNodes = [...this.graph.nodes].sort((a, b) => {
        if (a.type !== b.type) return a.type < b.type ? -1 : 1;
        const ta = text.get(a.id)!;
        const tb = text.get(b.id)!;
        return ta < tb ? -1 : ta > tb ? 1 : a.id - b.id;
      });
      this.listStale = false;
    }
    const list = this.list;
    this.listSpacer.style.height = `${this.listNodes.length * LIST_ROW_H}px`;
    const h = list.clientHeight || 300;
    const first = Math.max(0, Math.floor(list.scrollTop / LIST_ROW_H) - 4);
    const last = Math.min(this.listNodes.length, Math.ceil((list.scrollTop + h) / LIST_ROW_H) + 4);
    const sel = this.store.selected;
    while (this.listPool.length < last - first) {
      const it = el("div", { cls: "node-item", attrs: { role: "option" } }, icon("blank"), el("span"));
      this.listPool.push(it);
    }
    let active = "";
    this.listPool.forEach((it, i) => {
      const idx = first + i;
      const n = idx < last ? this.listNodes[idx] : undefined;
      if (n === undefined) {
        it.remove();
        return;
      }
      if (it.parentNode === null) list.appendChild(it);
      it.style.transform = `translateY(${idx * LIST_ROW_H}px)`;
      it.dataset.id = String(n.id);
      it.id = `graph-node-${n.id}`;
      const ic = nodeIcon(n);
      it.firstElementChild!.className = `codicon codicon-${ic ?? "blank"}`;
      it.lastElementChild!.textContent = nodeText(n);
      it.className = `node-item st-${n.state.replace(/[^a-z]/g, "") || "none"}${n.id === sel ? " selected" : ""}`;
      it.setAttribute("aria-selected", String(n.id === sel));
      if (n.id === sel) active = it.id;
    });
    if (active !== "") list.setAttribute("aria-activedescendant", active);
    else list.removeAttribute("aria-activedescendant");
  }

  private onListKey(e: KeyboardEvent): void {
    const n = this.listNodes.length;
    if (n === 0) return;
    const cur = this.listNodes.findIndex((x) => x.id === this.store.selected);
    let next: number;
    if (e.key === "ArrowDown") next = cur + 1;
    else if (e.key === "ArrowUp") next = cur < 0 ? 0 : cur - 1;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = n - 1;
    else return;
    e.preventDefault();
    next = Math.max(0, Math.min(n - 1, next));
    this.store.select(this.listNodes[next]!.id);
    const top = next * LIST_ROW_H;
    if (top < this.list.scrollTop) this.list.scrollTop = top;
    else if (top + LIST_ROW_H > this.list.scrollTop + this.list.clientHeight) {
      this.list.scrollTop = top + LIST_ROW_H - this.list.clientHeight;
    }
    this.renderList();
  }
}

function newNodeRec(): NodeRec {
  const g = document.createElementNS(SVG_NS, "g");
  const rect = document.createElementNS(SVG_NS, "rect");
  const text = document.createElementNS(SVG_NS, "text");
  text.setAttribute("class", "label");
  text.setAttribute("x", "8");

  const glyph = document.createElementNS(SVG_NS, "tspan");
  glyph.setAttribute("class", "glyph");
  // Vertical centring per tspan (a tspan's dy replaces the text's for its first character): the
  // label's baseline 0.35em below the middle, the codicon's 2.5 px lower than that.
  glyph.setAttribute("dy", "6.7");
  const label = document.createElementNS(SVG_NS, "tspan");
  text.append(glyph, label);
  const title = document.createElementNS(SVG_NS, "title");
  g.append(rect, text, title);
  return {
    g,
    rect,
    text,
    glyph,
    label,
    title,
    n: null,
    p: null,
    sel: false,
    near: false,
    deadlock: false,
    clsStale: true,
    gen: 0,
  };
}

/** Sets the node's class when its state, type, selection, neighbourhood or deadlock flag changed. */
function setNodeClass(r: NodeRec, selId: number | null, near: Set<number>, inCycle: Set<number>): void {
  const n = r.n!;
  const sel = n.id === selId;
  const nr = near.has(n.id);
  const dl = inCycle.has(n.id);
  if (sel === r.sel && nr === r.near && dl === r.deadlock && !r.clsStale) return;
  r.clsStale = false;
  r.sel = sel;
  r.near = nr;
  r.deadlock = dl;
  r.g.setAttribute(
    "class",
    `node t-${n.type} st-${n.state.replace(/[^a-z]/g, "") || "none"}${sel ? " selected" : ""}${nr ? " near" : ""}${dl ? " deadlock" : ""}`,
  );
  r.g.setAttribute("aria-selected", String(sel));
}

function setEdgeClass(r: EdgeRec, selId: number | null, inCycle: Set<number>): void {
  const e = r.e;
  const deadlock = inCycle.has(e.from) && inCycle.has(e.to) && e.type !== "created-by";
  const near = selId !== null && (e.from === selId || e.to === selId);
  if (near === r.near && deadlock === r.deadlock) return;
  r.near = near;
  r.deadlock = deadlock;
  r.path.setAttribute("class", `edge e-${e.type}${deadlock ? " deadlock" : ""}${near ? " near" : ""}`);
  r.path.setAttribute(
    "marker-end",
    deadlock ? "url(#ls-arrow-deadlock)" : e.type === "created-by" ? "url(#ls-arrow-created)" : "url(#ls-arrow)",
  );
}

interface Area {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

const covers = (outer: Area, inner: Area): boolean =>
  outer.x0 <= inner.x0 && outer.y0 <= inner.y0 && outer.x1 >= inner.x1 && outer.y1 >= inner.y1;

const samePlace = (a: PlacedNode, b: PlacedNode): boolean =>
  a === b || (a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h);

/** While a big graph's new layout is deferred: its nodes and edges that the old layout placed. */
function mergeKnown(g: AwaitGraph, lay: LayoutResult): AwaitGraph {
  const nodes = g.nodes.filter((n) => lay.nodes.has(n.id));
  const ids = new Set(nodes.map((n) => n.id));
  return { nodes, edges: g.edges.filter((e) => ids.has(e.from) && ids.has(e.to)), truncated: g.truncated };
}

/**
 * A "created by" link (not part of the layout): a curve that leaves the
 * child on the side facing the parent and bulges away from the straight
 * line, so that it does not run along the layout's own edges.
 */
function createdByCurve(a: PlacedNode, b: PlacedNode): string {
  const sameRow = Math.abs(a.y - b.y) < Math.max(a.h, b.h);
  if (sameRow) {
    const right = b.x > a.x;
    const x1 = right ? a.x + a.w / 2 : a.x - a.w / 2;
    const x2 = right ? b.x - b.w / 2 : b.x + b.w / 2;
    const lift = Math.min(60, 18 + Math.abs(x2 - x1) / 6);
    return `M${x1},${a.y - a.h / 4}C${x1},${a.y - lift} ${x2},${b.y - lift} ${x2},${b.y - b.h / 4}`;
  }
  const down = b.y > a.y;
  const x1 = a.x - a.w / 4;
  const y1 = down ? a.y + a.h / 2 : a.y - a.h / 2;
  const x2 = b.x - b.w / 4;
  const y2 = down ? b.y - b.h / 2 : b.y + b.h / 2;
  const bend = Math.max(20, Math.abs(y2 - y1) / 2) * (down ? 1 : -1);
  return `M${x1},${y1}C${x1 - 24},${y1 + bend} ${x2 - 24},${y2 - bend} ${x2},${y2}`;
}

/** One of two opposite links between the same boxes: an arc on its own side. */
function mutualCurve(a: PlacedNode, b: PlacedNode, upper: boolean): string {
  const right = b.x >= a.x;
  const x1 = right ? a.x + a.w / 2 : a.x - a.w / 2;
  const x2 = right ? b.x - b.w / 2 : b.x + b.w / 2;
  const off = upper ? -0.3 : 0.3;
  const y1 = a.y + off * a.h;
  const y2 = b.y + off * b.h;
  const bulge = (upper ? -1 : 1) * Math.max(18, Math.abs(x2 - x1) / 3);
  return `M${x1},${y1}C${(2 * x1 + x2) / 3},${y1 + bulge} ${(x1 + 2 * x2) / 3},${y2 + bulge} ${x2},${y2}`;
}

/** A plain link between two boxes that the layout did not route. */
function connector(a: PlacedNode, b: PlacedNode): [number, number][] {
  const right = b.x >= a.x;
  const x1 = right ? a.x + a.w / 2 : a.x - a.w / 2;
  const x2 = right ? b.x - b.w / 2 : b.x + b.w / 2;
  const mid = (x1 + x2) / 2;
  return [
    [x1, a.y],
    [mid, a.y],
    [mid, b.y],
    [x2, b.y],
  ];
}

/** Routes from the layout join node centres: start and end them on the boxes' sides. */
function clip(pts: [number, number][], a: PlacedNode, b: PlacedNode): [number, number][] {
  if (pts.length < 2) return pts;
  const out = pts.map((p) => [p[0], p[1]] as [number, number]);
  const first = out[0]!;
  const last = out[out.length - 1]!;
  first[0] = first[0] + (out[1]![0] >= first[0] ? a.w / 2 : -a.w / 2);
  last[0] = last[0] + (out[out.length - 2]![0] >= last[0] ? b.w / 2 : -b.w / 2);
  return out;
}
