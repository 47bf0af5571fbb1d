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
import { button, el, setPressed } from "../dom";
import { GraphLayout, isLayoutEdge, type LayoutResult, type PlacedNode } from "../graph/layout";
import type { Changes, Store } from "../store";

const MAX_NODES = 5000;
/** The automatic fit zooms out no further (labels stay legible); the Fit button does. */
const READABLE_SCALE = 0.7;
const LIST_ROW_H = 22;
/** A component this large is laid out again at most this often (ms) while it keeps changing. */
const BIG_RELAYOUT_MS = 1500;
const SVG_NS = "http://www.w3.org/2000/svg";

const TYPE_GLYPH: Record<string, string> = {
  task: "",
  future: "◇ ",
  timer: "◷ ",
  queue: "≡ ",
  sync: "⊡ ",
  unknown: "? ",
};

interface EdgeDatum {
  readonly key: string;
  readonly e: GraphEdge;
  readonly d: string;
  readonly deadlock: boolean;
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
  /** Path strings by edge key, valid for the layout they were computed from. */
  private pathCache = new Map<string, string>();
  private pathCacheLayout: LayoutResult | null = null;
  private structureSig = "";
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
      cls: "toggle",
      pressed: store.ui.focus,
      title: "Show only the selection's neighbourhood",
    });
    this.btnCreated = button("Created by", () => this.toggle("createdBy"), {
      cls: "toggle",
      pressed: store.ui.createdBy,
      title: "Show dashed “created by” edges",
    });
    this.btnFinished = button("Finished", () => this.toggle("graphFinished"), {
      cls: "toggle",
      pressed: store.ui.graphFinished,
      title: "Include finished tasks",
    });
    this.btnLegend = button("Legend", () => this.toggle("legend"), { cls: "toggle", pressed: store.ui.legend });
    this.btnList = button(
      "Nodes",
      () => {
        this.showList = !this.showList;
        setPressed(this.btnList, this.showList);
        this.list.hidden = !this.showList;
        this.renderList();
      },
      { cls: "toggle", pressed: false, title: "List of nodes (keyboard navigation)" },
    );
    const fit = button("Fit", () => this.fit(true), { title: "Fit the whole graph in view" });
    const relayout = button(
      "Re-layout",
      () => {
        this.layoutEngine.resetPacking();
        this.structureSig = "";
        this.needFit = true;
        this.render(true);
      },
      { title: "Pack the graph afresh" },
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
    // Lay out again only when the structure changed (states alone keep every position).
    const sig = structureSignature(g);
    const now = performance.now();
    if (force || sig !== this.structureSig || this.lay === null) {
      const big = g.nodes.length > 1500;
      if (!force && big && this.lay !== null && now - this.lastLayoutAt < BIG_RELAYOUT_MS) {
        // A big graph that keeps changing: draw the new states now, the new structure in a moment.
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
        const t0 = performance.now();
        this.lay = this.layoutEngine.layout(g);
        this.lastLayoutMs = performance.now() - t0;
        // For the benchmark (bench/webview-bench.ts) and for anyone wondering why a big graph is slow.
        this.el.dataset.layoutMs = this.lastLayoutMs.toFixed(1);
        this.el.dataset.layoutNodes = String(g.nodes.length);
        this.el.dataset.layoutComponents = String(this.lay.components);
        this.el.dataset.layoutComputed = String(this.lay.computed);
        this.lastLayoutAt = performance.now();
        this.structureSig = sig;
        this.graph = g;
      }
    } else {
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
    const cycles = this.store.deadlocks();
    const inCycle = new Set<number>();
    for (const c of cycles) {
      for (const t of c.tasks) inCycle.add(t);
      for (const v of c.via) if (v !== null) inCycle.add(v);
    }
    const ui = this.store.ui;
    const lineGen = line<[number, number]>().curve(curveBasis);
    const edges: EdgeDatum[] = [];
    // Pairs that await each other (a wait-for cycle of two): drawn as two arcs, not one line twice.
    if (this.pathCacheLayout !== lay) {
      this.pathCache = new Map();
      this.pathCacheLayout = lay;
    }
    const layoutPairs = new Set(g.edges.filter(isLayoutEdge).map((e) => `${e.from}>${e.to}`));
    const mutual = new Set([...layoutPairs].filter((k) => layoutPairs.has(k.split(">").reverse().join(">"))));
    for (const e of g.edges) {
      if (e.type === "created-by" && !ui.createdBy) continue;
      const a = lay.nodes.get(e.from);
      const b = lay.nodes.get(e.to);
      if (a === undefined || b === undefined) continue;
      const key = `${e.from}>${e.to}>${e.type}`;
      const deadlock = inCycle.has(e.from) && inCycle.has(e.to) && e.type !== "created-by";
      let d = this.pathCache.get(key);
      if (d !== undefined) {
        edges.push({ key, e, d, deadlock });
        continue;
      }
      if (e.type === "created-by") d = createdByCurve(a, b);
      else if (mutual.has(`${e.to}>${e.from}`)) d = mutualCurve(a, b, e.from < e.to);
      else {
        const pts = lay.routes.get(`${e.from}>${e.to}`);
        d = lineGen(pts === undefined ? connector(a, b) : clip(pts, a, b)) ?? "";
      }
      this.pathCache.set(key, d);
      edges.push({ key, e, d, deadlock });
    }
    // Elements remember what they show (`lsKey`): an update touches only what changed, so
    // a state change on a big graph does not rewrite thousands of attributes.
    this.edgesG
      .selectAll<SVGPathElement, EdgeDatum>("path.edge")
      .data(edges, (d) => d.key)
      .join("path")
      .each(function (d) {
        const el = this as SVGPathElement & { lsKey?: string };
        const cls = `edge e-${d.e.type}${d.deadlock ? " deadlock" : ""}`;
        const key = `${cls}|${d.d}`;
        if (el.lsKey === key) return;
        el.lsKey = key;
        el.setAttribute("class", cls);
        el.setAttribute("data-from", String(d.e.from));
        el.setAttribute("data-to", String(d.e.to));
        el.setAttribute("data-type", d.e.type);
        el.setAttribute("d", d.d);
        el.setAttribute(
          "marker-end",
          d.deadlock
            ? "url(#ls-arrow-deadlock)"
            : d.e.type === "created-by"
              ? "url(#ls-arrow-created)"
              : "url(#ls-arrow)",
        );
      });

    const nodes = g.nodes.filter((n) => lay.nodes.has(n.id));
    this.nodesG
      .selectAll<SVGGElement, GraphNode>("g.node")
      .data(nodes, (d) => d.id)
      .join((enter) => {
        const ge = enter.append("g").attr("class", "node");
        ge.append("rect");
        ge.append("text").attr("class", "label").attr("x", 8).attr("dy", "0.35em");
        ge.append("title");
        return ge;
      })
      .each(function (d) {
        const el = this as SVGGElement & { lsKey?: string };
        const p = lay.nodes.get(d.id)!;
        const key = `${p.x},${p.y},${p.w},${p.h}|${d.type}|${d.kind}|${d.state}|${d.label}`;
        if (el.lsKey === key) return;
        el.lsKey = key;
        el.setAttribute("data-id", String(d.id));
        el.setAttribute("data-type", d.type);
        el.setAttribute("data-kind", d.kind);
        el.setAttribute("data-state", d.state);
        el.setAttribute("transform", `translate(${p.x - p.w / 2},${p.y - p.h / 2})`);
        const rect = el.firstElementChild as SVGRectElement;
        rect.setAttribute("width", String(p.w));
        rect.setAttribute("height", String(p.h));
        rect.setAttribute("rx", d.type === "task" ? "4" : d.type === "queue" || d.type === "sync" ? "2" : "12");
        const text = rect.nextElementSibling as SVGTextElement;
        text.setAttribute("y", String(p.h / 2));
        text.textContent = truncate(TYPE_GLYPH[d.type] + nodeText(d), p.w);
        (text.nextElementSibling as SVGTitleElement).textContent =
          `${nodeText(d)} — ${d.type}${d.type === "task" ? "" : ` ${d.kind}`} #${d.id}${d.state ? `, ${d.state}` : ""}`;
      });
    this.restyle(inCycle);
  }

  /** Classes that depend on the selection (and state): cheap, no layout. */
  private restyle(inCycle?: Set<number>): void {
    const g = this.graph;
    if (g === null) return;
    const selId = this.store.selected;
    const near = new Set<number>();
    if (selId !== null) {
      for (const e of g.edges) {
        if (e.from === selId) near.add(e.to);
        if (e.to === selId) near.add(e.from);
      }
    }
    const cyc =
      inCycle ??
      new Set(
        this.nodesG
          .selectAll<SVGGElement, GraphNode>("g.node.deadlock")
          .data()
          .map((d) => d.id),
      );
    this.nodesG.selectAll<SVGGElement, GraphNode>("g.node").each(function (d) {
      const cls = `node t-${d.type} st-${d.state.replace(/[^a-z]/g, "") || "none"}${d.id === selId ? " selected" : ""}${near.has(d.id) ? " near" : ""}${cyc.has(d.id) ? " deadlock" : ""}`;
      if (this.getAttribute("class") !== cls) {
        this.setAttribute("class", cls);
        this.setAttribute("aria-selected", String(d.id === selId));
      }
    });
    this.edgesG.selectAll<SVGPathElement, EdgeDatum>("path.edge").each(function (d) {
      const near = selId !== null && (d.e.from === selId || d.e.to === selId);
      if (this.classList.contains("near") !== near) this.classList.toggle("near", near);
    });
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
    for (const p of lay.nodes.values()) {
      if (this.graph !== null && !this.graph.nodes.some((n) => n.id === p.id) && lay.nodes.size < 2000) continue;
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
        el("span", { cls: "legend-item", text: "▭ task" }),
        el("span", { cls: "legend-item", text: "◇ future" }),
        el("span", { cls: "legend-item", text: "◷ timer" }),
        el("span", { cls: "legend-item", text: "≡ queue" }),
        el("span", { cls: "legend-item", text: "⊡ lock/event" }),
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
      const it = el("div", { cls: "node-item", attrs: { role: "option" } });
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
      it.textContent = `${TYPE_GLYPH[n.type]}${nodeText(n)}`;
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

/** Nodes and structural edges as a string: equal strings, equal layout. */
function structureSignature(g: AwaitGraph): string {
  const parts: string[] = [];
  for (const n of g.nodes) parts.push(`${n.id}:${n.type}`);
  parts.push("|");
  for (const e of g.edges) if (isLayoutEdge(e)) parts.push(`${e.from}>${e.to}`);
  return parts.join(",");
}

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
