// Task table: virtualized (only the rows in view exist in the DOM, so 10k
// tasks scroll smoothly), filter by state and text, hide finished, sort by
// any column, keyboard navigation (arrows, Page Up/Down, Home/End).

import { TASK_STATES, type TaskState, type TaskView } from "../../../model/types";
import { button, el, setPressed } from "../dom";
import { awaitingText, fmtCount, fmtDuration, taskLabel } from "../format";
import type { Changes, SortKey, Store } from "../store";

export const ROW_H = 22;
const OVERSCAN = 6;

interface Column {
  readonly key: SortKey;
  readonly title: string;
  /** Columns that go first when the view is narrow. */
  readonly wideOnly: boolean;
  readonly numeric: boolean;
}

const COLUMNS: readonly Column[] = [
  { key: "id", title: "Id", wideOnly: false, numeric: true },
  { key: "name", title: "Name", wideOnly: false, numeric: false },
  { key: "coro", title: "Coroutine", wideOnly: true, numeric: false },
  { key: "state", title: "State", wideOnly: false, numeric: false },
  { key: "awaiting", title: "Awaiting", wideOnly: false, numeric: false },
  { key: "steps", title: "Steps", wideOnly: true, numeric: true },
  { key: "busy", title: "Busy", wideOnly: true, numeric: true },
  { key: "age", title: "Age", wideOnly: true, numeric: true },
];

const FINISHED = new Set<TaskState>(["done", "cancelled", "failed"]);
const STATE_ORDER: Record<TaskState, number> = { running: 0, pending: 1, failed: 2, cancelled: 3, done: 4 };

interface RowEls {
  readonly row: HTMLElement;
  readonly cells: HTMLElement[];
  readonly badge: HTMLElement;
  id: number;
}

export class TaskTable {
  readonly el: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly stateButtons = new Map<TaskState, HTMLButtonElement>();
  private readonly hideFinished: HTMLInputElement;
  private readonly headers = new Map<SortKey, HTMLButtonElement>();
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly countLabel = el("span", { cls: "table-count", attrs: { "data-testid": "task-count" } });
  private readonly empty = el("div", { cls: "empty" });
  private readonly pool: RowEls[] = [];
  private rows: TaskView[] = [];
  private rowsVersion = -1;
  private visible = false;
  private dirty = true;

