// Timeline: one swimlane per task on the loop's clock. Run slices (the
// task's steps), the wait between them (a thin line while the task is alive),
// markers for created / cancel requested / done / cancelled / failed, and
// blocked-loop episodes as red bands. Horizontal zoom (Ctrl/Shift + wheel,
// buttons) and pan (drag); lanes are virtualized (only those in view exist).

import { axisTop } from "d3-axis";
import { scaleLinear, type ScaleLinear } from "d3-scale";
import { select, type Selection } from "d3-selection";
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior, type ZoomTransform } from "d3-zoom";
import type { TaskView } from "../../../model/types";
import type { BlockedEpisode } from "../../../model/types";
import { button, el } from "../dom";
import { fmtDuration, taskLabel } from "../format";
import type { Changes, Store } from "../store";

const LANE_H = 20;
const AXIS_H = 24;
const SVG_NS = "http://www.w3.org/2000/svg";

interface SliceDatum {
  readonly x: number;
  readonly w: number;
}

export class TimelineView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer = el("div", { cls: "spacer" });
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axisG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly bandsG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly lanesG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly zoomer: ZoomBehavior<SVGSVGElement, unknown>;
  private readonly info = el("span", { cls: "muted small", attrs: { "data-testid": "timeline-info" } });
  private transform: ZoomTransform = zoomIdentity;
  private lanes: TaskView[] = [];
  private visible = false;
  private dirty = true;

  constructor(private readonly store: Store) {
    const svgEl = document.createElementNS(SVG_NS, "svg");
    this.svg = select(svgEl).attr("class", "timeline-svg").attr("data-testid", "timeline");
    this.bandsG = this.svg.append("g").attr("class", "bands");
    this.lanesG = this.svg.append("g").attr("class", "lanes");
    this.axisG = this.svg.append("g").attr("class", "axis");
    this.zoomer = zoom<SVGSVGElement, unknown>()
      .scaleExtent([1, 1e7])
      .filter((e: Event) =>
        e.type === "wheel" ? (e as WheelEvent).ctrlKey || (e as WheelEvent).shiftKey : !(e as MouseEvent).button,
      )
      .on("zoom", (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        this.transform = e.transform;
        this.draw();
      });
    this.svg.call(this.zoomer).on("dblclick.zoom", null);
    this.svg.on("click", (ev: MouseEvent) => {
      const lane = (ev.target as Element).closest<SVGGElement>("g.lane");
      if (lane?.dataset.task !== undefined) store.select(Number(lane.dataset.task));
    });
    this.scroller = el("div", { cls: "timeline-scroll", attrs: { tabindex: "0", "aria-label": "Timeline lanes" } });
    this.scroller.append(svgEl, this.spacer);
    this.scroller.addEventListener("scroll", () => this.draw());
    this.scroller.addEventListener("keydown", (e) => this.onKey(e));
    new ResizeObserver(() => {
      if (this.visible) this.draw();
    }).observe(this.scroller);
    const zoomBy = (k: number): void => {
      const w = this.plotWidth();
      this.svg
        .transition()
        .duration(150)
        .call(this.zoomer.scaleBy, k, [this.labelWidth() + w / 2, 0]);
    };
    this.el = el(
      "section",
      { cls: "view timeline-view", attrs: { "aria-label": "Timeline" } },
      el(
        "div",
        { cls: "toolbar" },
        button("Fit", () => this.svg.transition().duration(200).call(this.zoomer.transform, zoomIdentity), {
          title: "Show the whole run",
          icon: "screen-full",
        }),
        button("", () => zoomBy(2), {
          title: "Zoom in (or Ctrl + wheel)",
          attrs: { "aria-label": "Zoom in" },
          icon: "zoom-in",
          cls: "icon-only",
        }),
        button("", () => zoomBy(0.5), {
          title: "Zoom out",
          attrs: { "aria-label": "Zoom out" },
          icon: "zoom-out",
          cls: "icon-only",
        }),
        this.info,
      ),
      this.scroller,
    );
    store.subscribe((c) => this.update(c));
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && this.dirty) this.render();
  }

  private update(c: Changes): void {
    if (c.data || c.reset) this.dirty = true;
    if (!this.visible) return;
    if (this.dirty) this.render();
    else if (c.selection) {
      this.scrollToSelection();
      this.draw();
    }
  }

  private labelWidth(): number {
    return this.scroller.clientWidth < 420 ? 84 : 140;
  }
  private plotWidth(): number {
    // Room on the right for the last tick's label.
    return Math.max(50, this.scroller.clientWidth - this.labelWidth() - 28);
  }

  private render(): void {
    this.dirty = false;
    const m = this.store.mirror;
    this.lanes =
      m === null
        ? []
        : [...m.tasks.values()]
            .filter((t) => t.createdNs !== null || m.timeline.count(t.id) > 0)
            .sort((a, b) => (a.createdNs ?? a.firstStepNs ?? 0) - (b.createdNs ?? b.firstStepNs ?? 0) || a.id - b.id);
    this.spacer.style.height = `${Math.max(0, this.lanes.length * LANE_H + AXIS_H - this.viewHeight())}px`;
    this.draw();
  }

  private viewHeight(): number {
    return this.scroller.clientHeight || 300;
  }

  private baseScale(): ScaleLinear<number, number> {
    const m = this.store.mirror;
    let t0 = Infinity;
    for (const t of this.lanes) t0 = Math.min(t0, t.createdNs ?? t.firstStepNs ?? Infinity);
    if (!Number.isFinite(t0)) t0 = 0;
    const t1 = Math.max(t0 + 1000, m?.meta.lastTs ?? 0);
    const lw = this.labelWidth();
    return scaleLinear()
      .domain([t0, t1])
      .range([lw, lw + this.plotWidth()]);
  }

  private draw(): void {
    if (!this.visible) return;
    const m = this.store.mirror;
    const h = this.viewHeight();
    this.svg.attr("width", this.scroller.clientWidth).attr("height", h);
    if (m === null) return;
    const x = this.transform.rescaleX(this.baseScale());
    const lw = this.labelWidth();
    const [d0, d1] = x.domain() as [number, number];
    this.info.textContent = `${this.lanes.length} task${this.lanes.length === 1 ? "" : "s"} · ${fmtDuration(d1 - d0)} in view`;
    // The axis counts from the first task's creation, in round steps.
    const t0 = this.baseScale().domain()[0] ?? 0;
    const rel = x.copy().domain([d0 - t0, d1 - t0]);
    const axis = axisTop<number>(rel)
      .ticks(Math.max(2, Math.floor(this.plotWidth() / 90)))
      .tickFormat((v) => fmtDuration(v.valueOf()));
    this.axisG.attr("transform", `translate(0,${AXIS_H - 4})`).call(axis);
    this.axisG.selectAll(".tick text").attr("class", "tick-label");

    const top = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / LANE_H) - 2);
    const last = Math.min(this.lanes.length, Math.ceil((top + h) / LANE_H) + 2);
    const shown = this.lanes.slice(first, last);
    const sel = this.store.selected;
    const now = m.meta.lastTs;
    const clampX = (v: number): number => Math.max(lw, Math.min(lw + this.plotWidth(), v));

    const lane = this.lanesG
      .selectAll<SVGGElement, TaskView>("g.lane")
      .data(shown, (t) => t.id)
      .join((enter) => {
        const g = enter.append("g");
        g.append("rect").attr("class", "lane-bg");
        g.append("line").attr("class", "life");
        g.append("g").attr("class", "slices");
        g.append("g").attr("class", "marks");
        g.append("text").attr("class", "lane-label");
        g.append("title");
        return g;
      });
    lane
      .attr("class", (t) => `lane st-${t.state}${t.id === sel ? " selected" : ""}`)
      .attr("data-task", (t) => t.id)
      .attr("transform", (_t, i) => `translate(0,${AXIS_H + (first + i) * LANE_H - top})`);
    lane
      .select("rect.lane-bg")
      .attr("x", 0)
      .attr("width", lw + this.plotWidth())
      .attr("height", LANE_H);
    lane
      .select<SVGTextElement>("text.lane-label")
      .attr("x", 4)
      .attr("y", LANE_H / 2)
      .attr("dy", "0.35em")
      .text((t) => {
        // Unnamed tasks (Task-N) are shown by the coroutine they run (narrow) or both (wide).
        const unnamed = /^Task-\d+$/.test(t.name) && t.coro !== "";
        const s = unnamed ? (lw < 100 ? t.coro : `${t.name} ${t.coro}`) : taskLabel(t);
        const max = Math.floor((lw - 8) / 6.5);
        return s.length > max ? `${s.slice(0, max - 1)}…` : s;
      });
    lane.select("title").text((t) => `${taskLabel(t)} — ${t.coro || "?"} #${t.id}, ${t.state}`);
    lane
      .select("line.life")
      .attr("x1", (t) => clampX(x(t.createdNs ?? t.firstStepNs ?? now)))
      .attr("x2", (t) => clampX(x(t.doneNs ?? now)))
      .attr("y1", LANE_H / 2)
      .attr("y2", LANE_H / 2);
    const x0 = d0;
    const x1 = d1;
    lane
      .select<SVGGElement>("g.slices")
      .selectAll<SVGRectElement, SliceDatum>("rect.slice")
      .data((t) => {
        const out: SliceDatum[] = [];
        let lastEnd = -Infinity;
        m.timeline.forEachSlice(t.id, x0, x1, (s, e) => {
          const a = clampX(x(s));
          const b = clampX(x(e));
          // Slices within the same pixel are drawn as one.
          const prev = out[out.length - 1];
          if (prev !== undefined && a - lastEnd < 1) {
            out[out.length - 1] = { x: prev.x, w: Math.max(prev.w, b - prev.x) };
          } else out.push({ x: a, w: Math.max(1, b - a) });
          lastEnd = Math.max(a, b);
        });
        return out;
      })
      .join("rect")
      .attr("class", "slice")
      .attr("data-task", function () {
        return (this.parentNode!.parentNode as SVGGElement).dataset.task ?? "";
      })
      .attr("x", (d) => d.x)
      .attr("width", (d) => d.w)
      .attr("y", 4)
      .attr("height", LANE_H - 8);
    lane
      .select<SVGGElement>("g.marks")
      .selectAll<SVGPathElement, { type: string; ts: number }>("path.mark")
      .data((t) => m.markers(t.id).filter((mk) => mk.ts >= x0 && mk.ts <= x1))
      .join("path")
      .attr("class", (d) => `mark mk-${d.type}`)
      .attr("transform", (d) => `translate(${x(d.ts)},${LANE_H / 2})`)
      .attr("d", (d) => MARK_PATH[d.type] ?? MARK_PATH.created!)
      .selectAll("title")
      .data((d) => [d])
      .join("title")
      .text((d) => `${d.type} at ${fmtDuration(d.ts - (this.baseScale().domain()[0] ?? 0))}`);

    // Blocked-loop episodes: a band over every lane, and the blocking task's slice.
    const eps: BlockedEpisode[] = [];
    for (const l of m.loops.values()) for (const ep of l.blocked) eps.push(ep);
    this.bandsG
      .selectAll<SVGRectElement, BlockedEpisode>("rect.blocked-band")
      .data(eps.filter((ep) => ep.ts + ep.durationNs >= x0 && ep.ts <= x1))
      .join((enter) => {
        const r = enter.append("rect").attr("class", "blocked-band");
        r.append("title");
        return r;
      })
      .attr("x", (ep) => clampX(x(ep.ts)))
      .attr("width", (ep) => Math.max(2, clampX(x(ep.ts + ep.durationNs)) - clampX(x(ep.ts))))
      .attr("y", AXIS_H)
      .attr("height", Math.max(0, h - AXIS_H))
      .attr("data-task", (ep) => ep.task ?? "")
      .select("title")
      .text((ep) => {
        const t = ep.task === null ? undefined : m.tasks.get(ep.task);
        return `loop blocked for ${fmtDuration(ep.durationNs)}${t === undefined ? "" : ` by ${taskLabel(t)}`}`;
      });
  }

  private onKey(e: KeyboardEvent): void {
    const idx = this.lanes.findIndex((t) => t.id === this.store.selected);
    let next: number;
    if (e.key === "ArrowDown") next = idx + 1;
    else if (e.key === "ArrowUp") next = idx < 0 ? 0 : idx - 1;
    else if (e.key === "+" || e.key === "=") {
      this.svg.call(this.zoomer.scaleBy, 2, [this.labelWidth() + this.plotWidth() / 2, 0]);
      return;
    } else if (e.key === "-") {
      this.svg.call(this.zoomer.scaleBy, 0.5, [this.labelWidth() + this.plotWidth() / 2, 0]);
      return;
    } else return;
    e.preventDefault();
    if (this.lanes.length === 0) return;
    next = Math.max(0, Math.min(this.lanes.length - 1, next));
    this.store.select(this.lanes[next]!.id);
  }

  private scrollToSelection(): void {
    const idx = this.lanes.findIndex((t) => t.id === this.store.selected);
    if (idx < 0) return;
    const top = idx * LANE_H;
    const h = this.viewHeight() - AXIS_H;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + LANE_H > this.scroller.scrollTop + h) this.scroller.scrollTop = top + LANE_H - h;
  }
}

const MARK_PATH: Record<string, string> = {
  created: "M0,-6L0,6",
  "cancel-requested": "M0,-6L5,0L0,6L-5,0Z",
  done: "M-4,0A4,4 0 1,0 4,0A4,4 0 1,0 -4,0",
  cancelled: "M-4,-4L4,4M4,-4L-4,4",
  failed: "M0,-6L6,5L-6,5Z",
};
