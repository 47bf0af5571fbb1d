// Small formatting helpers shared by the views. Everything here returns
// plain strings that the views set with textContent (never as HTML).

import type { ModelMirror } from "../../model/mirror";
import type { SiteView, TaskView } from "../../model/types";

/** A duration in nanoseconds, short: "850 ns", "12.3 µs", "4.56 ms", "1.23 s", "2m 05s". */
export function fmtDuration(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  if (ns === 0) return "0";
  const a = Math.abs(ns);
  const sign = ns < 0 ? "-" : "";
  if (a < 1e3) return `${sign}${Math.round(a)} ns`;
  if (a < 1e6) return `${sign}${trim(a / 1e3)} µs`;
  if (a < 1e9) return `${sign}${trim(a / 1e6)} ms`;
  if (a < 60e9) return `${sign}${trim(a / 1e9)} s`;
  const s = Math.round(a / 1e9);
  return `${sign}${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

function trim(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** An integer with thin separators: 12 345. */
export function fmtCount(n: number): string {
  return n.toLocaleString("en-US").replace(/,/g, "\u202f");
}

/** "file.py:12" (the file's base name) for a site. */
export function shortSite(s: SiteView | null): string {
  if (s === null) return "";
  const base = s.file.split(/[\\/]/).pop() ?? s.file;
  return `${base}:${s.line}`;
}

/** A task's display name: its name, else its coroutine, else its id. */
export function taskLabel(t: Pick<TaskView, "id" | "name" | "coro">): string {
  return t.name || t.coro || `task ${t.id}`;
}

/** The thing an id names, for a reference: task name, future type, queue or primitive class. */
export function describeId(m: ModelMirror, id: number): string {
  const t = m.tasks.get(id);
  if (t !== undefined) return taskLabel(t);
  const f = m.futures.get(id);
  if (f !== undefined) {
    if (f.owner !== null) {
      const q = m.queues.get(f.owner);
      if (q !== undefined) return `${f.type} on ${q.type || "Queue"} #${q.id}`;
      const s = m.syncs.get(f.owner);
      if (s !== undefined) return `${f.type} on ${s.type || "primitive"} #${s.id}`;
    }
    return `${f.type} #${id}`;
  }
  const q = m.queues.get(id);
  if (q !== undefined) return `${q.type || "Queue"} #${id}`;
  const s = m.syncs.get(id);
  if (s !== undefined) return `${s.type || "primitive"} #${id}`;
  return `#${id}`;
}

/** What a task awaits, as a short text for the table. */
export function awaitingText(m: ModelMirror, t: TaskView): string {
  if (t.awaitingId === null) return "";
  return describeId(m, t.awaitingId);
}

/**
 * The task that stands behind an id listed as a waiter (queue getters and
 * putters, primitive waiters list futures): the task itself, or the task
 * awaiting that future.
 */
export function waiterTask(m: ModelMirror, id: number): number | null {
  if (m.tasks.has(id)) return id;
  const f = m.futures.get(id);
  if (f !== undefined && f.awaitedBy.length > 0) return f.awaitedBy[0]!;
  return null;
}
