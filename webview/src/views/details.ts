// Details of the selected task, future, queue or primitive: state, creation
// site, parent, what it awaits, who awaits it, the async stack (when the
// host sent one), result or exception, who cancelled it and with what
// message. Actions: reveal in editor, cancel task (posted to the host).

import type { Frame } from "../../../protocol/index";
import type { FutureView, QueueView, SiteView, SyncView, TaskView } from "../../../model/types";
import { VIEW_PROTOCOL_VERSION } from "../../../model/viewProtocol";
import { button, clear, el } from "../dom";
import { describeId, fmtCount, fmtDuration, shortSite, taskLabel, waiterTask } from "../format";
import type { Changes, Store } from "../store";

export class DetailsView {
  readonly el: HTMLElement;
  private readonly body = el("div", { cls: "details-body" });

  constructor(private readonly store: Store) {
    this.el = el("aside", { cls: "details", attrs: { "aria-label": "Details", "data-testid": "details" } }, this.body);
    this.body.addEventListener("click", (e) => {
      const a = (e.target as HTMLElement).closest<HTMLElement>("[data-select]");
      if (a !== null) store.select(Number(a.dataset.select));
    });
    store.subscribe((c) => this.update(c));
  }

  private update(c: Changes): void {
    if (c.data || c.selection || c.session || c.stack) this.render();
  }

  private ref(id: number | null): HTMLElement {
    const m = this.store.mirror!;
    if (id === null) return el("span", { cls: "muted", text: "—" });
    const t = m.tasks.get(id);
    return el("button", {
      cls: `ref${t !== undefined ? ` st-${t.state}` : ""}`,
      text: t !== undefined ? taskLabel(t) : describeId(m, id),
      title: `#${id}`,
      attrs: { "data-select": String(id), type: "button" },
    });
  }

  private refs(ids: readonly number[], resolveWaiters = false): HTMLElement {
    const m = this.store.mirror!;
    if (ids.length === 0) return el("span", { cls: "muted", text: "—" });
    const box = el("span", { cls: "refs" });
    for (const id of ids) box.appendChild(this.ref(resolveWaiters ? (waiterTask(m, id) ?? id) : id));
    return box;
  }

  private site(s: SiteView | null): HTMLElement {
    if (s === null) return el("span", { cls: "muted", text: "unknown" });
    const canReveal = this.store.session?.canReveal ?? false;
    const box = el("span", { cls: "site" }, el("code", { text: `${shortSite(s)}`, title: `${s.file}:${s.line}` }));
    if (s.func !== "") box.append(el("span", { cls: "muted", text: ` in ${s.func}` }));
    if (canReveal) {
      box.append(
        button("Reveal", () => this.reveal(s.file, s.line), {
          cls: "small-btn",
          icon: "go-to-file",
          title: `Open ${s.file}:${s.line}`,
          attrs: { "data-action": "reveal" },
        }),
      );
    }
    return box;
  }

  private reveal(file: string, line: number): void {
    this.store.post({ v: VIEW_PROTOCOL_VERSION, kind: "reveal", file, line });
  }

  private render(): void {
    clear(this.body);
    const m = this.store.mirror;
    const id = this.store.selected;
    if (m === null || id === null) {
      this.body.appendChild(
        el("div", { cls: "empty small", text: "Select a task in the table, the graph, the queues or the timeline." }),
      );
      return;
    }
    const t = m.tasks.get(id);
    if (t !== undefined) return this.renderTask(t);
    const f = m.futures.get(id);
    if (f !== undefined) return this.renderFuture(f);
    const q = m.queues.get(id);
    if (q !== undefined) return this.renderQueue(q);
    const s = m.syncs.get(id);
    if (s !== undefined) return this.renderSync(s);
    this.body.appendChild(
      el("div", {
        cls: "empty small",
        text: `#${id} is no longer kept (finished objects beyond the retention limit are summarised).`,
      }),
    );
  }

  private header(title: string, sub: string, state: string): HTMLElement {
    return el(
      "div",
      { cls: "details-head" },
      el("span", { cls: `badge st-${state.replace(/[^a-z]/g, "")}`, text: state || "?" }),
      el("span", { cls: "details-title", text: title, attrs: { "data-testid": "details-title" } }),
      el("span", { cls: "muted", text: sub }),
    );
  }

