// Test page for the webview: serves the built bundle (dist/webview.js and
// .css, and the codicon font) on 127.0.0.1 in the page extension/src/view/html.ts makes (same CSP),
// drives it in headless Debian Chromium through playwright-core, and plays
// the extension's part with a fake host that replays recorded traces through
// the real LoopModel: `ready` from the view → the full state → deltas.

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";
import { webviewHtml } from "../../extension/src/view/html";
import { LoopModel } from "../../model/loopModel";
import { parseTrace } from "../../model/trace";
import type { ModelConfig } from "../../model/types";
import {
  VIEW_PROTOCOL_VERSION,
  parseViewMessage,
  type HostToViewMessage,
  type ViewSession,
  type ViewToHostMessage,
} from "../../model/viewProtocol";
import { validateMessage, type WireMessage } from "../../protocol/index";
import { THEMES, type ThemeName } from "./themes";

export const REPO = process.env.LOOPSCOPE_REPO ?? resolve(dirname(process.argv[1] ?? "."), "../..");
export const TRACES = join(REPO, "test/fixtures/traces");

export interface PageProblems {
  dialogs: string[];
  cspViolations: string[];
  pageErrors: string[];
  consoleErrors: string[];
  consoleWarnings: string[];
}

/** The messages of a recorded trace, checked by the model's own trace parser first. */
export function loadTrace(name: string): WireMessage[] {
  const text = readFileSync(join(TRACES, `${name}.jsonl`), "utf8");
  parseTrace(text); // throws TraceError with a line number for a bad trace
  const out: WireMessage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) break; // a trace cut short (the program was killed): its partial last line
      throw new Error(`${name}: line ${i + 1} is not JSON`);
    }
    const r = validateMessage(parsed);
    if (!r.ok) throw new Error(`${name}: line ${i + 1}: ${r.error}`);
    out.push(r.msg);
  }
  return out;
}

export class Harness {
  private server: Server | null = null;
  private context: BrowserContext | null = null;
  /** The browser's profile directory (fresh per run); its processes carry it on their command line. */
  userDataDir = "";
  port = 0;

  async start(): Promise<void> {
    const dist = join(REPO, "dist");
    const files: Record<string, [string, string]> = {
      "/dist/webview.js": [join(dist, "webview.js"), "text/javascript"],
      "/dist/webview.css": [join(dist, "webview.css"), "text/css"],
      // The codicon font, which webview.css refers to relatively (as in VS Code, through asWebviewUri).
      "/dist/codicon.ttf": [join(dist, "codicon.ttf"), "font/ttf"],
    };
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/") {
        const origin = `http://127.0.0.1:${this.port}`;
        const html = webviewHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview.js`,
          styleUri: `${origin}/dist/webview.css`,
          title: "Loopscope test page",
        });
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        res.end(html);
        return;
      }
      const f = files[url.pathname];
      if (f === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": f[1], "cache-control": "no-store" });
      res.end(readFileSync(f[0]));
    });
    await new Promise<void>((ok) => this.server!.listen(0, "127.0.0.1", ok));
    const addr = this.server.address();
    if (addr === null || typeof addr === "string") throw new Error("test server: no port");
    this.port = addr.port;
    this.userDataDir = mkdtempSync(join(tmpdir(), "loopscope-chromium-"));
    const executablePath = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    if (executablePath === "") throw new Error("chromium is not installed: run scripts/install-system-deps.sh");
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    this.context = await chromium.launchPersistentContext(this.userDataDir, {
      executablePath,
      viewport: { width: 1200, height: 800 },
      deviceScaleFactor: 1,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-quic",
        "--disable-sync",
      ],
    });
  }

  async newPage(width = 1200, height = 800): Promise<HostedPage> {
    if (this.context === null) throw new Error("harness not started");
    const page = await this.context.newPage();
    await page.setViewportSize({ width, height });
    return HostedPage.create(page, `http://127.0.0.1:${this.port}/`);
  }

