// The extension host's parts that need no VS Code: configurations, settings,
// interpreter lookup (with real interpreters), the LoopHub fed with deltas of
// the real LoopModel folding a recorded trace, the status bar's words and the
// empty state page.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LoopModel, ModelMirror, parseTrace, type ModelDelta } from "../../model/index";
import { VIEW_PROTOCOL_VERSION, type HostToViewMessage } from "../../model/viewProtocol";
import type { WireMessage } from "../../protocol/index";
import {
  completeConfiguration,
  initialConfigurations,
  isEmptyConfiguration,
  launchForFile,
} from "../../extension/src/debug/configurations";
import { exitLine, sessionLabelOf } from "../../extension/src/debug/labels";
import { InterpreterError, pythonOnPath, resolveInterpreter } from "../../extension/src/python/interpreter";
import { parseSettings, SETTING_DEFAULTS } from "../../extension/src/settings";
import { checkAttach, checkLaunch, type Checked } from "../../extension/src/adapter/config";
import type { LoopscopeConfiguration } from "../../extension/src/debug/configurations";

/** The adapter's check of a completed configuration, as { ok } or { ok, error }. */
function checkOf(c: LoopscopeConfiguration): { ok: boolean; error?: string } {
  const r: Checked<unknown> = c.request === "launch" ? checkLaunch(c) : checkAttach(c);
  return r.ok ? { ok: true } : { ok: false, error: r.error };
}

function errorOf(r: Checked<unknown>): string {
  return r.ok ? "(accepted)" : r.error;
}
import { EMPTY_STATE_COMMANDS, emptyStateHtml, resourceOrigins } from "../../extension/src/view/emptyState";
import { LoopHub, statusText, type HubHost, type LiveSession, type ViewClient } from "../../extension/src/view/loopHub";

