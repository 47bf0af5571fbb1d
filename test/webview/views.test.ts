// The built webview in headless Chromium, fed recorded traces (recorded by
// the runtime from real programs) through the real model by a fake host.
// Assertions are about what a user sees.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TASK_STATES, type TaskView } from "../../model/types";
import { VIEW_PROTOCOL_VERSION } from "../../model/viewProtocol";
import { Batcher, hello, loopCreated, steps, taskCreated } from "../../model/synth";
import type { LoopEvent } from "../../protocol/index";
import { Harness, type HostedPage } from "./harness";

const h = new Harness();
let p: HostedPage;

before(async () => {
  await h.start();
  p = await h.newPage(1200, 800);
});
after(async () => {
  await h.stop();
});

const texts = (sel: string): Promise<string[]> =>
  p.page.$$eval(sel, (els) => els.map((e) => (e.textContent ?? "").trim()));
const count = (sel: string): Promise<number> => p.page.$$eval(sel, (els) => els.length);
const findTask = (name: string): number | undefined => [...p.model.tasks.values()].find((t) => t.name === name)?.id;
const taskId = (name: string): number => {
  for (const t of p.model.tasks.values()) if (t.name === name) return t.id;
  throw new Error(`no task named ${name}`);
};
async function assertClean(): Promise<void> {
  assert.deepEqual(p.problems.pageErrors, [], "page errors");
  assert.deepEqual(p.problems.dialogs, [], "dialogs");
  assert.deepEqual(await p.cspViolations(), [], "CSP violations");
}

test("the view says ready, gets the state, and the summary counts tasks and futures by state", async () => {
  await p.open("producer_consumer");
  assert.equal(p.received[0]?.kind, "ready");
  await p.playAll();
  const c = p.model.getCounts();
  for (const s of TASK_STATES) {
    assert.equal(await p.page.textContent(`[data-testid="count-task-${s}"]`), String(c.tasks[s]), `tasks ${s}`);
  }
  // The trace's own report: 8 tasks, 5 done and 3 cancelled; 45 futures, 3 cancelled and 42 done.
  assert.equal(c.tasks.done, 5);
  assert.equal(c.tasks.cancelled, 3);
  assert.equal(await p.page.textContent('[data-testid="count-future-cancelled"]'), "3");
  assert.equal(await p.page.textContent('[data-testid="count-future-done"]'), "42");
  assert.match((await p.page.textContent('[data-testid="loop-state"]')) ?? "", /program exited \(code 0\)/);
  assert.equal(await count('[data-testid="task-grid"] .trow'), 8);
  await assertClean();
});

test("the task table filters by text, by state and hides finished tasks; sorts by a column", async () => {
  await p.open("producer_consumer");
  await p.playAll();
  await p.page.fill('input[type="search"]', "consumer");
  await p.page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] .trow').length === 3);
  assert.deepEqual((await texts('[data-testid="task-grid"] .trow .col-name')).sort(), [
    "consumer-1",
    "consumer-2",
    "consumer-3",
  ]);
  assert.equal(await p.page.textContent('[data-testid="task-count"]'), "3 of 8");
  await p.page.fill('input[type="search"]', "");
  await p.page.click('.state-filters button[data-state="cancelled"]');
  await p.page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] .trow').length === 5);
  assert.deepEqual([...new Set(await texts('[data-testid="task-grid"] .trow .col-state'))], ["done"]);
  await p.page.click('.state-filters button[data-state="cancelled"]');
  await p.page.check('label.check input[type="checkbox"]');
  await p.page.waitForFunction(() => document.querySelectorAll('[data-testid="task-grid"] .trow').length === 0);
  assert.equal(await p.page.textContent(".table .empty"), "No task matches the filters.");
  await p.page.uncheck('label.check input[type="checkbox"]');
  await p.page.click(".th.col-name");
  await p.page.click(".th.col-name");
  await p.page.waitForSelector('.th.col-name[aria-sort="descending"]');
  const names = await p.page.$$eval('[data-testid="task-grid"] .trow', (rows) =>
    rows
      .map((r) => ({
        y: new DOMMatrix(getComputedStyle(r).transform).m42,
        name: r.querySelector(".col-name")!.textContent!,
      }))
      .sort((a, b) => a.y - b.y)
      .map((r) => r.name),
  );
  assert.deepEqual(
    names,
    [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? 1 : -1)),
  );
  assert.equal(names[0], "Task-8");
  await assertClean();
});

