// Queues: the loop's ready queue in order (which task's step or which
// function), timers with the time left, every asyncio.Queue with its items,
// maxsize and the tasks blocked in get/put, and the waiters of locks,
// events, semaphores and conditions. Task references select the task.

import type { QueueView, SyncView } from "../../../model/types";
import { clear, el, icon } from "../dom";
import { describeId, fmtCount, fmtDuration, shortSite, taskLabel, waiterTask } from "../format";
import type { Changes, Store } from "../store";

/** Queues and primitives listed at most (the rest are counted). */
const MAX_CARDS = 200;
const MAX_ITEMS = 100;

export class QueuesView {
  readonly el: HTMLElement;
  private readonly body = el("div", { cls: "queues-body" });
  private visible = false;
  private dirty = true;

  constructor(private readonly store: Store) {
    this.el = el("section", { cls: "view queues-view", attrs: { "aria-label": "Queues" } }, this.body);
    this.body.addEventListener("click", (e) => {
      const a = (e.target as HTMLElement).closest<HTMLElement>("[data-select]");
      if (a !== null) store.select(Number(a.dataset.select));
    });
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
    else if (c.selection) this.markSelection();
  }

  /** A reference to a task (or another object) that selects it when clicked. */
  private ref(id: number | null, fallback = ""): HTMLElement {
    const m = this.store.mirror!;
    if (id === null) return el("span", { cls: "muted", text: fallback });
    const t = m.tasks.get(id);
    const b = el("button", {
      cls: `ref${t !== undefined ? ` st-${t.state}` : ""}`,
      text: t !== undefined ? taskLabel(t) : describeId(m, id),
      title: t !== undefined ? `Task #${id} (${t.state})` : `#${id}`,
      attrs: { "data-select": String(id), type: "button" },
    });
    return b;
  }

  private render(): void {
    this.dirty = false;
    const m = this.store.mirror;
    clear(this.body);
    if (m === null) {
      this.body.appendChild(el("div", { cls: "empty", text: "Waiting for the program…" }));
      return;
    }
    const now = m.meta.lastTs;
    const loops = [...m.loops.values()];
    for (const l of loops) {
      const ready = el("ol", { cls: "ready-list", attrs: { "data-testid": "ready-queue" } });
      l.ready.forEach((r) => {
        const li = el("li", { cls: "ready-item" });
        if (r.task !== null) {
          li.append(
            el("span", {
              cls: "muted",
              text: r.kind === "task-step" || r.kind === "step" ? "step of " : `${r.kind} of `,
            }),
            this.ref(r.task),
          );
        } else {
          li.append(el("span", { cls: "muted", text: `${r.kind} ` }), el("code", { text: r.func }));
        }
        ready.appendChild(li);
      });
      const readyMore =
        l.readyTotal > l.ready.length ? `, ${fmtCount(l.readyTotal - l.ready.length)} more not listed` : "";
      const timers = el("ul", { cls: "timer-list", attrs: { "data-testid": "timers" } });
      const sampled = l.sampledNs ?? now;
      for (const tm of l.timers) {
        const left = tm.due_ns - sampled;
        const li = el(
          "li",
          { cls: `timer-item${tm.cancelled ? " cancelled" : ""}` },
          el("span", { cls: "timer-left", text: left >= 0 ? `in ${fmtDuration(left)}` : `${fmtDuration(-left)} late` }),
        );
        if (tm.task !== null) li.append(el("span", { cls: "muted", text: " wakes " }), this.ref(tm.task));
        else li.append(el("span", { cls: "muted", text: " " }), el("code", { text: tm.func }));
        if (tm.cancelled) li.append(el("span", { cls: "badge st-cancelled", text: "cancelled" }));
        timers.appendChild(li);
      }
      const loopTitle = loops.length > 1 ? ` — loop #${l.id} (${l.thread})` : "";
      // Samples are taken between loop iterations; say when, and that a closed loop's is its last.
      const asOf =
        l.sampledNs === null
          ? ""
          : `, as of ${fmtDuration(l.sampledNs)}${l.state === "closed" ? " (the loop has closed since)" : ""}`;
      this.body.append(
        section(
          `Ready queue${loopTitle}`,
          `${fmtCount(l.readyTotal)} callback${l.readyTotal === 1 ? "" : "s"}${readyMore}${asOf}`,
          l.ready.length > 0 ? ready : el("div", { cls: "empty small", text: "Nothing ready to run." }),
          "ready",
        ),
        section(
          `Timers${loopTitle}`,
          `${fmtCount(l.timersTotal)} scheduled${asOf}`,
          l.timers.length > 0 ? timers : el("div", { cls: "empty small", text: "No timers." }),
          "timers",
        ),
      );
    }
    if (loops.length === 0) this.body.append(el("div", { cls: "empty", text: "No event loop yet." }));

    // Queues: those with waiters or items first, then by id.
    const queues = [...m.queues.values()].sort((a, b) => weight(b) - weight(a) || a.id - b.id);
    const qBox = el("div", { cls: "cards" });
    for (const q of queues.slice(0, MAX_CARDS)) qBox.appendChild(this.queueCard(q));
    this.body.append(
      section(
        "Queues",
        queues.length > MAX_CARDS ? `${fmtCount(queues.length)} (first ${MAX_CARDS} shown)` : fmtCount(queues.length),
        queues.length > 0 ? qBox : el("div", { cls: "empty small", text: "No asyncio.Queue seen." }),
        "queues",
      ),
    );
    const syncs = [...m.syncs.values()].sort((a, b) => b.waiters.length - a.waiters.length || a.id - b.id);
    const sBox = el("div", { cls: "cards" });
    for (const s of syncs.slice(0, MAX_CARDS)) sBox.appendChild(this.syncCard(s));
    this.body.append(
      section(
        "Locks, events, semaphores, conditions",
        syncs.length > MAX_CARDS ? `${fmtCount(syncs.length)} (first ${MAX_CARDS} shown)` : fmtCount(syncs.length),
        syncs.length > 0 ? sBox : el("div", { cls: "empty small", text: "No synchronisation primitive seen." }),
        "syncs",
      ),
    );
    this.markSelection();
  }