const REPO = join(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-host-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("configurations", () => {
  test("a Python file's launch configuration, and the one a new launch.json gets", () => {
    assert.deepEqual(launchForFile("/home/u/proj/app.py"), {
      type: "loopscope",
      request: "launch",
      name: "Loopscope: app.py",
      program: "/home/u/proj/app.py",
    });
    const [first] = initialConfigurations();
    assert.equal(first?.request, "launch");
    assert.equal((first as { program?: string }).program, "${file}");
  });

  test("F5 with no launch.json is an empty configuration", () => {
    assert.equal(isEmptyConfiguration({}), true);
    assert.equal(isEmptyConfiguration({ noDebug: true }), true);
    assert.equal(isEmptyConfiguration({ type: "loopscope", request: "launch", name: "x" }), false);
  });

  test("completion fills the settings' justMyCode, args, attach's host; keeps what the user set", () => {
    const launch = completeConfiguration(
      { type: "loopscope", request: "launch", name: "a", program: "p.py" },
      {
        justMyCode: false,
      },
    );
    assert.ok(launch.ok);
    assert.deepEqual(launch.config, {
      type: "loopscope",
      request: "launch",
      name: "a",
      program: "p.py",
      justMyCode: false,
      args: [],
    });
    const kept = completeConfiguration(
      { type: "loopscope", request: "launch", name: "b", module: "m", justMyCode: true, args: ["-v"] },
      { justMyCode: false },
    );
    assert.ok(kept.ok && kept.config.request === "launch");
    assert.equal(kept.config.justMyCode, true);
    assert.deepEqual(kept.config.args, ["-v"]);
    const attach = completeConfiguration(
      { type: "loopscope", request: "attach", port: 5679, token: "t" },
      {
        justMyCode: true,
      },
    );
    assert.ok(attach.ok && attach.config.request === "attach");
    assert.equal(attach.config.host, "127.0.0.1");
    assert.equal(attach.config.name, "Loopscope attach");
    const bad = completeConfiguration({ type: "loopscope", request: "run" }, { justMyCode: true });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : "", /"request": "launch" or "attach"/);
  });

  test("completion fills slowCallbackThreshold and retainedFinishedTasks from the settings, launch and attach", () => {
    const settings = { justMyCode: true, slowCallbackThreshold: 40, retainedFinishedTasks: 250 };
    for (const raw of [
      { type: "loopscope", request: "launch", name: "a", program: "p.py" },
      { type: "loopscope", request: "attach", name: "b", port: 5679, token: "t" },
    ]) {
      const done = completeConfiguration(raw, settings);
      assert.ok(done.ok);
      assert.equal(done.config.slowCallbackThreshold, 40, raw.request);
      assert.equal(done.config.retainedFinishedTasks, 250, raw.request);
      assert.deepEqual(checkOf(done.config), { ok: true }, raw.request);
    }
    const own = completeConfiguration(
      {
        type: "loopscope",
        request: "launch",
        name: "c",
        program: "p.py",
        slowCallbackThreshold: 5,
        retainedFinishedTasks: 0,
      },
      settings,
    );
    assert.ok(own.ok);
    assert.deepEqual([own.config.slowCallbackThreshold, own.config.retainedFinishedTasks], [5, 0], "the user's own");
  });

  test("the adapter refuses watch options out of bounds, with the attribute's name", () => {
    const launch = { program: "p.py" };
    assert.match(
      errorOf(checkLaunch({ ...launch, slowCallbackThreshold: 0 })),
      /"slowCallbackThreshold" must be .* 1 to 60000/,
    );
    assert.match(
      errorOf(checkLaunch({ ...launch, slowCallbackThreshold: "fast" as unknown as number })),
      /slowCallbackThreshold/,
    );
    assert.match(
      errorOf(checkAttach({ port: 1, token: "t", retainedFinishedTasks: -1 })),
      /"retainedFinishedTasks" must be a whole number from 0 to 50000/,
    );
    assert.match(errorOf(checkAttach({ port: 1, token: "t", retainedFinishedTasks: 2.5 })), /retainedFinishedTasks/);
    assert.equal(checkLaunch({ ...launch, slowCallbackThreshold: 60_000, retainedFinishedTasks: 50_000 }).ok, true);
  });

  test("a session's label names the program, the module or host:port", () => {
    assert.equal(sessionLabelOf({ request: "launch", name: "n", program: "/a/b.py" }), "b.py");
    assert.equal(sessionLabelOf({ request: "launch", name: "n", program: "C:\\w\\c.py" }), "c.py");
    assert.equal(sessionLabelOf({ request: "launch", name: "n", module: "pkg.mod" }), "-m pkg.mod");
    assert.equal(sessionLabelOf({ request: "attach", name: "n", host: "127.0.0.1", port: 5679 }), "127.0.0.1:5679");
    assert.equal(exitLine(3), "The program exited with code 3.");
  });
});

describe("settings", () => {
  test("defaults, and updateRate kept within 1..30", () => {
    assert.deepEqual(
      parseSettings(() => undefined),
      SETTING_DEFAULTS,
    );
    const s = (rate: unknown): number => parseSettings((k) => (k === "updateRate" ? rate : undefined)).updateRate;
    assert.equal(s(0), 1);
    assert.equal(s(500), 30);
    assert.equal(s(12), 12);
    assert.equal(s("fast"), SETTING_DEFAULTS.updateRate);
    assert.equal(parseSettings((k) => (k === "justMyCode" ? false : undefined)).justMyCode, false);
  });

  test("slowCallbackThreshold kept within 1..60000 ms, default 100", () => {
    const s = (v: unknown): number =>
      parseSettings((k) => (k === "slowCallbackThreshold" ? v : undefined)).slowCallbackThreshold;
    assert.equal(SETTING_DEFAULTS.slowCallbackThreshold, 100);
    assert.equal(s(0), 1);
    assert.equal(s(-20), 1);
    assert.equal(s(1e9), 60_000);
    assert.equal(s(12.5), 12.5);
    assert.equal(s(Number.NaN), 100);
    assert.equal(s("50"), 100, "a string is not a number");
  });

  test("retainedFinishedTasks kept within 0..50000, whole, default the model's own retention", () => {
    const s = (v: unknown): number =>
      parseSettings((k) => (k === "retainedFinishedTasks" ? v : undefined)).retainedFinishedTasks;
    assert.equal(SETTING_DEFAULTS.retainedFinishedTasks, new LoopModel().config.finishedTaskRetention);
    assert.equal(s(-1), 0);
    assert.equal(s(0), 0);
    assert.equal(s(1e7), 50_000);
    assert.equal(s(10.6), 11);
    assert.equal(s(null), SETTING_DEFAULTS.retainedFinishedTasks);
  });
});