test("a gather node is drawn with its children, and a cancelled future among them is drawn as cancelled", async () => {
  await p.open("cancelled_in_gather");
  await p.playUntil(
    (m) => [...m.futures.values()].some((f) => f.type === "gather") && m.task(taskId("quick"))?.state === "done",
  );
  await p.tab("graph");
  const gather = [...p.model.futures.values()].find((f) => f.type === "gather")!;
  assert.equal(await count(`g.node[data-id="${gather.id}"][data-kind="gather"]`), 1);
  const children = await p.page.$$eval(`path.edge[data-type="gather-child"][data-from="${gather.id}"]`, (es) =>
    es.map((e) => Number(e.getAttribute("data-to"))),
  );
  assert.deepEqual(
    children.sort((a, b) => a - b),
    [...gather.children].sort((a, b) => a - b),
  );
  const cancelled = gather.children.find((c) => p.model.futures.get(c)?.state === "cancelled")!;
  assert.ok(cancelled !== undefined, "the trace has a cancelled child future");
  const cls = await p.page.getAttribute(`g.node[data-id="${cancelled}"]`, "class");
  assert.match(cls ?? "", /\bst-cancelled\b/);
  const dash = await p.page.$eval(`g.node[data-id="${cancelled}"] rect`, (r) => getComputedStyle(r).strokeDasharray);
  assert.notEqual(dash, "none", "a cancelled node has a dashed outline");
  // The slow task is still pending and the main task awaits the gather.
  assert.match((await p.page.getAttribute(`g.node[data-id="${taskId("slow")}"]`, "class")) ?? "", /\bst-pending\b/);
  const main = [...p.model.tasks.values()].find((t) => t.awaitingId === gather.id)!;
  assert.equal(main.coro, "main");
  assert.equal(await count(`path.edge[data-type="awaits"][data-from="${main.id}"][data-to="${gather.id}"]`), 1);
  await assertClean();
});

test("queue items are shown in order, and a task blocked on Queue.get is linked to the queue", async () => {
  await p.open("producer_consumer");
  await p.playUntil((m) => [...m.queues.values()].some((q) => q.items.length >= 3));
  await p.tab("queues");
  const q = [...p.model.queues.values()].find((x) => x.items.length >= 3)!;
  const shown = await texts(`[data-testid="queue-card"][data-id="${q.id}"] .queue-item`);
  assert.deepEqual(shown, q.items);
  assert.match(
    (await p.page.textContent(`[data-testid="queue-card"][data-id="${q.id}"] .size`)) ?? "",
    /^\d+ \/ (∞|\d+)$/,
  );

  // A consumer blocked in get: it awaits a queue-get future owned by the queue, and the queue's sample lists it.
  const blockedOnQueue = (): TaskView | undefined =>
    [...p.model.tasks.values()].find(
      (t) => t.awaitingKind === "queue-get" && p.model.future(t.awaitingId!)?.owner === q.id,
    ) as TaskView | undefined;
  await p.playUntil((m) => blockedOnQueue() !== undefined && m.queue(q.id)!.getters.length > 0);
  const blocked = blockedOnQueue()!;
  await p.tab("graph");
  const fut = blocked.awaitingId!;
  assert.equal(await count(`path.edge[data-type="awaits"][data-from="${blocked.id}"][data-to="${fut}"]`), 1);
  assert.equal(await count(`path.edge[data-type="owned-by"][data-from="${fut}"][data-to="${q.id}"]`), 1);
  assert.equal(await count(`g.node[data-id="${q.id}"][data-type="queue"]`), 1);
  await p.tab("queues");
  const refs = await p.page.$$eval(`[data-testid="queue-card"][data-id="${q.id}"] .waiters .ref`, (bs) =>
    bs.map((b) => Number(b.getAttribute("data-select"))),
  );
  const getterTasks = p.model
    .queue(q.id)!
    .getters.map((g) => (p.model.tasks.has(g) ? g : (p.model.future(g)?.awaitedBy[0] ?? g)));
  assert.deepEqual(refs, getterTasks, "the queue card lists the tasks blocked in get");
  assert.ok(refs.every((id) => p.model.tasks.has(id)));
  await assertClean();
});