  async stop(): Promise<void> {
    await this.context?.close();
    await new Promise<void>((ok) => (this.server === null ? ok() : this.server.close(() => ok())));
    if (this.userDataDir !== "") rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

export interface OpenOptions {
  theme?: ThemeName;
  width?: number;
  height?: number;
  session?: Partial<ViewSession>;
  config?: Partial<ModelConfig>;
}

/**
 * A page showing the webview, with the fake host attached. The host keeps a
 * LoopModel fed from a trace; `play*` fold more of it and post a delta, as
 * the extension does at most ~30 times a second.
 */
export class HostedPage {
  readonly problems: PageProblems = {
    dialogs: [],
    cspViolations: [],
    pageErrors: [],
    consoleErrors: [],
    consoleWarnings: [],
  };
  /** Messages the view sent, parsed (bad ones are kept as errors). */
  readonly received: ViewToHostMessage[] = [];
  readonly badMessages: string[] = [];
  model: LoopModel = new LoopModel();
  private messages: WireMessage[] = [];
  private pos = 0;
  private session: ViewSession = { source: "trace", label: "", canCancel: false, canReveal: true, ended: false };
  private readyWaiters: (() => void)[] = [];
  private ready = false;

  private constructor(
    readonly page: Page,
    private readonly url: string,
  ) {}

  static async create(page: Page, url: string): Promise<HostedPage> {
    const hp = new HostedPage(page, url);
    page.on("dialog", (d) => {
      hp.problems.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on("pageerror", (e) => hp.problems.pageErrors.push(String(e)));
    page.on("console", (m: ConsoleMessage) => {
      if (m.type() === "error") hp.problems.consoleErrors.push(m.text());
      if (m.type() === "warning") hp.problems.consoleWarnings.push(m.text());
    });
    await page.exposeBinding("__loopscopeToHost", (_src, msg: unknown) => hp.fromView(msg));
    // What VS Code injects into every webview: acquireVsCodeApi (once), with state kept across reloads.
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      const violations: string[] = [];
      w.__cspViolations = violations;
      document.addEventListener("securitypolicyviolation", (e) => {
        violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
      });
      let acquired = false;
      let state: unknown = undefined;
      w.acquireVsCodeApi = () => {
        if (acquired) throw new Error("An instance of the VS Code API has already been acquired");
        acquired = true;
        return {
          postMessage: (m: unknown) => (w.__loopscopeToHost as (m: unknown) => void)(m),
          getState: () => state,
          setState: (s: unknown) => {
            state = s;
          },
        };
      };
    });
    return hp;
  }

  private fromView(raw: unknown): void {
    const r = parseViewMessage(raw);
    if (!r.ok) {
      this.badMessages.push(r.error);
      return;
    }
    this.received.push(r.msg);
    if (r.msg.kind === "ready" || r.msg.kind === "resync") {
      void this.sendState();
      this.ready = true;
      for (const w of this.readyWaiters.splice(0)) w();
    }
  }

  async post(msg: HostToViewMessage | unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, "*"), msg);
  }

  private async sendState(): Promise<void> {
    await this.post({
      v: VIEW_PROTOCOL_VERSION,
      kind: "state",
      snapshot: this.model.snapshot(),
      session: this.session,
    });
  }

  /** Loads the page, applies a theme and size, and attaches a trace (nothing of it folded yet). */
  async open(trace: string | null, opts: OpenOptions = {}): Promise<void> {
    this.model = new LoopModel({ ...opts.config, trackChanges: true });
    this.messages = trace === null ? [] : loadTrace(trace);
    this.pos = 0;
    this.session = {
      source: "trace",
      label: trace === null ? "" : `${trace}.jsonl`,
      canCancel: false,
      canReveal: true,
      ended: false,
      ...opts.session,
    };
    this.received.length = 0;
    this.ready = false;
    if (opts.width !== undefined || opts.height !== undefined) {
      const vs = this.page.viewportSize() ?? { width: 1200, height: 800 };
      await this.page.setViewportSize({ width: opts.width ?? vs.width, height: opts.height ?? vs.height });
    }
    const gotReady = new Promise<void>((ok) => this.readyWaiters.push(ok));
    await this.page.goto(this.url);
    await this.setTheme(opts.theme ?? "dark");
    await gotReady;
    await this.waitRendered();
  }

  async setTheme(theme: ThemeName): Promise<void> {
    const t = THEMES[theme];
    await this.page.evaluate(
      ({ vars, bodyClass }) => {
        const html = document.documentElement;
        for (const [k, v] of Object.entries(vars)) html.style.setProperty(k, v);
        document.body.classList.remove("vscode-light", "vscode-dark", "vscode-high-contrast");
        document.body.classList.add(bodyClass);
      },
      { vars: t.vars, bodyClass: t.bodyClass },
    );
  }

  /** Folds every remaining message and posts one delta. */
  async playAll(): Promise<void> {
    while (this.pos < this.messages.length) this.model.apply(this.messages[this.pos++]!);
    this.session = { ...this.session, ended: true };
    await this.post({ v: VIEW_PROTOCOL_VERSION, kind: "session", session: this.session });
    await this.sendDelta();
  }

  /**
   * Folds messages until `pred` holds for the model (checked after each
   * message), posting a delta every `every` messages as a live session would.
   * Throws when the trace ends first.
   */
  async playUntil(pred: (m: LoopModel) => boolean, every = 4): Promise<void> {
    let n = 0;
    while (!pred(this.model)) {
      if (this.pos >= this.messages.length) throw new Error("the trace ended before the condition held");
      this.model.apply(this.messages[this.pos++]!);
      if (++n % every === 0) await this.sendDelta(false);
    }
    await this.sendDelta();
  }

  /** Posts the model's delta and (by default) waits until the view rendered it. */
  async sendDelta(wait = true): Promise<void> {
    await this.post({ v: VIEW_PROTOCOL_VERSION, kind: "delta", delta: this.model.takeDelta() });
    if (wait) await this.waitRendered();
  }

  /** Waits until the view shows the model's latest delta. */
  async waitRendered(): Promise<void> {
    const seq = String(this.model.snapshot().deltaSeq);
    await this.page.waitForSelector(`[data-testid="root"][data-delta-seq="${seq}"]`, {
      state: "attached",
      timeout: 10_000,
    });
    // One more frame so that views scheduled in the same flush have painted.
    await this.page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok(null))));
  }

  async cspViolations(): Promise<string[]> {
    const v = await this.page.evaluate(
      () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
    );
    return [...this.problems.cspViolations, ...v];
  }

  async tab(name: "tasks" | "graph" | "queues" | "timeline"): Promise<void> {
    await this.page.click(`[data-tab="${name}"]`);
    await this.page.waitForSelector(`#panel-${name}:not([hidden])`);
    await this.page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok(null))));
  }

  isReady(): boolean {
    return this.ready;
  }
}