/** An executable script that behaves like an interpreter printing `version`. */
function fakeInterpreter(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("interpreter lookup", () => {
  const noExtension = async (): Promise<string | undefined> => undefined;

  test("the launch configuration's python first, then the Python extension's, then PATH (real python3)", async () => {
    const onPath = pythonOnPath();
    assert.ok(onPath !== null, "python3 or python on PATH");
    const fromPath = await resolveInterpreter({ fromPythonExtension: noExtension });
    assert.equal(fromPath.source, "PATH");
    assert.equal(fromPath.path, onPath);
    assert.ok(fromPath.info.major === 3 && fromPath.info.minor >= 8, fromPath.info.version);

    const fromExt = await resolveInterpreter({ fromPythonExtension: async () => onPath });
    assert.equal(fromExt.source, "Python extension");
    const configured = await resolveInterpreter({
      configured: onPath,
      fromPythonExtension: async () => "/nonexistent/python",
    });
    assert.equal(configured.source, "launch configuration");
    // A Python extension that throws is treated as absent.
    const broken = await resolveInterpreter({
      fromPythonExtension: async () => {
        throw new Error("extension failed to activate");
      },
    });
    assert.equal(broken.source, "PATH");
  });

  test("pythonOnPath looks for python3, then python, in PATH's folders", () => {
    const dir = mkdtempSync(join(scratch, "bin-"));
    assert.equal(pythonOnPath(dir), null);
    writeFileSync(join(dir, "python"), "");
    assert.equal(pythonOnPath(dir), join(dir, "python"));
    writeFileSync(join(dir, "python3"), "");
    assert.equal(pythonOnPath(`/nonexistent:${dir}`), join(dir, "python3"));
  });

  test("no interpreter anywhere: an error that says how to fix it", async () => {
    await assert.rejects(
      resolveInterpreter({ fromPythonExtension: noExtension, onPath: () => null }),
      (e: unknown) =>
        e instanceof InterpreterError &&
        e.problem === "none-found" &&
        /neither python3 nor python is on PATH/.test(e.message) &&
        /Install CPython 3\.8 or newer/.test(e.fix),
    );
  });

  test("a Python older than 3.8 is refused, naming the version and where it came from", async () => {
    const old = fakeInterpreter("python3.7", "printf 3.7.9");
    await assert.rejects(
      resolveInterpreter({ configured: old, fromPythonExtension: noExtension }),
      (e: unknown) =>
        e instanceof InterpreterError &&
        e.problem === "too-old" &&
        e.message.includes("3.7.9") &&
        e.message.includes("launch configuration") &&
        /Set "python" in the launch configuration/.test(e.fix),
    );
    const fromExt = resolveInterpreter({ fromPythonExtension: async () => old });
    await assert.rejects(fromExt, (e: unknown) => e instanceof InterpreterError && /Select Interpreter/.test(e.fix));
  });

  test("a missing or broken interpreter is unusable, with the path in the message", async () => {
    await assert.rejects(
      resolveInterpreter({ configured: join(scratch, "no-such-python"), fromPythonExtension: noExtension }),
      (e: unknown) => e instanceof InterpreterError && e.problem === "unusable" && e.message.includes("no-such-python"),
    );
    const broken = fakeInterpreter("broken-python", "echo 'bad magic number' >&2; exit 1");
    await assert.rejects(
      resolveInterpreter({ configured: broken, fromPythonExtension: noExtension }),
      (e: unknown) => e instanceof InterpreterError && e.problem === "unusable" && /bad magic number/.test(e.message),
    );
  });
});

// ---- the LoopHub ----------------------------------------------------------------------------

/** Timers the test fires by hand. */
class ManualTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): { cancel(): void } {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return { cancel: () => this.pending.delete(id) };
  }
  fireAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.fn();
  }
}