  private table(rows: [string, HTMLElement | string | null][]): HTMLElement {
    const dl = el("dl", { cls: "kv" });
    for (const [k, v] of rows) {
      if (v === null) continue;
      dl.append(el("dt", { text: k }), typeof v === "string" ? el("dd", { text: v }) : el("dd", {}, v));
    }
    return dl;
  }

  private frames(frames: readonly Frame[], label: string): HTMLElement {
    const canReveal = this.store.session?.canReveal ?? false;
    const ol = el("ol", { cls: "frames", attrs: { "aria-label": label } });
    for (const fr of frames) {
      const base = fr.file.split(/[\\/]/).pop() ?? fr.file;
      const li = el(
        "li",
        {},
        el("code", { text: `${fr.func}` }),
        el("span", { cls: "muted", text: ` ${base}:${fr.line}`, title: fr.file }),
      );
      if (canReveal) {
        li.append(button("Reveal", () => this.reveal(fr.file, fr.line), { cls: "small-btn", icon: "go-to-file" }));
      }
      ol.appendChild(li);
    }
    return ol;
  }

  private renderTask(t: TaskView): void {
    const m = this.store.mirror!;
    const now = m.meta.lastTs;
    const session = this.store.session;
    const live = t.state === "pending" || t.state === "running";
    this.body.appendChild(this.header(taskLabel(t), `task #${t.id}`, t.state));
    const actions = el("div", { cls: "actions" });
    const site = m.siteOf(t.site);
    if (site !== null && session?.canReveal === true) {
      actions.append(
        button("Reveal in editor", () => this.reveal(site.file, site.line), {
          cls: "primary",
          icon: "go-to-file",
          attrs: { "data-action": "reveal-task" },
          title: `Open the creation site ${site.file}:${site.line}`,
        }),
      );
    }
    const cancel = button(
      "Cancel task",
      () => this.store.post({ v: VIEW_PROTOCOL_VERSION, kind: "cancelTask", task: t.id }),
      { attrs: { "data-action": "cancel-task" }, icon: "debug-stop" },
    );
    cancel.disabled = !live || session?.canCancel !== true;
    cancel.title = !live
      ? "The task has finished"
      : session?.canCancel === true
        ? "Ask the program to cancel this task"
        : "Only a live session can cancel tasks";
    actions.append(cancel);
    this.body.appendChild(actions);

    const awaiting =
      t.awaitingId === null
        ? el("span", { cls: "muted", text: live ? "nothing (ready to run)" : "—" })
        : this.ref(t.awaitingId);
    const awaitedFuture = t.awaitingId === null ? undefined : m.futures.get(t.awaitingId);
    let awaitingExtra: HTMLElement | null = null;
    if (awaitedFuture !== undefined && awaitedFuture.children.length > 0) {
      awaitingExtra = el(
        "span",
        {},
        el("span", { cls: "muted", text: `${awaitedFuture.type} of ` }),
        this.refs(awaitedFuture.children),
      );
    } else if (awaitedFuture?.owner != null) {
      awaitingExtra = el("span", {}, el("span", { cls: "muted", text: "on " }), this.ref(awaitedFuture.owner));
    }
    const cancelBy = t.cancelRequest;
    this.body.appendChild(
      this.table([
        ["Coroutine", el("code", { text: t.coro || "?" })],
        ["Created at", this.site(site)],
        ["Parent", t.parent === null ? el("span", { cls: "muted", text: "—" }) : this.ref(t.parent)],
        ["Children", t.children.length > 0 ? this.refs(t.children) : null],
        ["Awaits", awaiting],
        ["", awaitingExtra],
        ["Awaited by", this.refs(t.awaitedBy)],
        [
          "Ever awaited by",
          t.everAwaitedBy.length > t.awaitedBy.length
            ? el(
                "span",
                {},
                this.refs(t.everAwaitedBy),
                el("span", { cls: "muted", text: t.everAwaitedByOverflow > 0 ? ` +${t.everAwaitedByOverflow}` : "" }),
              )
            : null,
        ],
        ["Steps", `${fmtCount(t.steps)} · busy ${fmtDuration(t.busyNs)}`],
        ["Age", t.createdNs === null ? null : fmtDuration((t.doneNs ?? now) - t.createdNs)],
        ["Finished", t.doneNs === null ? null : `${t.state} at ${fmtDuration(t.doneNs)}`],
        ["Result", t.result === null ? null : el("code", { cls: "repr", text: t.result })],
        [
          "Cancelled by",
          cancelBy === null
            ? null
            : el(
                "span",
                {},
                cancelBy.byTask !== null ? this.ref(cancelBy.byTask) : el("span", { text: "code outside any task" }),
                cancelBy.bySite !== null
                  ? el("span", { cls: "muted", text: ` at ${shortSite(m.siteOf(cancelBy.bySite))}` })
                  : null,
                t.cancelRequests > 1 ? el("span", { cls: "muted", text: ` (${t.cancelRequests} requests)` }) : null,
              ),
        ],
        [
          "Cancel message",
          (cancelBy?.message ?? t.cancelMessage) == null
            ? null
            : el("code", { text: (cancelBy?.message ?? t.cancelMessage)! }),
        ],
        ["Running", t.state === "running" ? "the loop stands in this task (paused or blocked)" : null],
        ["Blocked the loop", blockedBy(m, t.id)],
      ]),
    );
    if (t.exception !== null) {
      this.body.appendChild(
        el(
          "div",
          { cls: "exception", attrs: { "data-testid": "exception" } },
          el(
            "div",
            { cls: "exc-title" },
            el("code", { text: t.exception.type }),
            el("span", { text: `: ${t.exception.message}` }),
          ),
          t.exception.traceback.length > 0 ? this.frames(t.exception.traceback, "Traceback") : null,
        ),
      );
    }
    const stack = this.store.stacks.get(t.id);
    if (stack !== undefined && stack.length > 0) {
      this.body.append(el("h4", { text: "Async stack" }), this.frames(stack, "Async stack"));
    }
  }

