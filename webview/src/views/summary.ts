// Summary bar: tasks and futures by state, loop iterations, dropped events,
// and the loop's state (running / paused / blocked for N ms / closed).

import { FUTURE_STATES, TASK_STATES, type LoopView } from "../../../model/types";
import { el } from "../dom";
import { fmtCount, fmtDuration } from "../format";
import type { Changes, Store } from "../store";

export class SummaryView {
  readonly el: HTMLElement;
  private readonly label = el("span", { cls: "session-label" });
  private readonly loopState = el("span", { cls: "loop-state", attrs: { "data-testid": "loop-state" } });
  private readonly taskCounts = new Map<string, HTMLElement>();
  private readonly futureCounts = new Map<string, HTMLElement>();
  private readonly iterations = el("span", { cls: "num" });
  private readonly dropped = el("span", { cls: "num" });
  private readonly droppedBox: HTMLElement;
  private readonly retained = el("span", { cls: "retained" });

  constructor(private readonly store: Store) {
    const tasks = el(
      "span",
      { cls: "group", attrs: { "aria-label": "Tasks by state" } },
      el("span", { cls: "group-title", text: "Tasks" }),
    );
    for (const s of TASK_STATES) {
      const n = el("span", { cls: "num", attrs: { "data-testid": `count-task-${s}` } });
      this.taskCounts.set(s, n);
      tasks.appendChild(
        el(
          "span",
          { cls: `chip st-${s}`, title: `${s} tasks` },
          el("span", { cls: "dot" }),
          el("span", { text: s }),
          n,
        ),
      );
    }
    const futures = el(
      "span",
      { cls: "group", attrs: { "aria-label": "Futures by state" } },
      el("span", { cls: "group-title", text: "Futures" }),
    );
    for (const s of FUTURE_STATES) {
      const n = el("span", { cls: "num", attrs: { "data-testid": `count-future-${s}` } });
      this.futureCounts.set(s, n);
      futures.appendChild(
        el(
          "span",
          { cls: `chip st-${s}`, title: `${s} futures` },
          el("span", { cls: "dot" }),
          el("span", { text: s }),
          n,
        ),
      );
    }
    this.droppedBox = el(
      "span",
      { cls: "stat", title: "Events the runtime could not send (its buffer was full)" },
      el("span", { text: "dropped " }),
      this.dropped,
    );
    this.el = el(
      "header",
      { cls: "summary", attrs: { role: "status", "aria-live": "off" } },
      el("div", { cls: "summary-top" }, this.loopState, this.label),
      el("div", { cls: "summary-groups" }, tasks, futures),
      el(
        "div",
        { cls: "summary-stats" },
        el("span", { cls: "stat", title: "Loop iterations" }, el("span", { text: "iterations " }), this.iterations),
        this.droppedBox,
        this.retained,
      ),
    );
    store.subscribe((c) => this.update(c));
  }

  update(c: Changes): void {
    if (!c.data && !c.session) return;
    const m = this.store.mirror;
    const s = this.store.session;
    this.label.textContent = s === null ? "" : s.label;
    this.label.title = s === null ? "" : `${s.source === "live" ? "Live session" : "Recorded trace"}: ${s.label}`;
    if (m === null) {
      this.loopState.textContent = "waiting for the program…";
      this.loopState.className = "loop-state";
      return;
    }
    const counts = m.counts;
    for (const st of TASK_STATES) this.taskCounts.get(st)!.textContent = fmtCount(counts.tasks[st]);
    for (const st of FUTURE_STATES) this.futureCounts.get(st)!.textContent = fmtCount(counts.futures[st]);
    this.iterations.textContent = fmtCount(counts.iterations);
    this.dropped.textContent = fmtCount(counts.dropped);
    this.droppedBox.classList.toggle("warn", counts.dropped > 0);
    const evicted = counts.tasksEvicted.done + counts.tasksEvicted.cancelled + counts.tasksEvicted.failed;
    this.retained.textContent = evicted > 0 ? `${fmtCount(evicted)} finished tasks summarised` : "";
    const [text, cls] = this.describeLoop([...m.loops.values()]);
    this.loopState.textContent = text;
    this.loopState.className = `loop-state ${cls}`;
  }

  private describeLoop(loops: LoopView[]): [string, string] {
    const m = this.store.mirror!;
    const exit = m.meta.exit;
    const live = loops.filter((l) => l.state !== "closed");
    const blocked = live.find((l) => l.state === "running" && l.runningTask !== null);
    if (blocked !== undefined) {
      const ep = blocked.blocked[blocked.blocked.length - 1];
      return [`loop blocked for ${ep === undefined ? "?" : fmtDuration(ep.durationNs)}`, "blocked"];
    }
    const paused = live.find((l) => l.state === "paused");
    if (paused !== undefined) return [`loop paused${paused.pauseReason ? ` (${paused.pauseReason})` : ""}`, "paused"];
    if (live.length > 0) {
      const last = loops.reduce((n, l) => n + l.blockedCount, 0);
      return [
        last > 0 ? `loop running · blocked ${last}× so far` : "loop running",
        last > 0 ? "running warn" : "running",
      ];
    }
    if (exit !== null) return [`program exited (code ${exit.code})`, exit.code === 0 ? "closed" : "closed failed"];
    if (loops.length > 0) return ["loop closed", "closed"];
    return ["no loop yet", ""];
  }
}