class RecordingView implements ViewClient {
  readonly got: HostToViewMessage[] = [];
  post(msg: HostToViewMessage): void {
    this.got.push(JSON.parse(JSON.stringify(msg)) as HostToViewMessage);
  }
  /** A mirror rebuilt from what this view received, as the webview's store does. */
  mirror(): ModelMirror {
    let m: ModelMirror | null = null;
    for (const msg of this.got) {
      if (msg.kind === "state") m = ModelMirror.fromSnapshot(msg.snapshot);
      else if (msg.kind === "delta") assert.ok(m !== null && m.applyDelta(msg.delta), `delta ${msg.delta.seq} applies`);
    }
    assert.ok(m !== null, "the view got a state");
    return m;
  }
}

/** A recorded trace's messages, folded by a real LoopModel that hands out deltas (the adapter's side). */
function traceSource(name: string): { model: LoopModel; messages: WireMessage[] } {
  const text = readFileSync(join(REPO, "test/fixtures/traces", name), "utf8");
  const messages = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as WireMessage);
  return { model: new LoopModel(), messages };
}

/** A live session whose snapshot is the adapter-side model's; its other requests do nothing. */
function fakeLive(model: LoopModel): LiveSession {
  return {
    snapshot: async () => model.snapshot(),
    cancelTask: async () => undefined,
    taskStack: async () => [],
    revealTask: async () => ({ file: "f", line: 1 }),
  };
}

/** A view attached to the hub that said it is ready. */
function readyView(hub: LoopHub): RecordingView {
  const v = new RecordingView();
  hub.attach(v);
  hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
  return v;
}

/** The adapter's side: every message folded by the model, a delta to the hub's session "s1" after each. */
function foldAll(hub: LoopHub, model: LoopModel, messages: WireMessage[]): void {
  for (const m of messages) {
    model.apply(m);
    hub.delta("s1", model.takeDelta());
  }
}

function makeHub(): { hub: LoopHub; timers: ManualTimers; revealed: [string, number][]; warnings: string[] } {
  const timers = new ManualTimers();
  const revealed: [string, number][] = [];
  const warnings: string[] = [];
  const host: HubHost = {
    reveal: (file, line) => revealed.push([file, line]),
    warn: (t) => warnings.push(t),
    log: () => undefined,
    setTimer: (fn, ms) => timers.set(fn, ms),
  };
  return { hub: new LoopHub(host, 30, () => 0), timers, revealed, warnings };
}