test("the ready queue lists the loop's callbacks in order: task steps by task, plain callbacks by function", async () => {
  await p.open("busy_ready");
  // (The runtime may send a sample naming tasks whose packed creation comes in the next batch: wait for the names.)
  await p.playUntil((m) =>
    [...m.loops.values()].some(
      (l) => l.ready.length >= 4 && l.ready.every((r) => r.task === null || m.task(r.task) !== null),
    ),
  );
  await p.tab("queues");
  const loop = [...p.model.loops.values()].find((l) => l.ready.length >= 4)!;
  const want = loop.ready.map((r) =>
    r.task !== null ? `step of ${p.model.task(r.task)!.name}` : `${r.kind} ${r.func}`,
  );
  assert.deepEqual(await texts('[data-testid="ready-queue"] .ready-item'), want);
  assert.ok(want.some((w) => w.startsWith("step of spinner-")) && want.some((w) => w === "callback tick"));
  assert.match(
    (await p.page.textContent('[data-section="ready"] h3')) ?? "",
    new RegExp(`${loop.readyTotal} callbacks`),
  );
  // A task in the ready queue selects when clicked.
  await p.page.click('[data-testid="ready-queue"] .ready-item .ref');
  const first = loop.ready.find((r) => r.task !== null)!.task!;
  await p.page.waitForFunction(
    (id) => document.querySelector('[data-testid="root"]')?.getAttribute("data-selected") === String(id),
    first,
  );
  await assertClean();
});

test("the timeline draws run slices per task, end markers, and blocked-loop episodes", async () => {
  await p.open("blocking_loop");
  await p.playAll();
  await p.tab("timeline");
  const tasks = [...p.model.tasks.values()].filter((t) => p.model.timeline.count(t.id) > 0);
  assert.ok(tasks.length >= 2);
  for (const t of tasks.slice(0, 5)) {
    const n = await count(`rect.slice[data-task="${t.id}"]`);
    assert.ok(
      n >= 1 && n <= p.model.timeline.count(t.id),
      `task ${t.name}: ${n} slices drawn of ${p.model.timeline.count(t.id)}`,
    );
  }
  const eps = [...p.model.loops.values()].flatMap((l) => l.blocked);
  assert.ok(eps.length >= 1, "the trace has a blocked-loop episode");
  assert.equal(await count("rect.blocked-band"), eps.length);
  const band = await p.page.$eval("rect.blocked-band", (r) => Number(r.getAttribute("width")));
  assert.ok(band > 20, `the 1.5 s block is a visible band (${band} px)`);
  assert.ok((await count("path.mark.mk-done")) >= 1);
  // Zooming in (the + button) keeps the slices but spreads them out.
  const w0 = await p.page.$eval("rect.blocked-band", (r) => Number(r.getAttribute("width")));
  await p.page.click('button[aria-label="Zoom in"]');
  await p.page.waitForTimeout(300);
  const w1 = await p.page.$eval("rect.blocked-band", (r) => Number(r.getAttribute("width")));
  assert.ok(w1 > w0, `zoomed band ${w1} > ${w0}`);
  await assertClean();
});

