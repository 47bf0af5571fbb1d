// The Loopscope debug adapter: a DAP session over one Python program running
// on the loopscope runtime. Every asyncio task is a DAP thread (after the OS
// threads that run loops); a task's async chain is its stack. Runtime events
// are folded into the shared LoopModel, whose deltas go to the client as
// `loopscope/delta` events at most ~30 times a second (see customProtocol.ts).

import {
  Breakpoint,
  BreakpointEvent,
  DebugSession,
  Event,
  ExitedEvent,
  Handles,
  InitializedEvent,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import { LoopModel } from "../../../model/index";
import type { Frame, WireMessage } from "../../../protocol/index";
import { checkAttach, checkLaunch, type AttachConfig, type LaunchConfig } from "./config";
import {
  CustomEvent,
  CustomRequest,
  type CancelTaskArguments,
  type DeltaEventBody,
  type RevealTaskArguments,
  type RevealTaskResponseBody,
  type SessionEventBody,
  type SessionPhase,
  type SnapshotResponseBody,
  type TaskStackArguments,
  type TaskStackResponseBody,
} from "./customProtocol";
import { DeltaPacer } from "./deltaPacer";
import {
  choosePython,
  defaultCwd,
  LaunchError,
  loopscopeMessage,
  probePython,
  programEnv,
  resolveProgram,
  runtimeArgs,
  startProgram,
  type ProgramSpec,
  type RunningProgram,
} from "./launcher";
import { osThreadName, taskRows, taskThreadName, type Row, type RuntimeTask, type RuntimeThread } from "./naming";
import { connectToRuntime, ControlError, listenForRuntime, type RuntimeChannel } from "./runtimeChannel";

export { DELTA_RATE } from "./deltaPacer";
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const PAUSE_NOTICE_MS = 1500;
/** How long a loop must run on after resuming before its thread's new name is announced. */
const RENAME_DELAY_MS = 200;

/** Exception and loop-event filters, as the client's Breakpoints view shows them. */
export const FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  {
    filter: "uncaught",
    label: "Uncaught exceptions",
    description: "An exception that ends the program, a thread, or the task asyncio.run() waits on",
    default: true,
    supportsCondition: true,
    conditionDescription: "Exception class names, comma separated (e.g. ValueError, KeyError)",
  },
  {
    filter: "raised",
    label: "Raised exceptions",
    description: "Every exception where it is raised in your code (not StopIteration or CancelledError)",
    default: false,
    supportsCondition: true,
    conditionDescription: "Exception class names, comma separated",
  },
  {
    filter: "taskFailed",
    label: "Task failed",
    description: "An exception ends an asyncio task",
    default: false,
    supportsCondition: true,
    conditionDescription: "Exception class names, comma separated",
  },
  {
    filter: "taskCreated",
    label: "Task created",
    description: "Stop where a task is created",
    default: false,
    supportsCondition: true,
    conditionDescription: "Part of the task's name or coroutine (e.g. worker), comma separated",
  },
  {
    filter: "taskCancelled",
    label: "Task cancelled",
    description: "Stop where a task's cancel() is called",
    default: false,
    supportsCondition: true,
    conditionDescription: "Part of the task's name or coroutine, comma separated",
  },
];
const RUNTIME_FILTER: Readonly<Record<string, string>> = {
  uncaught: "uncaught",
  raised: "raised",
  taskFailed: "task-failed",
  taskCreated: "task-created",
  taskCancelled: "task-cancelled",
};