describe("LoopHub", () => {
  test("a view gets the state on ready, then deltas; its mirror ends equal to the adapter's model", () => {
    const { hub, timers } = makeHub();
    const { model, messages } = traceSource("producer_consumer.jsonl");
    const calls: string[] = [];
    const live: LiveSession = {
      snapshot: async () => model.snapshot(),
      cancelTask: async (t) => void calls.push(`cancel ${t}`),
      taskStack: async () => [],
      revealTask: async () => ({ file: "/p.py", line: 3 }),
    };
    hub.addLive("s1", "/work/producer_consumer.py", live);
    const early = new RecordingView();
    hub.attach(early);
    hub.receive(early, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
    assert.equal(early.got[0]?.kind, "state");
    let late: RecordingView | null = null;
    messages.forEach((m, i) => {
      model.apply(m);
      if (i % 25 === 0) hub.delta("s1", model.takeDelta());
      if (i % 100 === 0) timers.fireAll();
      if (i === Math.floor(messages.length / 2)) {
        // A view opened (or shown again) midway gets everything so far, then the rest.
        late = new RecordingView();
        hub.attach(late);
        hub.receive(late, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
      }
    });
    hub.delta("s1", model.takeDelta());
    hub.session("s1", {
      phase: "ended",
      request: "launch",
      label: "x",
      python: "3.11.7",
      pid: 1,
      exitCode: 0,
      connected: false,
    });
    const final = model.snapshot();
    for (const v of [early, late!]) {
      const m = v.mirror();
      assert.deepEqual(m.snapshot(), final);
      const last = v.got.at(-1)!;
      assert.ok(last.kind === "session" && last.session.ended && !last.session.canCancel, "ended, nothing to cancel");
    }
    const s = hub.current!;
    assert.equal(s.ended, true);
    assert.equal(s.exitCode, 0);
    assert.equal(s.tasks.cancelled, 3, "the consumers were cancelled");
  });

  test("a session's retainedFinishedTasks: the views keep the finished tasks the adapter's model keeps", () => {
    const { hub, timers } = makeHub();
    const { messages } = traceSource("producer_consumer.jsonl");
    const model = new LoopModel({ finishedTaskRetention: 2 });
    hub.addLive("s1", "p", fakeLive(model), { finishedTaskRetention: 2 });
    const v = readyView(hub);
    foldAll(hub, model, messages);
    timers.fireAll();
    const mirror = v.mirror();
    assert.deepEqual(mirror.snapshot(), model.snapshot());
    const finished = [...mirror.tasks.values()].filter((t) => !["pending", "running"].includes(t.state));
    assert.equal(finished.length, 2, "two finished tasks kept in detail");
    assert.equal(mirror.config.finishedTaskRetention, 2);
    const evicted = Object.values(mirror.counts.tasksEvicted).reduce((a, b) => a + b, 0);
    assert.ok(evicted >= 4, `the others summarised as counts (${evicted})`);
  });

  test("deltas reach the views at most updateRate times a second", () => {
    const { hub, timers } = makeHub();
    const { model, messages } = traceSource("producer_consumer.jsonl");
    hub.addLive("s1", "p", fakeLive(model));
    const v = readyView(hub);
    foldAll(hub, model, messages);
    assert.equal(v.got.filter((m) => m.kind === "delta").length, 0, "nothing before the timer fires");
    assert.equal(timers.pending.size, 1, "one update scheduled");
    assert.ok([...timers.pending.values()][0]!.ms <= 1000 / 30);
    timers.fireAll();
    const deltas = v.got.flatMap((m) => (m.kind === "delta" ? [m.delta.seq] : []));
    assert.deepEqual(
      deltas,
      messages.map((_, i) => i + 1),
      "then all of them, in order",
    );
  });

  test("a missing delta makes the hub ask the session for a snapshot; later deltas apply on top", async () => {
    const { hub, timers } = makeHub();
    const { model, messages } = traceSource("producer_consumer.jsonl");
    let snapshots = 0;
    let releaseSnapshot: () => void = () => undefined;
    hub.addLive("s1", "p", {
      snapshot: () =>
        new Promise((resolve) => {
          snapshots++;
          const snap = model.snapshot();
          releaseSnapshot = () => resolve(snap);
        }),
      cancelTask: async () => undefined,
      taskStack: async () => [],
      revealTask: async () => ({ file: "f", line: 1 }),
    });
    const v = new RecordingView();
    hub.attach(v);
    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
    const third = Math.floor(messages.length / 3);
    for (const m of messages.slice(0, third)) model.apply(m);
    model.takeDelta(); // lost on the way
    for (const m of messages.slice(third, 2 * third)) model.apply(m);
    hub.delta("s1", model.takeDelta());
    assert.equal(snapshots, 1);
    // Deltas that arrive while the snapshot is on its way wait, then apply after it.
    for (const m of messages.slice(2 * third)) model.apply(m);
    const afterSnap: ModelDelta = model.takeDelta();
    releaseSnapshot();
    hub.delta("s1", afterSnap);
    await new Promise((r) => setImmediate(r));
    timers.fireAll();
    assert.deepEqual(v.mirror().snapshot(), model.snapshot());
  });

  test("view actions: reveal opens the file, cancelTask asks the live session, select fetches the task's stack", async () => {
    const { hub, revealed, warnings } = makeHub();
    const calls: string[] = [];
    const { model, messages } = traceSource("producer_consumer.jsonl");
    hub.addLive("s1", "p", {
      snapshot: async () => model.snapshot(),
      cancelTask: async (t) => void calls.push(`cancel ${t}`),
      taskStack: async (t) => {
        calls.push(`stack ${t}`);
        return [{ file: "/w/p.py", line: 40, func: "consumer" }];
      },
      revealTask: async () => ({ file: "/w/p.py", line: 40 }),
    });
    // Halfway through, some tasks are live.
    for (const m of messages.slice(0, Math.floor(messages.length / 2))) model.apply(m);
    hub.delta("s1", model.takeDelta());
    const v = new RecordingView();
    hub.attach(v);
    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
    const liveTask = [...hub.currentMirror!.tasks.values()].find((t) => t.state === "pending")!;
    assert.ok(liveTask, "a pending task halfway through");

    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "reveal", file: "/w/p.py", line: 12 });
    assert.deepEqual(revealed, [["/w/p.py", 12]]);
    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "select", id: liveTask.id });
    assert.equal(hub.selectedTask, liveTask.id);
    await new Promise((r) => setImmediate(r));
    const stack = v.got.find((m) => m.kind === "stack");
    assert.ok(stack && stack.kind === "stack" && stack.task === liveTask.id && stack.frames[0]?.line === 40);
    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "cancelTask", task: liveTask.id });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [`stack ${liveTask.id}`, `cancel ${liveTask.id}`]);
    assert.deepEqual(await hub.locateTask(liveTask.id), { file: "/w/p.py", line: 40 });

    hub.endLive("s1");
    assert.equal(await hub.cancelTask(liveTask.id), false, "no cancelling once the session ended");
    assert.match(warnings.at(-1) ?? "", /only while their debug session runs/);
    // A finished session still reveals tasks: where they were created.
    const site = await hub.locateTask(liveTask.id);
    assert.ok(site !== null && site.file.endsWith("producer_consumer.py"), JSON.stringify(site));
  });

  test("a recorded trace replaces what the views show; the status bar words", () => {
    const { hub } = makeHub();
    const v = new RecordingView();
    hub.attach(v);
    hub.receive(v, { v: VIEW_PROTOCOL_VERSION, kind: "ready" });
    assert.equal(v.got.length, 0, "nothing to show before a session or a trace");
    assert.equal(hub.current, null);
    const trace = parseTrace(readFileSync(join(REPO, "test/fixtures/traces/failing_task.jsonl"), "utf8"));
    hub.showTrace("failing_task.jsonl", trace.model.snapshot());
    const state = v.got.at(-1)!;
    assert.ok(state.kind === "state");
    assert.deepEqual(state.session, {
      source: "trace",
      label: "failing_task.jsonl",
      canCancel: false,
      canReveal: true,
      ended: true,
    });
    const cur = hub.current!;
    assert.equal(cur.kind, "trace");
    assert.ok(cur.tasks.failed >= 3);
    const words = statusText(cur);
    assert.match(words.text, /^Loopscope: 0 pending, 0 running · exited \(1\)$/);
    assert.match(words.tooltip, /failed \d/);
    assert.match(
      statusText({
        ...cur,
        ended: false,
        phase: "running",
        loop: "running",
        tasks: { ...cur.tasks, pending: 4, running: 1 },
      }).text,
      /4 pending, 1 running · loop running/,
    );
    const stopped = { ...cur, ended: false, phase: "stopped" as const, loop: "paused" as const };
    assert.match(statusText({ ...stopped, pauseReason: "breakpoint" }).text, /· stopped$/);
    assert.match(statusText({ ...stopped, pauseReason: "pause" }).text, /· loop paused$/, "Pause Loop");
  });
});

describe("empty state page", () => {
  test("a button that runs 'Debug current file', no script, a strict policy", () => {
    const html = emptyStateHtml("https://*.vscode-cdn.net", "https://x.vscode-cdn.net/media/empty-state.css");
    assert.match(html, /<a class="button" role="button" href="command:loopscope\.debugCurrentFile"/);
    assert.match(html, /href="command:loopscope\.openTrace"/);
    assert.doesNotMatch(html, /<script/);
    const csp = /content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'");
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
    for (const link of html.matchAll(/href="command:([^"?]+)/g)) {
      assert.ok((EMPTY_STATE_COMMANDS as readonly string[]).includes(link[1]!), `${link[1]} is allowed`);
    }
  });

  test("code-server's 'self' keyword is left out of the origins; nothing is widened", () => {
    assert.equal(resourceOrigins("'self' https://*.vscode-cdn.net"), "https://*.vscode-cdn.net");
    assert.equal(resourceOrigins("https://*.vscode-cdn.net"), "https://*.vscode-cdn.net");
    assert.equal(resourceOrigins("vscode-webview://abc https://x"), "vscode-webview://abc https://x");
  });
});