  private queueCard(q: QueueView): HTMLElement {
    const m = this.store.mirror!;
    const items = el("ol", { cls: "queue-items", attrs: { "data-testid": "queue-items" } });
    for (const it of q.items.slice(0, MAX_ITEMS))
      items.appendChild(el("li", { cls: "queue-item" }, el("code", { text: it })));
    const more = q.size - Math.min(q.items.length, MAX_ITEMS);
    const waiters = (label: string, ids: readonly number[]): HTMLElement | null => {
      if (ids.length === 0) return null;
      const row = el("div", { cls: "waiters" }, el("span", { cls: "muted", text: `${label}: ` }));
      for (const w of ids) row.appendChild(this.ref(waiterTask(m, w) ?? w));
      return row;
    };
    const site = m.siteOf(q.site);
    return el(
      "div",
      { cls: "card queue-card", attrs: { "data-testid": "queue-card", "data-id": String(q.id) } },
      el(
        "div",
        { cls: "card-title" },
        el("span", { cls: "card-name", text: `${q.type || "Queue"} #${q.id}` }),
        el("span", {
          cls: `size${q.maxsize > 0 && q.size >= q.maxsize ? " full" : ""}`,
          text: `${fmtCount(q.size)} / ${q.maxsize > 0 ? fmtCount(q.maxsize) : "∞"}`,
          title: "size / maxsize",
        }),
      ),
      site === null ? null : el("div", { cls: "muted small", text: `created at ${shortSite(site)}`, title: site.file }),
      el("div", { cls: "muted small", text: `${fmtCount(q.puts)} put · ${fmtCount(q.gets)} got` }),
      q.items.length > 0
        ? items
        : el("div", { cls: "muted small", text: q.sampledNs === null ? "not sampled yet" : "empty" }),
      more > 0 ? el("div", { cls: "muted small", text: `… ${fmtCount(more)} more` }) : null,
      waiters("blocked in get", q.getters),
      waiters("blocked in put", q.putters),
    );
  }

  private syncCard(s: SyncView): HTMLElement {
    const m = this.store.mirror!;
    const row = el("div", { cls: "waiters" });
    if (s.waiters.length > 0) {
      row.appendChild(el("span", { cls: "muted", text: "waiters: " }));
      for (const w of s.waiters) row.appendChild(this.ref(waiterTask(m, w) ?? w));
    } else row.appendChild(el("span", { cls: "muted", text: "no waiters" }));
    const site = m.siteOf(s.site);
    return el(
      "div",
      { cls: "card sync-card", attrs: { "data-testid": "sync-card", "data-id": String(s.id) } },
      el(
        "div",
        { cls: "card-title" },
        el("span", { cls: "card-name", text: `${s.type || "primitive"} #${s.id}` }),
        el("span", { cls: `sync-state s-${s.state.replace(/[^a-z]/g, "")}`, text: s.state || "?" }),
      ),
      site === null ? null : el("div", { cls: "muted small", text: `created at ${shortSite(site)}`, title: site.file }),
      row,
    );
  }

  private markSelection(): void {
    const sel = this.store.selected;
    for (const b of this.body.querySelectorAll<HTMLElement>("[data-select]")) {
      b.classList.toggle("selected", sel !== null && b.dataset.select === String(sel));
    }
  }
}

function weight(q: QueueView): number {
  return (q.getters.length + q.putters.length) * 1000 + q.size;
}

const SECTION_ICON: Record<string, string> = { ready: "list-ordered", timers: "watch", queues: "inbox", syncs: "lock" };

function section(title: string, sub: string, content: HTMLElement, id: string): HTMLElement {
  return el(
    "section",
    { cls: "qsection", attrs: { "data-section": id } },
    el(
      "h3",
      {},
      // The icon inside the title's span: they wrap together in a narrow sidebar.
      el("span", { cls: "title" }, icon(SECTION_ICON[id] ?? "circle-large"), el("span", { text: title })),
      el("span", { cls: "muted sub", text: sub }),
    ),
    content,
  );
}