interface BpSpec {
  id: number;
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

interface RuntimeBpResult {
  id: number;
  line: number;
  verified: boolean;
  message: string | null;
}

interface RuntimeFrame {
  ref: number;
  file: string;
  line: number;
  func: string;
  user: boolean;
}

interface RuntimeVariable {
  name: string;
  value: string;
  type: string;
  ref: number;
  indexed: number;
  evaluate_name: string | null;
}

interface ThreadsBody {
  threads: RuntimeThread[];
  tasks: RuntimeTask[];
  stop: { thread: number; task: number | null; reason: string } | null;
}

type ThreadKey = { kind: "os"; ident: number } | { kind: "task"; id: number };

interface FrameRef {
  readonly ref: number;
  readonly task: number | null;
  readonly file: string;
  readonly line: number;
  /** The DAP thread it belongs to, and its place in that thread's stack (0: the top). */
  readonly threadId: number;
  readonly index: number;
}

/** Runtime variables (`extra`: rows shown before them), or rows the adapter makes itself. */
type VarRef = { kind: "runtime"; ref: number; extra?: Row[] } | { kind: "rows"; rows: Row[] };

interface RuntimeExceptionInfo {
  type: string;
  message: string;
  traceback: string;
  mode: DebugProtocol.ExceptionBreakMode;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class LoopscopeSession extends DebugSession {
  private channel: RuntimeChannel | null = null;
  private program: RunningProgram | null = null;
  private requestKind: "launch" | "attach" = "launch";
  private label = "";
  private python: string | null = null;
  private pid: number | null = null;
  private exitCode: number | null = null;
  private phase: SessionPhase = "starting";
  private viewEvents = true;
  private justMyCode = true;

  /** Made again by launch and attach with the configuration's retention. */
  private model = new LoopModel();
  /** The configuration's slowCallbackThreshold (ms); absent: the runtime's default. */
  private slowCallbackMs: number | undefined = undefined;
  private deltaTimer: NodeJS.Timeout | null = null;
  private readonly deltaPacer = new DeltaPacer();

  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((r) => (this.configurationDone = r));
  private readonly breakpoints = new Map<string, BpSpec[]>();
  private nextBpId = 1;
  private filters: { id: string; condition?: string }[] = FILTERS.filter((f) => f.default).map((f) => ({
    id: f.filter,
  }));

  private readonly threadIds = new Map<string, number>();
  private readonly threadKeys = new Map<number, ThreadKey>();
  private nextThreadId = 1;
  private readonly frameHandles = new Handles<FrameRef>();
  private readonly varHandles = new Handles<VarRef>();
  private readonly sourceHandles = new Handles<string>();
  private readonly frameCache = new Map<number, RuntimeFrame[]>();
  private lastThreads: ThreadsBody | null = null;
  /** Tasks a threads response listed: their exit is reported with a thread event. */
  private readonly listedTasks = new Set<number>();
  private stopped = false;
  /** What the current stop is: the runtime's debugger ("debug") or a loop parked by pause/loop step ("loop"). */
  private stopKind: "debug" | "loop" = "debug";
  /** The thread stopped on an exception, when the current stop is one; its exception, once asked for. */
  private exceptionThread: number | null = null;
  private exceptionInfo: Promise<RuntimeExceptionInfo> | null = null;
  private pausePending = false;
  private stepLoopPending = false;
  private pauseNotice: NodeJS.Timeout | null = null;
  private renameTimer: NodeJS.Timeout | null = null;
  private threadEventAt = 0;
  private terminated = false;
  private disconnecting = false;
  private malformed = 0;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    process.on("exit", () => {
      // The adapter is going away: a program it launched goes too.
      if (this.program !== null && !this.program.done && this.requestKind === "launch") {
        try {
          process.kill(-this.program.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
  }

  // ---- helpers -------------------------------------------------------------------------

  private say(text: string, category: "console" | "stderr" | "important" = "console"): void {
    this.sendEvent(new OutputEvent(text.endsWith("\n") ? text : text + "\n", category));
  }

  private fail(response: DebugProtocol.Response, text: string, showUser = true): void {
    // A variable named with a leading underscore is not treated as personal data, so it reaches response.message too.
    this.sendErrorResponse(response, { id: 1001, format: "{_reason}", variables: { _reason: text }, showUser });
  }

  private threadId(key: ThreadKey): number {
    const k = key.kind === "os" ? `os:${key.ident}` : `task:${key.id}`;
    let id = this.threadIds.get(k);
    if (id === undefined) {
      id = this.nextThreadId++;
      this.threadIds.set(k, id);
      this.threadKeys.set(id, key);
    }
    return id;
  }

  private setPhase(phase: SessionPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    if (!this.viewEvents) return;
    const body: SessionEventBody = {
      phase,
      request: this.requestKind,
      label: this.label,
      python: this.python,
      pid: this.pid,
      exitCode: this.exitCode,
      connected: this.channel !== null && !this.channel.closed,
    };
    this.sendEvent(new Event(CustomEvent.session, body));
  }

  private request<T>(command: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    const ch = this.channel;
    if (ch === null || ch.closed) return Promise.reject(new ControlError("the program is not connected", command));
    return ch.request<T>(command, args, timeoutMs);
  }

  private resetStopState(): void {
    this.frameHandles.reset();
    this.varHandles.reset();
    this.frameCache.clear();
    this.exceptionThread = null;
    this.exceptionInfo = null;
  }

  private exception(): Promise<RuntimeExceptionInfo> {
    this.exceptionInfo ??= this.request<RuntimeExceptionInfo>("exception-info");
    return this.exceptionInfo;
  }

  /** The loop model for a session: finished tasks kept as the configuration says. */
  private static modelFor(cfg: { retainedFinishedTasks?: number }): LoopModel {
    return cfg.retainedFinishedTasks === undefined
      ? new LoopModel()
      : new LoopModel({ finishedTaskRetention: cfg.retainedFinishedTasks });
  }

  // ---- the runtime's messages -------------------------------------------------------

  private attachChannel(channel: RuntimeChannel): void {
    this.channel = channel;
    channel.onMessage = (msg) => this.onRuntimeMessage(msg);
    channel.onMalformed = (reason) => {
      this.malformed++;
      if (this.malformed <= 5)
        this.say(`Loopscope: ignored a malformed message from the program's runtime: ${reason}`, "stderr");
      else if (this.malformed === 6)
        this.say("Loopscope: more malformed messages from the runtime; not reporting them any more.", "stderr");
    };
    channel.onClose = (reason) => this.onChannelClosed(reason);
    channel.start();
  }

  private onRuntimeMessage(msg: WireMessage): void {
    switch (msg.kind) {
      case "debug/stopped": {
        this.stopped = true;
        this.stopKind = "debug";
        this.pausePending = false;
        this.stepLoopPending = false;
        this.clearPauseNotice();
        this.resetStopState();
        const threadId =
          msg.task !== null
            ? this.threadId({ kind: "task", id: msg.task })
            : this.threadId({ kind: "os", ident: msg.thread });
        if (msg.reason === "exception") this.exceptionThread = threadId;
        const ev = new StoppedEvent(msg.reason, threadId, msg.text ?? undefined) as DebugProtocol.StoppedEvent;
        ev.body.description = msg.description;
        ev.body.allThreadsStopped = true;
        if (msg.breakpoints.length) ev.body.hitBreakpointIds = msg.breakpoints;
        this.sendEvent(ev);
        this.setPhase("stopped");
        this.flushDelta();
        return;
      }
      case "debug/output": {
        const ev = new OutputEvent(msg.text, msg.category) as DebugProtocol.OutputEvent;
        if (msg.file !== null) {
          ev.body.source = new Source(basename(msg.file), msg.file);
          if (msg.line !== null) ev.body.line = msg.line;
        }
        this.sendEvent(ev);
        return;
      }
      case "loop/paused":
        this.model.apply(msg);
        if ((this.pausePending || this.stepLoopPending) && !this.stopped) {
          const reason = this.stepLoopPending ? "step" : "pause";
          this.pausePending = false;
          this.stepLoopPending = false;
          this.clearPauseNotice();
          this.stopped = true;
          this.stopKind = "loop";
          this.resetStopState();
          void this.reportLoopStop(msg.loop, reason);
        }
        this.scheduleDelta();
        return;
      case "program/exit":
        this.exitCode = msg.code;
        this.model.apply(msg);
        this.scheduleDelta();
        return;
      case "loop/resumed":
        this.model.apply(msg);
        this.scheduleDelta();
        this.loopThreadRenamed(msg.loop);
        return;
      case "events/batch":
      case "session/hello":
      case "session/welcome":
        this.model.apply(msg);
        this.scheduleDelta();
        return;
      default:
        return;
    }
  }

  /**
   * A loop ran again after a pause or a stop: its OS thread's name ("MainThread (loop 1 paused)")
   * changed. A client fetches threads again only on a stop or a thread event: tell it, once the
   * program is still running a moment later (a step stops again at once, and that stop fetches them).
   */
  private loopThreadRenamed(loop: number): void {
    if (this.renameTimer !== null) clearTimeout(this.renameTimer);
    this.renameTimer = setTimeout(() => {
      this.renameTimer = null;
      if (this.stopped || this.terminated) return;
      const t = this.lastThreads?.threads.find((x) => x.loops.includes(loop));
      if (t !== undefined) this.sendEvent(new ThreadEvent("started", this.threadId({ kind: "os", ident: t.ident })));
    }, RENAME_DELAY_MS);
  }

  /** A loop parked after a pause or a loop step: stop on its OS thread. */
  private async reportLoopStop(loop: number, reason: "pause" | "step"): Promise<void> {
    let threadId: number | null = null;
    try {
      const body = await this.request<ThreadsBody>("threads");
      this.lastThreads = body;
      const t = body.threads.find((x) => x.loops.includes(loop)) ?? body.threads.find((x) => x.main);
      if (t !== undefined) threadId = this.threadId({ kind: "os", ident: t.ident });
    } catch {
      // the program went away; the stop below still tells the client
    }
    const ev = new StoppedEvent(reason, threadId ?? 1) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    ev.body.description =
      // Short: VS Code shows it beside the thread's name in CALL STACK, and a long one hides the name.
      reason === "pause" ? "Paused between callbacks" : "Ran one loop iteration";
    this.sendEvent(ev);
    this.setPhase("stopped");
    this.flushDelta();
  }

  private onChannelClosed(reason: string | null): void {
    if (this.requestKind === "attach") {
      if (!this.disconnecting) {
        this.say(
          this.exitCode !== null
            ? `The program exited with code ${this.exitCode}.`
            : `The program closed the connection${reason ? ` (${reason})` : ""}.`,
        );
        if (this.exitCode !== null) this.sendEvent(new ExitedEvent(this.exitCode));
      }
      this.endSession();
    }
    // launch: the process's exit ends the session (see launchRequest).
  }

  private endSession(): void {
    this.flushDelta();
    if (this.deltaTimer !== null) clearTimeout(this.deltaTimer);
    this.deltaTimer = null;
    this.clearPauseNotice();
    if (this.renameTimer !== null) clearTimeout(this.renameTimer);
    this.renameTimer = null;
    this.setPhase("ended");
    if (!this.terminated) {
      this.terminated = true;
      this.sendEvent(new TerminatedEvent());
    }
  }

  // ---- deltas for the view ------------------------------------------------------------

  private scheduleDelta(): void {
    if (!this.viewEvents || this.deltaTimer !== null) return;
    const wait = this.deltaPacer.wait();
    this.deltaTimer = setTimeout(() => {
      this.deltaTimer = null;
      this.flushDelta();
    }, wait);
  }

  private flushDelta(): void {
    if (!this.viewEvents) return;
    if (this.deltaTimer !== null) {
      clearTimeout(this.deltaTimer);
      this.deltaTimer = null;
    }
    const delta = this.deltaPacer.send(() => {
      const d = this.model.takeDelta();
      const body: DeltaEventBody = { delta: d };
      this.sendEvent(new Event(CustomEvent.delta, body));
      return d;
    });
    this.threadEvents(delta.tasks);
  }

  /** Tell the client the task list changed (it fetches threads again), at most 4 times a second. */
  private threadEvents(tasks: readonly { id: number; state: string }[]): void {
    if (this.stopped || tasks.length === 0) return;
    let started: number | null = null;
    let exited = 0;
    for (const t of tasks) {
      const finished = t.state === "done" || t.state === "failed" || t.state === "cancelled";
      if (finished && this.listedTasks.has(t.id)) {
        this.listedTasks.delete(t.id);
        if (exited++ < 100) this.sendEvent(new ThreadEvent("exited", this.threadId({ kind: "task", id: t.id })));
      } else if (!finished && !this.listedTasks.has(t.id) && started === null) {
        started = t.id;
      }
    }
    const now = Date.now();
    if (started !== null && now - this.threadEventAt >= 250) {
      this.threadEventAt = now;
      this.sendEvent(new ThreadEvent("started", this.threadId({ kind: "task", id: started })));
    }
  }

  // ---- initialize / configuration -------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: FILTERS,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsDelayedStackTraceLoading: true,
      supportsSetVariable: true,
      supportsStepBack: false,
      supportsRestartRequest: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  // ---- launch ------------------------------------------------------------------------------

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, raw: LaunchConfig): Promise<void> {
    this.requestKind = "launch";
    const checked = checkLaunch(raw);
    if (!checked.ok) {
      this.fail(response, checked.error);
      this.endSession();
      return;
    }
    const cfg = checked.config;
    this.justMyCode = cfg.justMyCode !== false;
    this.viewEvents = cfg.viewEvents !== false;
    this.model = LoopscopeSession.modelFor(cfg);
    this.slowCallbackMs = cfg.slowCallbackThreshold;
    const cwd = cfg.cwd ? resolve(cfg.cwd) : defaultCwd(cfg.program);
    let listener: Awaited<ReturnType<typeof listenForRuntime>> | null = null;
    try {
      const program = cfg.program ? resolveProgram(cfg.program, cwd) : undefined;
      this.label = program ?? `-m ${cfg.module ?? ""}`;
      const python = choosePython(cfg.python);
      const info = await probePython(python);
      this.python = info.version;
      const spec: ProgramSpec = {
        program,
        module: cfg.module,
        args: cfg.args ?? [],
        cwd,
        env: cfg.env ?? {},
        slowCallbackMs: this.slowCallbackMs,
      };
      listener = await listenForRuntime();
      const running = await startProgram(
        python,
        runtimeArgs(spec, listener.port, listener.token),
        cwd,
        programEnv(spec),
        (category, text) => this.sendEvent(new OutputEvent(text, category)),
      );
      this.program = running;
      this.pid = running.pid;
      this.sendEvent(
        new Event("process", {
          name: this.label,
          systemProcessId: running.pid,
          isLocalProcess: true,
          startMethod: "launch",
        }),
      );
      const timeoutMs = cfg.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
      let timer: NodeJS.Timeout | null = null;
      const outcome = await Promise.race([
        listener.connected.then((h) => ({ kind: "connected" as const, hello: h })),
        running.exited.then((e) => ({ kind: "exited" as const, exit: e })),
        new Promise<{ kind: "timeout" }>((r) => (timer = setTimeout(() => r({ kind: "timeout" }), timeoutMs))),
      ]);
      if (timer !== null) clearTimeout(timer);
      listener.close();
      if (outcome.kind === "exited") {
        throw new LaunchError(this.earlyExitMessage(outcome.exit.code, outcome.exit.signal, running.stderrTail()));
      }
      if (outcome.kind === "timeout") {
        await running.kill(500);
        const tail = running.stderrTail().trim();
        throw new LaunchError(
          `The program's runtime did not connect within ${timeoutMs / 1000} s; the program was stopped.` +
            (tail ? ` Its stderr:\n${tail}` : " It wrote nothing to stderr."),
        );
      }
      void running.exited.then((e) => this.onProgramExit(e.code, e.signal));
      this.attachChannel(outcome.hello.channel);
      this.model.apply(outcome.hello.hello);
      await this.configureRuntime();
      await this.request("start", { stop_on_entry: cfg.stopOnEntry === true });
      this.setPhase(this.stopped ? "stopped" : "running");
      this.sendResponse(response);
    } catch (err) {
      listener?.close();
      const text =
        err instanceof LaunchError || err instanceof ControlError ? err.message : `Launch failed: ${message(err)}`;
      if (this.program !== null && !this.program.done) await this.program.kill(500);
      this.fail(response, text);
      this.endSession();
    }
  }

  private earlyExitMessage(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
    const said = loopscopeMessage(stderr);
    if (said !== null) {
      const syntax = /^(.*?):(\d+)(?::(\d+))?: (SyntaxError|IndentationError|TabError): (.*)$/.exec(said);
      if (syntax) return `Syntax error in ${syntax[1]} at line ${syntax[2]}: ${syntax[5]} (${syntax[4]})`;
      const missing = /^can't open file '?(.*?)'?: \[Errno (\d+)\] (.*)$/.exec(said);
      if (missing) return `Program not found: ${missing[1]} (${missing[3]})`;
      return `The program could not start: ${said}`;
    }
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? "?"}`;
    const tail = stderr.trim();
    return (
      `The program ${how} before its runtime connected.` +
      (tail ? ` Its stderr:\n${tail.split("\n").slice(-15).join("\n")}` : "")
    );
  }

  private onProgramExit(code: number | null, signal: NodeJS.Signals | null): void {
    const exitCode = this.exitCode ?? code ?? (signal !== null ? 128 + signalNumber(signal) : 0);
    this.exitCode = exitCode;
    if (signal !== null && !this.disconnecting) this.say(`The program was killed by ${signal}.`);
    this.channel?.close();
    this.sendEvent(new ExitedEvent(exitCode));
    this.endSession();
  }

  /** Sends breakpoints, filters and options gathered so far, once configuration is done. */
  private async configureRuntime(): Promise<void> {
    await this.configured;
    await this.request("set-options", { just_my_code: this.justMyCode });
    if (this.requestKind === "attach" && this.slowCallbackMs !== undefined) {
      // launch passes it on the command line; an attached program was started with its own.
      try {
        await this.request("set-watchdog", { slow_callback_ms: this.slowCallbackMs });
      } catch (err) {
        this.say(`Loopscope: the program kept its own slow-callback threshold: ${message(err)}`, "stderr");
      }
    }
    await this.request("set-filters", { filters: this.filters });
    for (const [path, specs] of this.breakpoints) {
      const results = await this.sendBreakpoints(path, specs);
      for (const bp of results) this.sendEvent(new BreakpointEvent("changed", bp));
    }
  }

  // ---- attach ------------------------------------------------------------------------------

  protected override async attachRequest(response: DebugProtocol.AttachResponse, raw: AttachConfig): Promise<void> {
    this.requestKind = "attach";
    const checked = checkAttach(raw);
    if (!checked.ok) {
      this.fail(response, checked.error);
      this.endSession();
      return;
    }
    const cfg = checked.config;
    this.justMyCode = cfg.justMyCode !== false;
    this.viewEvents = cfg.viewEvents !== false;
    this.model = LoopscopeSession.modelFor(cfg);
    this.slowCallbackMs = cfg.slowCallbackThreshold;
    const host = cfg.host ?? "127.0.0.1";
    this.label = `${host}:${cfg.port ?? 0}`;
    try {
      const hello = await connectToRuntime(host, cfg.port ?? 0, cfg.token ?? "");
      this.attachChannel(hello.channel);
      this.model.apply(hello.hello);
      if (hello.hello.kind === "session/welcome") {
        this.python = hello.hello.python ?? null;
        this.pid = hello.hello.pid ?? null;
      }
      if (this.pid !== null) {
        this.sendEvent(
          new Event("process", {
            name: this.label,
            systemProcessId: this.pid,
            isLocalProcess: true,
            startMethod: "attach",
          }),
        );
      }
      await this.configureRuntime();
      await this.request("start", {});
      this.setPhase(this.stopped ? "stopped" : "running");
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err));
      this.channel?.close();
      this.endSession();
    }
  }

  // ---- ending ---------------------------------------------------------------------------------

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.stopProgram(true);
    this.sendResponse(response);
  }

  protected override async disconnectRequest(
    response: DebugProtocol.DisconnectResponse,
    args: DebugProtocol.DisconnectArguments | undefined,
  ): Promise<void> {
    const terminate = args?.terminateDebuggee ?? this.requestKind === "launch";
    await this.stopProgram(terminate);
    this.sendResponse(response);
    this.shutdown();
  }

  /** Ends (launch, or terminate) or leaves (attach) the program; nothing is left running that we started. */
  private async stopProgram(terminate: boolean): Promise<void> {
    this.disconnecting = true;
    const ch = this.channel;
    if (ch !== null && !ch.closed) {
      // Release every stop and breakpoint first: a program that handles SIGTERM can then end cleanly.
      try {
        await ch.request("detach", {}, 2000);
      } catch {
        // gone or stuck: the signals below still work
      }
    }
    if (terminate && this.program !== null && !this.program.done) {
      await this.program.kill(2000);
    }
    if (!terminate || this.requestKind === "attach") {
      ch?.close();
      if (this.requestKind === "attach") this.endSession();
    }
    if (this.program !== null && this.program.done) this.endSession();
  }

  // ---- breakpoints and filters ----------------------------------------------------------------

  private async sendBreakpoints(path: string, specs: BpSpec[]): Promise<DebugProtocol.Breakpoint[]> {
    const body = await this.request<{ breakpoints: RuntimeBpResult[] }>("set-breakpoints", {
      file: path,
      breakpoints: specs.map((s) => ({
        id: s.id,
        line: s.line,
        condition: s.condition ?? null,
        hit_condition: s.hitCondition ?? null,
        log_message: s.logMessage ?? null,
      })),
    });
    return body.breakpoints.map((r) => {
      const bp = new Breakpoint(
        r.verified,
        r.line,
        undefined,
        new Source(basename(path), path),
      ) as DebugProtocol.Breakpoint;
      bp.id = r.id;
      if (r.message !== null) bp.message = r.message;
      return bp;
    });
  }

  protected override async setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): Promise<void> {
    const path = args.source.path;
    if (path === undefined) {
      response.body = {
        breakpoints: (args.breakpoints ?? []).map(() => ({ verified: false, message: "no file path" })),
      };
      this.sendResponse(response);
      return;
    }
    const specs: BpSpec[] = (args.breakpoints ?? []).map((b) => ({
      id: this.nextBpId++,
      line: b.line,
      condition: b.condition || undefined,
      hitCondition: b.hitCondition || undefined,
      logMessage: b.logMessage ?? undefined,
    }));
    this.breakpoints.set(path, specs);
    if (this.channel === null || this.channel.closed) {
      response.body = {
        breakpoints: specs.map((s) => {
          const bp = new Breakpoint(
            false,
            s.line,
            undefined,
            new Source(basename(path), path),
          ) as DebugProtocol.Breakpoint;
          bp.id = s.id;
          bp.message = "Set when the program starts";
          return bp;
        }),
      };
      this.sendResponse(response);
      return;
    }
    try {
      response.body = { breakpoints: await this.sendBreakpoints(path, specs) };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, `Could not set breakpoints: ${message(err)}`, false);
    }
  }

  protected override async setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): Promise<void> {
    const chosen = new Map<string, string | undefined>();
    for (const f of args.filters) chosen.set(f, undefined);
    for (const o of args.filterOptions ?? []) chosen.set(o.filterId, o.condition || undefined);
    const filters: { id: string; condition?: string }[] = [];
    for (const [id, condition] of chosen) {
      const runtimeId = RUNTIME_FILTER[id];
      if (runtimeId === undefined) continue;
      filters.push(condition === undefined ? { id: runtimeId } : { id: runtimeId, condition });
    }
    this.filters = filters;
    const known = [...chosen.keys()].filter((id) => RUNTIME_FILTER[id] !== undefined);
    response.body = { breakpoints: known.map(() => ({ verified: true })) };
    if (this.channel !== null && !this.channel.closed) {
      try {
        await this.request("set-filters", { filters });
      } catch (err) {
        this.fail(response, `Could not set exception filters: ${message(err)}`, false);
        return;
      }
    }
    this.sendResponse(response);
  }

  // ---- threads, stacks, variables ----------------------------------------------------------------

  protected override async threadsRequest(response: DebugProtocol.ThreadsResponse): Promise<void> {
    let body: ThreadsBody | null;
    try {
      body = await this.request<ThreadsBody>("threads");
      this.lastThreads = body;
    } catch {
      body = null;
    }
    const threads: DebugProtocol.Thread[] = [];
    if (body !== null) {
      for (const t of body.threads)
        threads.push(new Thread(this.threadId({ kind: "os", ident: t.ident }), osThreadName(t, this.model)));
      const tasks = [...body.tasks].sort((a, b) => a.task - b.task);
      this.listedTasks.clear();
      for (const t of tasks) {
        this.listedTasks.add(t.task);
        threads.push(new Thread(this.threadId({ kind: "task", id: t.task }), taskThreadName(t, this.model)));
      }
    }
    response.body = { threads };
    this.sendResponse(response);
  }

  private async runtimeFrames(threadId: number): Promise<{ frames: RuntimeFrame[]; task: number | null }> {
    const key = this.threadKeys.get(threadId);
    if (key === undefined) throw new Error(`unknown thread ${threadId}`);
    const task = key.kind === "task" ? key.id : null;
    let frames = this.frameCache.get(threadId);
    if (frames === undefined) {
      const args = key.kind === "task" ? { task: key.id } : { thread: key.ident };
      frames = (await this.request<{ frames: RuntimeFrame[] }>("frames", args)).frames;
      this.frameCache.set(threadId, frames);
    }
    return { frames, task };
  }

  private source(file: string, user: boolean): Source {
    if (isAbsolute(file) && existsSync(file))
      return withHint(new Source(basename(file), file), user ? undefined : "deemphasize");
    // Code with no file on disk (<string>, frozen modules): its text comes from the runtime.
    return withHint(new Source(file, undefined, this.sourceHandles.create(file)), "deemphasize");
  }

  protected override async stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): Promise<void> {
    try {
      const { frames, task } = await this.runtimeFrames(args.threadId);
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : frames.length;
      const out: DebugProtocol.StackFrame[] = frames.slice(start, start + levels).map((f, i) => {
        const id = this.frameHandles.create({
          ref: f.ref,
          task,
          file: f.file,
          line: f.line,
          threadId: args.threadId,
          index: start + i,
        });
        const sf = new StackFrame(id, f.func, this.source(f.file, f.user), f.line, 1) as DebugProtocol.StackFrame;
        if (!f.user) sf.presentationHint = "subtle";
        return sf;
      });
      response.body = { stackFrames: out, totalFrames: frames.length };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, `No stack: ${message(err)}`, false);
    }
  }

  protected override async scopesRequest(
    response: DebugProtocol.ScopesResponse,
    args: DebugProtocol.ScopesArguments,
  ): Promise<void> {
    const frame = this.frameHandles.get(args.frameId);
    if (frame === undefined) {
      this.fail(response, "That frame is gone (the program continued).", false);
      return;
    }
    try {
      const body = await this.request<{ scopes: { name: string; ref: number; expensive: boolean }[] }>("scopes", {
        frame: frame.ref,
      });
      // Stopped on an exception: the frame it was raised in shows it first (its locals may be none).
      const extra =
        frame.index === 0 && frame.threadId === this.exceptionThread ? await this.exceptionRows() : undefined;
      const scopes: DebugProtocol.Scope[] = body.scopes.map((s, i) => {
        const scope = new Scope(
          s.name,
          this.varHandles.create({ kind: "runtime", ref: s.ref, extra: i === 0 ? extra : undefined }),
          s.expensive,
        ) as DebugProtocol.Scope;
        scope.presentationHint = s.name === "Locals" ? "locals" : undefined;
        return scope;
      });
      if (frame.task !== null) {
        const live = this.lastThreads?.tasks.find((t) => t.task === frame.task);
        scopes.push(
          new Scope(
            "Task",
            this.varHandles.create({ kind: "rows", rows: taskRows(this.model, frame.task, live) }),
            false,
          ),
        );
      }
      response.body = { scopes };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  /** The rows of the exception the current stop is on (none when the runtime cannot say). */
  private async exceptionRows(): Promise<Row[] | undefined> {
    try {
      const e = await this.exception();
      const lines = e.traceback.trimEnd().split("\n");
      return [
        {
          name: "(exception)",
          value: e.message ? `${e.type}: ${e.message}` : e.type,
          children: [
            { name: "type", value: e.type },
            { name: "message", value: e.message },
            {
              name: "traceback",
              value: lines.at(-1) ?? "",
              children: lines.map((l, i) => ({ name: String(i), value: l })),
            },
          ],
        },
      ];
    } catch {
      return undefined;
    }
  }

  private rowVariables(rows: readonly Row[]): DebugProtocol.Variable[] {
    return rows.map((r) => ({
      name: r.name,
      value: r.value,
      variablesReference: r.children?.length ? this.varHandles.create({ kind: "rows", rows: r.children }) : 0,
    }));
  }

  /** The variables behind a DAP reference; undefined (the response failed) when they are gone. */
  private varRef(response: DebugProtocol.Response, variablesReference: number): VarRef | undefined {
    const ref = this.varHandles.get(variablesReference);
    if (ref === undefined) this.fail(response, "Those variables are gone (the program continued).", false);
    return ref;
  }

  protected override async variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): Promise<void> {
    const ref = this.varRef(response, args.variablesReference);
    if (ref === undefined) return;
    if (ref.kind === "rows") {
      response.body = { variables: this.rowVariables(ref.rows) };
      this.sendResponse(response);
      return;
    }
    try {
      const body = await this.request<{ variables: RuntimeVariable[] }>("vars", {
        ref: ref.ref,
        start: args.start ?? 0,
        count: args.count ?? 0,
        filter: args.filter ?? null,
      });
      const first = (args.start ?? 0) === 0 && args.filter !== "indexed" && ref.extra !== undefined;
      response.body = {
        variables: [...(first ? this.rowVariables(ref.extra!) : []), ...body.variables.map((v) => this.variable(v))],
      };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  private variable(v: RuntimeVariable): DebugProtocol.Variable {
    const out: DebugProtocol.Variable = {
      name: v.name,
      value: v.value,
      type: v.type,
      variablesReference: v.ref ? this.varHandles.create({ kind: "runtime", ref: v.ref }) : 0,
    };
    if (v.indexed) out.indexedVariables = v.indexed;
    if (v.evaluate_name) out.evaluateName = v.evaluate_name;
    return out;
  }

  protected override async setVariableRequest(
    response: DebugProtocol.SetVariableResponse,
    args: DebugProtocol.SetVariableArguments,
  ): Promise<void> {
    const ref = this.varRef(response, args.variablesReference);
    if (ref === undefined) return;
    if (ref.kind === "rows") {
      this.fail(response, "Loopscope's task facts cannot be changed; change the program's variables instead.", false);
      return;
    }
    try {
      // The runtime evaluates the value in the frame the variable was reached from.
      const v = await this.request<RuntimeVariable>("set-var", { ref: ref.ref, name: args.name, value: args.value });
      const out = this.variable(v);
      response.body = {
        value: out.value,
        type: out.type,
        variablesReference: out.variablesReference,
        indexedVariables: out.indexedVariables,
      };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  protected override async evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ): Promise<void> {
    let frameRef: number | null = null;
    if (args.frameId !== undefined) {
      const frame = this.frameHandles.get(args.frameId);
      if (frame === undefined) {
        this.fail(response, "That frame is gone (the program continued).", false);
        return;
      }
      frameRef = frame.ref;
    }
    try {
      const body = await this.request<{ value: string; type: string; ref: number; indexed: number }>(
        "eval",
        { frame: frameRef, expression: args.expression, context: args.context ?? "repl" },
        15_000,
      );
      response.body = {
        result: body.value,
        type: body.type || undefined,
        variablesReference: body.ref ? this.varHandles.create({ kind: "runtime", ref: body.ref }) : 0,
        indexedVariables: body.indexed || undefined,
      };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  protected override async exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): Promise<void> {
    try {
      const e = await this.exception();
      response.body = {
        exceptionId: e.type,
        description: e.message,
        breakMode: e.mode,
        details: { typeName: e.type, message: e.message, stackTrace: e.traceback },
      };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  protected override async sourceRequest(
    response: DebugProtocol.SourceResponse,
    args: DebugProtocol.SourceArguments,
  ): Promise<void> {
    const file = this.sourceHandles.get(args.sourceReference);
    if (file === undefined) {
      this.fail(response, "Unknown source.", false);
      return;
    }
    try {
      const body = await this.request<{ content: string }>("source", { file });
      response.body = { content: body.content };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  // ---- execution control ------------------------------------------------------------------------

  private resumed(): void {
    this.stopped = false;
    this.resetStopState();
    this.setPhase("running");
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse): Promise<void> {
    // Running from now on: the next stop may come before the answer does.
    const wasStopped = this.stopped;
    this.resumed();
    try {
      await this.request("continue");
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
    } catch (err) {
      if (this.channel?.closed) {
        // It continued and ended before its answer could leave: that is a continue.
        response.body = { allThreadsContinued: true };
        this.sendResponse(response);
        return;
      }
      this.stopped = wasStopped;
      this.fail(response, message(err), false);
    }
  }

  private async step(response: DebugProtocol.Response, threadId: number, kind: "over" | "into" | "out"): Promise<void> {
    const key = this.threadKeys.get(threadId);
    if (key === undefined) {
      this.fail(response, `Unknown thread ${threadId}.`, false);
      return;
    }
    // Stepping an OS thread stopped by a pause runs one loop iteration: the loop may park again
    // (loop/paused) before the answer comes back, so that stop is expected from now on.
    const loopStep = key.kind === "os" && this.stopKind === "loop" && kind !== "into";
    if (loopStep) this.stepLoopPending = true;
    // Running from now on: the stop that ends the step may come before the answer does.
    const wasStopped = this.stopped;
    this.resumed();
    try {
      const args = key.kind === "task" ? { kind, task: key.id } : { kind, thread: key.ident };
      const body = await this.request<{ kind?: string; loops?: number[] }>("step", args);
      if (body.loops === undefined) this.stepLoopPending = false;
      this.sendResponse(response);
    } catch (err) {
      this.stepLoopPending = false;
      if (this.channel?.closed) {
        this.sendResponse(response); // it ran on and ended before answering
        return;
      }
      this.stopped = wasStopped;
      this.fail(response, message(err), false);
    }
  }

  protected override nextRequest(
    response: DebugProtocol.NextResponse,
    args: DebugProtocol.NextArguments,
  ): Promise<void> {
    return this.step(response, args.threadId, "over");
  }

  protected override stepInRequest(
    response: DebugProtocol.StepInResponse,
    args: DebugProtocol.StepInArguments,
  ): Promise<void> {
    return this.step(response, args.threadId, "into");
  }

  protected override stepOutRequest(
    response: DebugProtocol.StepOutResponse,
    args: DebugProtocol.StepOutArguments,
  ): Promise<void> {
    return this.step(response, args.threadId, "out");
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    if (this.stopped) {
      this.sendResponse(response);
      return;
    }
    // Pending before the request: the loop may park (loop/paused) before the answer comes back.
    this.pausePending = true;
    try {
      await this.request("pause");
      this.sendResponse(response);
      this.clearPauseNotice();
      this.pauseNotice = setTimeout(() => {
        this.pauseNotice = null;
        if (!this.pausePending) return;
        const loops = [...this.model.loops.values()].filter((l) => l.state !== "closed");
        const blocked = loops
          .flatMap((l) => l.blocked.slice(-1))
          .find((b) => b.ts + b.durationNs >= this.model.getMeta().lastTs - 1e9);
        let why: string;
        if (loops.length === 0) why = "no event loop is running yet; it stops as soon as one runs.";
        else if (blocked !== undefined && blocked.stack[0] !== undefined) {
          const top = blocked.stack[0];
          why = `the loop is busy in one callback (${basename(top.file)}:${top.line} in ${top.func}); it stops when that callback returns.`;
        } else why = "the loop is running one long callback; it stops when that callback returns.";
        this.say(`Pause requested: ${why}`);
      }, PAUSE_NOTICE_MS);
    } catch (err) {
      this.pausePending = false;
      this.fail(response, message(err), false);
    }
  }

  private clearPauseNotice(): void {
    if (this.pauseNotice !== null) clearTimeout(this.pauseNotice);
    this.pauseNotice = null;
  }

  // ---- custom requests (the Loopscope view) -------------------------------------------------------

  protected override async customRequest(
    command: string,
    response: DebugProtocol.Response,
    args: unknown,
  ): Promise<void> {
    const a = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
    try {
      switch (command) {
        case CustomRequest.snapshot: {
          const body: SnapshotResponseBody = { snapshot: this.model.snapshot() };
          response.body = body;
          break;
        }
        case CustomRequest.cancelTask: {
          const ca = a as Partial<CancelTaskArguments>;
          if (typeof ca.task !== "number") throw new Error("cancelTask needs a task id");
          await this.request("cancel-task", { task: ca.task, message: ca.message ?? null });
          response.body = {};
          break;
        }
        case CustomRequest.revealTask: {
          const ra = a as Partial<RevealTaskArguments>;
          if (typeof ra.task !== "number") throw new Error("revealTask needs a task id");
          response.body = await this.revealTask(ra.task);
          break;
        }
        case CustomRequest.taskStack: {
          const ta = a as Partial<TaskStackArguments>;
          if (typeof ta.task !== "number") throw new Error("taskStack needs a task id");
          const body = await this.request<{ frames: RuntimeFrame[] }>("frames", { task: ta.task, refs: false });
          const frames: Frame[] = body.frames.map((f) => ({ file: f.file, line: f.line, func: f.func })).reverse();
          const out: TaskStackResponseBody = { task: ta.task, frames };
          response.body = out;
          break;
        }
        default:
          this.fail(response, `Unknown request ${command}.`, false);
          return;
      }
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, message(err), false);
    }
  }

  private async revealTask(task: number): Promise<RevealTaskResponseBody> {
    try {
      const body = await this.request<{ frames: RuntimeFrame[] }>("frames", { task, refs: false });
      const f = body.frames.find((x) => x.user) ?? body.frames[0];
      if (f !== undefined) return { file: f.file, line: f.line, func: f.func, from: "frame" };
    } catch {
      // not live any more: its creation site below
    }
    const t = this.model.task(task);
    const site = t === null ? null : this.model.siteOf(t.site);
    if (site === null) throw new Error(`No source location known for task ${task}.`);
    return { file: site.file, line: site.line, func: site.func, from: "site" };
  }
}

function withHint(source: Source, hint: "deemphasize" | undefined): Source {
  if (hint !== undefined) (source as DebugProtocol.Source).presentationHint = hint;
  return source;
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals): number {
  return SIGNALS[signal] ?? 0;
}
