// How tasks read in the debugger: thread names like
// "Task-3 fetch_data() · waiting on Queue#2", and the "Task" scope's rows.
// The runtime says what a task is and what it waits on (ids); the loop model
// says what those ids are (a queue's getter future, a sleep, another task).

import type { LoopModel } from "../../../model/index";
import { basename } from "node:path";

/** A task as the runtime's `threads` command lists it. */
export interface RuntimeTask {
  readonly task: number;
  readonly loop: number;
  readonly name: string;
  readonly coro: string;
  readonly state: string;
  readonly waits: number | null;
  readonly waits_repr: string | null;
  readonly stopped: boolean;
}

/** An OS thread as the runtime's `threads` command lists it. */
export interface RuntimeThread {
  readonly ident: number;
  readonly name: string;
  readonly loops: number[];
  readonly main: boolean;
  readonly stopped: boolean;
}

export function taskLabel(name: string, coro: string): string {
  return `${name} ${coro}()`;
}

function labelOf(model: LoopModel, id: number): string {
  const t = model.task(id);
  return t === null ? `Task#${id}` : taskLabel(t.name, t.coro);
}

function ownerLabel(model: LoopModel, owner: number | null): string | null {
  if (owner === null) return null;
  const q = model.queue(owner);
  if (q !== null) return `${q.type || "Queue"}#${owner}`;
  const s = model.sync(owner);
  if (s !== null) return `${s.type || "primitive"}#${owner}`;
  return `#${owner}`;
}

/** What a task waiting on `id` is waiting for, in a few words. */
export function describeWait(model: LoopModel, id: number): string {
  if (model.task(id) !== null) return `awaiting ${labelOf(model, id)}`;
  const f = model.future(id);
  if (f === null) return `waiting on #${id}`;
  const owner = ownerLabel(model, f.owner);
  switch (f.type) {
    case "queue-get":
      return `waiting on ${owner ?? "a queue"}`;
    case "queue-put":
      return `waiting to put on ${owner ?? "a queue"}`;
    case "lock":
    case "event":
    case "semaphore":
    case "condition":
      return `waiting on ${owner ?? f.type}`;
    case "sleep": {
      const now = model.getMeta().lastTs;
      if (f.dueNs !== null && f.dueNs > now) return `sleeping (${formatSeconds(f.dueNs - now)} left)`;
      return "sleeping";
    }
    case "gather":
      return `waiting on gather of ${f.children.length}`;
    case "wait":
      return `waiting on wait() of ${f.children.length}`;
    case "future":
    case "unknown":
      return `waiting on future#${id}`;
    default:
      return `waiting on ${f.type}#${id}`;
  }
}

export function formatSeconds(ns: number): string {
  const s = ns / 1e9;
  return s >= 10 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(0)} ms`;
}

/** The DAP thread name of a task. */
export function taskThreadName(t: RuntimeTask, model: LoopModel): string {
  let status: string;
  if (t.stopped) status = t.state === "failed" ? "failed (stopped here)" : "stopped";
  else if (t.state === "running") status = "running";
  else if (t.waits !== null) status = describeWait(model, t.waits);
  else if (t.waits_repr) status = `waiting on ${t.waits_repr}`;
  else if (t.state === "pending") status = "ready to run";
  else status = t.state;
  return `${taskLabel(t.name, t.coro)} · ${status}`;
}

/** The DAP thread name of an OS thread (listed before the tasks). */
export function osThreadName(t: RuntimeThread, model: LoopModel): string {
  const parts: string[] = [];
  for (const id of t.loops) {
    const l = model.loop(id);
    parts.push(l !== null && l.state === "paused" ? `loop ${id} paused` : `loop ${id}`);
  }
  const what = parts.length ? ` (${parts.join(", ")})` : "";
  return `${t.name}${what}${t.stopped ? " · stopped" : ""}`;
}

/** One row of the Task scope: a name, a value, and rows under it. */
export interface Row {
  readonly name: string;
  readonly value: string;
  readonly children?: Row[];
}

function siteText(model: LoopModel, site: number | null): string | null {
  const s = model.siteOf(site);
  return s === null ? null : `${basename(s.file)}:${s.line} in ${s.func}`;
}

/** The rows of the "Task" scope of a frame of task `id`. */
export function taskRows(model: LoopModel, id: number, live: RuntimeTask | undefined): Row[] {
  const t = model.task(id);
  const rows: Row[] = [];
  const state = live?.state ?? t?.state ?? "unknown";
  rows.push({ name: "id", value: String(id) });
  if (live !== undefined) rows.push({ name: "name", value: live.name }, { name: "coroutine", value: `${live.coro}()` });
  else if (t !== null) rows.push({ name: "name", value: t.name }, { name: "coroutine", value: `${t.coro}()` });
  rows.push({ name: "state", value: state });
  const waits = live?.waits ?? t?.awaitingId ?? null;
  if (waits !== null) rows.push({ name: "awaiting", value: describeWait(model, waits) });
  else if (live?.waits_repr) rows.push({ name: "awaiting", value: live.waits_repr });
  if (t === null) return rows;
  if (t.awaitedBy.length) {
    rows.push({
      name: "awaited by",
      value: t.awaitedBy.map((a) => labelOf(model, a)).join(", "),
      children: t.awaitedBy.map((a, i) => ({ name: String(i), value: labelOf(model, a) })),
    });
  }
  const site = siteText(model, t.site);
  if (site !== null) rows.push({ name: "created at", value: site });
  if (t.parent !== null) rows.push({ name: "parent", value: labelOf(model, t.parent) });
  if (t.children.length) {
    rows.push({
      name: "children",
      value: `${t.children.length} task${t.children.length === 1 ? "" : "s"}`,
      children: t.children.map((c, i) => ({ name: String(i), value: labelOf(model, c) })),
    });
  }
  rows.push({ name: "steps", value: String(t.steps) });
  rows.push({ name: "busy", value: formatSeconds(t.busyNs) });
  if (t.cancelRequest !== null) {
    const by = t.cancelRequest.byTask !== null ? labelOf(model, t.cancelRequest.byTask) : "outside any task";
    const at = siteText(model, t.cancelRequest.bySite);
    const msg = t.cancelRequest.message !== null ? ` (message ${JSON.stringify(t.cancelRequest.message)})` : "";
    rows.push({ name: "cancel requested", value: `by ${by}${at !== null ? ` at ${at}` : ""}${msg}` });
  }
  if (t.exception !== null) rows.push({ name: "exception", value: `${t.exception.type}: ${t.exception.message}` });
  if (t.result !== null) rows.push({ name: "result", value: t.result });
  return rows;
}