test("clicking a graph node selects it everywhere: the table row, the details pane, the host", async () => {
  await p.open("producer_consumer");
  await p.playUntil((m) => [...m.tasks.values()].filter((t) => t.name.startsWith("consumer")).length === 3);
  await p.tab("graph");
  const id = taskId("consumer-2");
  await p.page.click(`g.node[data-id="${id}"]`);
  await p.page.waitForSelector(`g.node.selected[data-id="${id}"]`);
  assert.equal(await p.page.textContent('[data-testid="details-title"]'), "consumer-2");
  assert.deepEqual(p.received.filter((m) => m.kind === "select").at(-1), {
    v: VIEW_PROTOCOL_VERSION,
    kind: "select",
    id,
  });
  await p.tab("tasks");
  assert.equal(await p.page.getAttribute(`#task-row-${id}`, "aria-selected"), "true");
  // The host can select too (a thread picked in the call stack).
  const other = taskId("producer-1");
  await p.post({ v: VIEW_PROTOCOL_VERSION, kind: "select", id: other });
  await p.page.waitForSelector(`#task-row-${other}[aria-selected="true"]`);
  assert.equal(await p.page.textContent('[data-testid="details-title"]'), "producer-1");
  // Keyboard: the next row down.
  await p.page.focus('[data-testid="task-grid"]');
  await p.page.keyboard.press("ArrowDown");
  await p.page.waitForFunction(
    (o) => document.querySelector('[data-testid="root"]')?.getAttribute("data-selected") !== String(o),
    other,
  );
  await assertClean();
});

test("details show the creation site, awaits, cancellation and post reveal / cancel actions", async () => {
  await p.open("producer_consumer", { session: { source: "live", canCancel: true } });
  await p.playUntil((m) => {
    const c = findTask("consumer-1");
    return c !== undefined && m.task(c)?.awaitingId != null;
  });
  const id = taskId("consumer-1");
  await p.post({ v: VIEW_PROTOCOL_VERSION, kind: "select", id });
  await p.page.waitForSelector(`[data-testid="details"] [data-action="cancel-task"]:not([disabled])`);
  const site = p.model.siteOf(p.model.task(id)!.site)!;
  await p.page.click('[data-action="reveal-task"]');
  await p.page.click('[data-action="cancel-task"]');
  await p.page.waitForFunction(() => true);
  await new Promise((r) => setTimeout(r, 100));
  const acts = p.received.filter((m) => m.kind === "reveal" || m.kind === "cancelTask");
  assert.deepEqual(acts, [
    { v: VIEW_PROTOCOL_VERSION, kind: "reveal", file: site.file, line: site.line },
    { v: VIEW_PROTOCOL_VERSION, kind: "cancelTask", task: id },
  ]);
  assert.match((await p.page.textContent('[data-testid="details"]')) ?? "", /producer_consumer\.py:\d+/);
  // After the run: cancelled by the main task, with the cancel button disabled.
  await p.playAll();
  const text = (await p.page.textContent('[data-testid="details"]')) ?? "";
  assert.match(text, /Cancelled by\s*Task-1/);
  assert.equal(await p.page.getAttribute('[data-action="cancel-task"]', "disabled"), "");
  // A stack sent by the host is shown.
  await p.post({
    v: VIEW_PROTOCOL_VERSION,
    kind: "stack",
    task: id,
    frames: [{ file: "/x/app.py", line: 7, func: "consumer" }],
  });
  await p.page.waitForSelector('[aria-label="Async stack"] li');
  await assertClean();
});

test("focus shows only the selection's neighbourhood; fit and zoom keep every node in the svg", async () => {
  await p.open("producer_consumer");
  await p.playUntil((m) => [...m.tasks.values()].filter((t) => t.name.startsWith("consumer")).length === 3);
  await p.tab("graph");
  const all = await count("g.node");
  const id = taskId("producer-1");
  await p.page.click(`g.node[data-id="${id}"]`);
  await p.page.click('button:has-text("Focus")');
  const want = p.model.awaitGraph({ includeDone: true, roots: [id], depth: 2 });
  await p.page.waitForFunction((n) => document.querySelectorAll("g.node").length === n, want.nodes.length);
  const shown = await p.page.$$eval("g.node", (gs) =>
    gs.map((g) => Number(g.getAttribute("data-id"))).sort((a, b) => a - b),
  );
  assert.deepEqual(
    shown,
    want.nodes.map((n) => n.id).sort((a, b) => a - b),
  );
  assert.ok(shown.length < all, `${shown.length} of ${all} nodes in focus`);
  await p.page.click('button:has-text("Focus")');
  await p.page.waitForFunction((n) => document.querySelectorAll("g.node").length === n, all);
  await p.page.click('button:has-text("Fit")');
  await p.page.waitForTimeout(350);
  // After Fit every node lies inside the visible svg.
  const outside = await p.page.evaluate(() => {
    const svg = document.querySelector('[data-testid="graph"]')!.getBoundingClientRect();
    return [...document.querySelectorAll("g.node")].filter((g) => {
      const r = g.getBoundingClientRect();
      return r.left < svg.left - 1 || r.right > svg.right + 1 || r.top < svg.top - 1 || r.bottom > svg.bottom + 1;
    }).length;
  });
  assert.equal(outside, 0);
  await assertClean();
});