  private renderFuture(f: FutureView): void {
    const m = this.store.mirror!;
    this.body.appendChild(this.header(f.type, `future #${f.id}`, f.state));
    this.body.appendChild(
      this.table([
        ["Created at", this.site(m.siteOf(f.site))],
        ["Belongs to", f.owner === null ? null : this.ref(f.owner)],
        ["Collects", f.children.length > 0 ? this.refs(f.children) : null],
        ["Awaited by", this.refs(f.awaitedBy)],
        [
          "Due",
          f.dueNs === null
            ? null
            : fmtDuration(f.dueNs - m.meta.lastTs) + (f.dueNs >= m.meta.lastTs ? " from now" : " ago"),
        ],
        ["Finished", f.doneNs === null ? null : `${f.state} at ${fmtDuration(f.doneNs)}`],
      ]),
    );
  }

  private renderQueue(q: QueueView): void {
    const m = this.store.mirror!;
    this.body.appendChild(
      this.header(`${q.type || "Queue"} #${q.id}`, `${q.size}/${q.maxsize > 0 ? q.maxsize : "∞"}`, "queue"),
    );
    const items = el("ol", { cls: "queue-items" });
    for (const it of q.items.slice(0, 50)) items.appendChild(el("li", {}, el("code", { text: it })));
    this.body.appendChild(
      this.table([
        ["Created at", this.site(m.siteOf(q.site))],
        ["Items", q.items.length > 0 ? items : "empty"],
        ["Blocked in get", this.refs(q.getters, true)],
        ["Blocked in put", this.refs(q.putters, true)],
        ["Traffic", `${fmtCount(q.puts)} put · ${fmtCount(q.gets)} got`],
      ]),
    );
  }

  private renderSync(s: SyncView): void {
    const m = this.store.mirror!;
    this.body.appendChild(this.header(`${s.type || "primitive"} #${s.id}`, s.state, "sync"));
    this.body.appendChild(
      this.table([
        ["Created at", this.site(m.siteOf(s.site))],
        ["Waiters", this.refs(s.waiters, true)],
      ]),
    );
  }
}

/** "2× for 1.50 s in all" when the task held the loop too long (loop/blocked reports naming it). */
function blockedBy(m: NonNullable<Store["mirror"]>, task: number): string | null {
  let n = 0;
  let ns = 0;
  for (const l of m.loops.values()) {
    for (const ep of l.blocked) {
      if (ep.task === task) {
        n++;
        ns += ep.durationNs;
      }
    }
  }
  return n === 0 ? null : `${n}× for ${fmtDuration(ns)}${n > 1 ? " in all" : ""}`;
}