  constructor(private readonly store: Store) {
    this.search = el("input", {
      cls: "search",
      attrs: { type: "search", placeholder: "Filter by name, coroutine, id…", "aria-label": "Filter tasks" },
    });
    this.search.value = store.ui.text;
    this.search.addEventListener("input", () => store.setUi({ text: this.search.value }));
    const states = el("span", { cls: "state-filters", attrs: { role: "group", "aria-label": "Show states" } });
    for (const s of TASK_STATES) {
      const b = button(
        s,
        () => {
          const cur = new Set(store.ui.states);
          if (cur.has(s)) cur.delete(s);
          else cur.add(s);
          store.setUi({ states: TASK_STATES.filter((x) => cur.has(x)) });
        },
        { cls: `toggle st-${s}`, pressed: store.ui.states.includes(s), title: `Show ${s} tasks` },
      );
      b.dataset.state = s;
      this.stateButtons.set(s, b);
      states.appendChild(b);
    }
    this.hideFinished = el("input", { attrs: { type: "checkbox" } });
    this.hideFinished.checked = store.ui.hideFinished;
    this.hideFinished.addEventListener("change", () => store.setUi({ hideFinished: this.hideFinished.checked }));
    const hideLabel = el("label", { cls: "check" }, this.hideFinished, el("span", { text: "Hide finished" }));

    const header = el("div", { cls: "trow thead", attrs: { role: "row" } });
    for (const c of COLUMNS) {
      const b = button(c.title, () => {
        const ui = store.ui;
        store.setUi(ui.sortKey === c.key ? { sortDesc: !ui.sortDesc } : { sortKey: c.key, sortDesc: false });
      });
      b.className = `th col-${c.key}${c.wideOnly ? " wide-only" : ""}${c.numeric ? " num" : ""}`;
      b.setAttribute("role", "columnheader");
      this.headers.set(c.key, b);
      header.appendChild(b);
    }
    this.spacer = el("div", { cls: "spacer" });
    this.scroller = el(
      "div",
      {
        cls: "tbody",
        attrs: { role: "grid", tabindex: "0", "aria-label": "Tasks", "aria-rowcount": "0", "data-testid": "task-grid" },
      },
      this.spacer,
    );
    this.scroller.addEventListener("scroll", () => this.renderRows());
    this.scroller.addEventListener("keydown", (e) => this.onKey(e));
    this.scroller.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".trow");
      if (row?.dataset.id !== undefined) store.select(Number(row.dataset.id));
    });
    new ResizeObserver(() => {
      if (this.visible) this.renderRows();
    }).observe(this.scroller);

    this.el = el(
      "section",
      { cls: "view tasks-view", attrs: { "aria-label": "Tasks" } },
      el("div", { cls: "toolbar" }, this.search, states, hideLabel, this.countLabel),
      el("div", { cls: "table" }, header, this.scroller, this.empty),
    );
    store.subscribe((c) => this.update(c));
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && this.dirty) this.render();
  }

  private update(c: Changes): void {
    if (c.data || c.ui || c.reset) this.dirty = true;
    if (!this.visible) return;
    if (this.dirty) this.render();
    else if (c.selection) this.renderRows(true);
  }

  /** The rows after filter and sort, recomputed when the data or the filters changed. */
  private computeRows(): void {
    const m = this.store.mirror;
    const ui = this.store.ui;
    const rows: TaskView[] = [];
    if (m !== null) {
      const shown = new Set(ui.states);
      const text = ui.text.trim().toLowerCase();
      const textId = /^#?\d+$/.test(text) ? Number(text.replace("#", "")) : null;
      for (const t of m.tasks.values()) {
        if (!shown.has(t.state)) continue;
        if (ui.hideFinished && FINISHED.has(t.state)) continue;
        if (text !== "" && t.id !== textId) {
          if (!t.name.toLowerCase().includes(text) && !t.coro.toLowerCase().includes(text)) continue;
        }
        rows.push(t);
      }
      const dir = ui.sortDesc ? -1 : 1;
      const now = m.meta.lastTs;
      const num = (f: (t: TaskView) => number) => (a: TaskView, b: TaskView) => dir * (f(a) - f(b) || a.id - b.id);
      const str = (f: (t: TaskView) => string) => {
        const keys = new Map<number, string>();
        for (const t of rows) keys.set(t.id, f(t).toLowerCase());
        return (a: TaskView, b: TaskView) => {
          const ka = keys.get(a.id)!;
          const kb = keys.get(b.id)!;
          return dir * (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id);
        };
      };
      // Only the chosen column's comparator is built (string keys are computed once per row).
      const sorter = (k: SortKey): ((a: TaskView, b: TaskView) => number) => {
        switch (k) {
          case "id":
            return (a, b) => dir * (a.id - b.id);
          case "name":
            return str((t) => taskLabel(t));
          case "coro":
            return str((t) => t.coro);
          case "state":
            return num((t) => STATE_ORDER[t.state]);
          case "awaiting":
            return str((t) => awaitingText(m, t));
          case "steps":
            return num((t) => t.steps);
          case "busy":
            return num((t) => t.busyNs);
          case "age":
            return num((t) => age(t, now));
        }
      };
      rows.sort(sorter(ui.sortKey));
    }
    this.rows = rows;
    this.rowsVersion = this.store.dataVersion;
  }

  private render(): void {
    this.dirty = false;
    const ui = this.store.ui;
    if (this.search.value !== ui.text) this.search.value = ui.text;
    this.hideFinished.checked = ui.hideFinished;
    const m = this.store.mirror;
    for (const [s, b] of this.stateButtons) {
      setPressed(b, ui.states.includes(s));
      b.textContent = m === null ? s : `${s} ${fmtCount(m.counts.tasks[s])}`;
    }
    for (const [k, b] of this.headers) {
      const sorted = ui.sortKey === k;
      b.setAttribute("aria-sort", sorted ? (ui.sortDesc ? "descending" : "ascending") : "none");
      b.dataset.sort = sorted ? (ui.sortDesc ? "desc" : "asc") : "";
    }
    this.computeRows();
    const total = m === null ? 0 : m.tasks.size;
    this.countLabel.textContent =
      this.rows.length === total ? `${fmtCount(total)} tasks` : `${fmtCount(this.rows.length)} of ${fmtCount(total)}`;
    this.scroller.setAttribute("aria-rowcount", String(this.rows.length));
    this.spacer.style.height = `${this.rows.length * ROW_H}px`;
    this.empty.textContent =
      m === null
        ? "Waiting for the program…"
        : this.rows.length === 0
          ? total === 0
            ? "No tasks yet."
            : "No task matches the filters."
          : "";
    this.empty.hidden = this.rows.length > 0;
    this.renderRows(true);
  }

  /** Fills the row pool with the rows in view. */
  private renderRows(force = false): void {
    if (!this.visible) return;
    if (this.rowsVersion !== this.store.dataVersion && !force) {
      this.render();
      return;
    }
    const m = this.store.mirror;
    const h = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.scroller.scrollTop + h) / ROW_H) + OVERSCAN);
    const need = last - first;
    while (this.pool.length < need) this.pool.push(this.makeRow());
    const now = m === null ? 0 : m.meta.lastTs;
    const sel = this.store.selected;
    let activeId = "";
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i]!;
      if (i >= need || m === null) {
        if (r.row.parentNode !== null) r.row.remove();
        r.id = -1;
        continue;
      }
      if (r.row.parentNode === null) this.scroller.appendChild(r.row);
      const idx = first + i;
      const t = this.rows[idx]!;
      r.row.style.transform = `translateY(${idx * ROW_H}px)`;
      r.row.setAttribute("aria-rowindex", String(idx + 1));
      r.id = t.id;
      r.row.dataset.id = String(t.id);
      r.row.id = `task-row-${t.id}`;
      const selected = t.id === sel;
      r.row.classList.toggle("selected", selected);
      r.row.setAttribute("aria-selected", String(selected));
      if (selected) activeId = r.row.id;
      const c = r.cells;
      c[0]!.textContent = String(t.id);
      c[1]!.textContent = taskLabel(t);
      c[1]!.title = t.name;
      c[2]!.textContent = t.coro;
      c[2]!.title = t.coro;
      r.badge.textContent = t.state;
      r.badge.className = `badge st-${t.state}`;
      const aw = awaitingText(m, t);
      c[4]!.textContent = aw;
      c[4]!.title = aw;
      c[5]!.textContent = fmtCount(t.steps);
      c[6]!.textContent = t.steps === 0 ? "" : fmtDuration(t.busyNs);
      c[7]!.textContent = t.createdNs === null ? "" : fmtDuration(age(t, now));
    }
    if (activeId !== "") this.scroller.setAttribute("aria-activedescendant", activeId);
    else this.scroller.removeAttribute("aria-activedescendant");
  }

  private makeRow(): RowEls {
    const row = el("div", { cls: "trow", attrs: { role: "row" } });
    const cells: HTMLElement[] = [];
    let badge: HTMLElement | null = null;
    for (const c of COLUMNS) {
      const cell = el("span", {
        cls: `td col-${c.key}${c.wideOnly ? " wide-only" : ""}${c.numeric ? " num" : ""}`,
        attrs: { role: "gridcell" },
      });
      if (c.key === "state") {
        badge = el("span", { cls: "badge" });
        cell.appendChild(badge);
      }
      cells.push(cell);
      row.appendChild(cell);
    }
    return { row, cells, badge: badge!, id: -1 };
  }

  private onKey(e: KeyboardEvent): void {
    if (this.rows.length === 0) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_H) - 1);
    const cur = this.rows.findIndex((t) => t.id === this.store.selected);
    let next: number;
    switch (e.key) {
      case "ArrowDown":
        next = cur < 0 ? 0 : cur + 1;
        break;
      case "ArrowUp":
        next = cur < 0 ? 0 : cur - 1;
        break;
      case "PageDown":
        next = cur + page;
        break;
      case "PageUp":
        next = cur - page;
        break;
      case "Home":
        next = 0;
        break;
      case "End":
        next = this.rows.length - 1;
        break;
      case "Escape":
        this.store.select(null);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    next = Math.max(0, Math.min(this.rows.length - 1, next));
    this.store.select(this.rows[next]!.id);
    this.scrollToIndex(next);
  }

  /** Scrolls so that the row at idx is in view. */
  private scrollToIndex(idx: number): void {
    const top = idx * ROW_H;
    const h = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_H > this.scroller.scrollTop + h) this.scroller.scrollTop = top + ROW_H - h;
    this.renderRows(true);
  }

  /** Scrolls the selected task into view (after a selection made elsewhere). */
  revealSelected(): void {
    const idx = this.rows.findIndex((t) => t.id === this.store.selected);
    if (idx >= 0) this.scrollToIndex(idx);
  }
}

function age(t: TaskView, now: number): number {
  if (t.createdNs === null) return 0;
  return (t.doneNs ?? now) - t.createdNs;
}