test("a wait-for cycle is highlighted as a deadlock in the banner and the graph", async () => {
  await p.open("await_cycle");
  await p.playAll();
  const a = taskId("first");
  const b = taskId("second");
  await p.page.waitForSelector('[data-testid="banner"]:not([hidden])');
  assert.match(
    (await p.page.textContent('[data-testid="banner"]')) ?? "",
    /Deadlock: (first → second → first|second → first → second)/,
  );
  await p.tab("graph");
  for (const id of [a, b])
    assert.match((await p.page.getAttribute(`g.node[data-id="${id}"]`, "class")) ?? "", /\bdeadlock\b/);
  assert.ok((await count("path.edge.deadlock")) >= 2);
  assert.match((await p.page.getAttribute(`g.node[data-id="${taskId("ticker")}"]`, "class")) ?? "", /^(?!.*deadlock)/);
  await assertClean();
});

test("the layout does not move nodes when only drawing options or states change", async () => {
  await p.open("producer_consumer");
  await p.playUntil((m) => [...m.tasks.values()].filter((t) => t.name.startsWith("consumer")).length === 3);
  await p.tab("graph");
  const pos = (): Promise<Record<string, string>> =>
    p.page.$$eval("g.node", (gs) =>
      Object.fromEntries(gs.map((g) => [g.getAttribute("data-id")!, g.getAttribute("transform")!])),
    );
  const before = await pos();
  assert.ok((await count('path.edge[data-type="created-by"]')) > 0);
  await p.page.click('button:has-text("Created by")');
  await p.page.waitForFunction(() => document.querySelectorAll('path.edge[data-type="created-by"]').length === 0);
  assert.deepEqual(await pos(), before);
  // The legend names states and edge kinds.
  assert.match((await p.page.textContent('[data-testid="graph-legend"]')) ?? "", /cancelled.*created by.*deadlock/s);
  // The node list walks the nodes with the keyboard.
  await p.page.click('button:has-text("Nodes")');
  await p.page.focus('[data-testid="graph-node-list"]');
  await p.page.keyboard.press("Home");
  await p.page.keyboard.press("ArrowDown");
  const sel = await p.page.getAttribute('[data-testid="root"]', "data-selected");
  assert.ok(sel !== null && sel !== "" && before[sel] !== undefined, "the selection is a graph node");
  await assertClean();
});

test("XSS probes in task names and queue items are shown as text: no element, no script, no CSP violation", async () => {
  const probe = "<img src=x onerror=alert(1)>";
  await p.open("xss_probe");
  await p.playUntil((m) => [...m.queues.values()].some((q) => q.items.length >= 2));
  const names = await texts('[data-testid="task-grid"] .trow .col-name');
  assert.ok(names.includes(probe), `the probe task name is shown as text: ${JSON.stringify(names)}`);
  assert.ok(names.includes('<b>bold</b> & "quoted"'));
  await p.tab("queues");
  const items = await texts(".queue-item");
  assert.deepEqual(items.slice(0, 2), [probe, "'<script>alert(2)</script>'"]);
  await p.tab("graph");
  await p.page.click('button:has-text("Finished")');
  await p.tab("timeline");
  const id = taskId(probe);
  await p.post({ v: VIEW_PROTOCOL_VERSION, kind: "select", id });
  await p.page.waitForFunction(
    (t) => document.querySelector('[data-testid="details-title"]')?.textContent === t,
    probe,
  );
  await p.playAll();
  await p.tab("tasks");
  assert.equal(await count("img"), 0);
  assert.equal(await count("b"), 0);
  assert.equal(await count("script"), 1, "only the page's own script");
  await new Promise((r) => setTimeout(r, 200));
  await assertClean();
});

test("a big graph has elements only around the view: Fit draws the rest, without labels when zoomed far out", async () => {
  await p.open(null);
  const evs: LoopEvent[] = [loopCreated(1, 0)];
  const sleeps: number[] = [];
  const st: [number, number, number, number][] = [];
  for (let i = 0; i < 1_000; i++) {
    evs.push(taskCreated(100 + 2 * i, 1, 1, { name: `worker-${i}`, coro: "worker" }));
    sleeps.push(101 + 2 * i, 1, 0, 0, 0, 1e12);
    st.push([100 + 2 * i, 2, 3, 101 + 2 * i]);
  }
  evs.push({ kind: "future/created-batch", loop: 1, types: ["sleep"], data: sleeps }, steps(1, ...st));
  p.model.apply(hello());
  p.model.apply(new Batcher().batch(...evs));
  await p.post({
    v: VIEW_PROTOCOL_VERSION,
    kind: "state",
    snapshot: p.model.snapshot(),
    session: { source: "live", label: "big", canCancel: false, canReveal: false, ended: false },
  });
  await p.tab("graph");
  await p.page.waitForSelector('g.node[data-id="100"]');
  const near = await count("g.node");
  assert.ok(near > 20 && near < 2_000, `only the nodes around the view have elements (${near} of 2000)`);
  assert.equal(await count('g.node[data-id="2099"]'), 0, "the last sleep, far from the view, has no element yet");
  await p.page.click('button:has-text("Fit")');
  await p.page.waitForFunction(() => document.querySelectorAll("g.node").length === 2_000);
  assert.equal(await count("svg.graph-svg.lod-low"), 1, "zoomed far out: boxes without labels");
  assert.equal(await count('g.node[data-id="2099"]'), 1);
  await assertClean();
});

test("malformed or unknown messages are ignored with a warning, a delta gap asks for the state again", async () => {
  await p.open("gather_two_tasks");
  await p.playUntil((m) => m.tasks.size >= 2);
  const warnings = p.problems.consoleWarnings.length;
  for (const bad of [
    null,
    "hello",
    { v: VIEW_PROTOCOL_VERSION, kind: "explode" },
    { v: 99, kind: "delta", delta: {} },
    { v: VIEW_PROTOCOL_VERSION, kind: "delta", delta: { seq: "x" } },
    { v: VIEW_PROTOCOL_VERSION, kind: "state", snapshot: { tasks: 3 } },
  ]) {
    await p.post(bad);
  }
  await p.page.waitForFunction(() => true);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(p.problems.consoleWarnings.length - warnings >= 6, p.problems.consoleWarnings.join("\n"));
  assert.ok(p.problems.consoleWarnings.slice(warnings).every((w) => w.startsWith("loopscope: ignored")));
  // A delta that skips one: the view asks for the state and shows the model again.
  p.model.takeDelta();
  const resyncs = p.received.filter((m) => m.kind === "resync").length;
  await p.playAll();
  assert.equal(p.received.filter((m) => m.kind === "resync").length, resyncs + 1);
  assert.equal(await p.page.textContent('[data-testid="count-task-done"]'), String(p.model.getCounts().tasks.done));
  await assertClean();
});

test("at the sidebar's width (300 px) the views fit without horizontal scrolling", async () => {
  await p.open("gather_and_timeouts", { width: 300, height: 700 });
  await p.playAll();
  for (const tab of ["tasks", "graph", "queues", "timeline"] as const) {
    await p.tab(tab);
    const [sw, cw] = await p.page.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.clientWidth,
    ]);
    assert.ok(sw <= cw, `${tab}: scrollWidth ${sw} > ${cw}`);
  }
  await p.tab("tasks");
  assert.equal(await p.page.$eval(".th.col-coro", (e) => getComputedStyle(e).display), "none");
  assert.equal(await p.page.$eval(".th.col-name", (e) => getComputedStyle(e).display), "block");
  await p.open("gather_and_timeouts", { width: 1200, height: 800 });
  await assertClean();
});
