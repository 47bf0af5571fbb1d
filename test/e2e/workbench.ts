// A real VS Code (code-server) with the packaged Loopscope .vsix installed,
// driven in headless Chromium the way a user drives it: the command palette,
// the editor, the debug toolbar, the CALL STACK / VARIABLES / Debug Console
// views, and the Loopscope webview. Setup facts: scripts/code-server.mjs.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from "playwright-core";
import {
  EXTENSION_ID,
  REPO,
  ensureCodeServer,
  folderUrl,
  freePort,
  freshProfile,
  installVsix,
  packageVsix,
  startCodeServer,
} from "../../scripts/code-server.mjs";

export const SHOTS = join(REPO, "test-results/e2e");
const WORK = join(REPO, ".loopscope-tmp/e2e");

export class Workbench {
  page!: Page;
  workspace = "";
  private browser: BrowserContext | null = null;
  private server: { url: string; stop(): Promise<void> } | null = null;
  private chromeProfile = "";
  private shot = 0;
  readonly consoleErrors: string[] = [];

  /** Packages the built extension, installs it into a fresh profile, starts code-server and opens the workspace. */
  async start(): Promise<void> {
    const bin = ensureCodeServer();
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    const vsix = packageVsix(join(WORK, "loopscope.vsix"));
    const profile = freshProfile(join(WORK, "profile"), {
      // The Loopscope view and the debug views side by side need room; keep the panel for the Debug Console.
      "debug.openDebug": "openOnSessionStart",
      "debug.internalConsoleOptions": "openOnSessionStart",
      "editor.minimap.enabled": false,
      "window.commandCenter": false,
      "workbench.layoutControl.enabled": false,
    });
    installVsix(bin, profile, vsix);
    this.workspace = join(WORK, "workspace");
    rmSync(this.workspace, { recursive: true, force: true });
    cpSync(join(REPO, "examples"), this.workspace, { recursive: true });
    cpSync(join(REPO, "test/e2e/fixtures"), this.workspace, { recursive: true });
    // A trace the runtime recorded (python -m loopscope record), to open as a user would.
    cpSync(join(REPO, "test/fixtures/traces/gather_and_timeouts.jsonl"), join(this.workspace, "recorded.jsonl"));
    const port = await freePort();
    this.server = await startCodeServer({ bin, profile, port, folder: this.workspace });

    const executablePath = execFileSync("sh", ["-c", "command -v chromium || true"], { encoding: "utf8" }).trim();
    if (executablePath === "") throw new Error("chromium is not installed: run scripts/install-system-deps.sh");
    this.chromeProfile = mkdtempSync(join(tmpdir(), "loopscope-e2e-chromium-"));
    // A fresh Chromium profile per run (playwright passes it as --user-data-dir).
    this.browser = await chromium.launchPersistentContext(this.chromeProfile, {
      executablePath,
      headless: true,
      viewport: { width: 1500, height: 950 },
      deviceScaleFactor: 1,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    this.page = this.browser.pages()[0] ?? (await this.browser.newPage());
    this.page.on("console", (m) => {
      if (m.type() === "error" && /loopscope/i.test(m.text())) this.consoleErrors.push(m.text());
    });
    await this.page.goto(folderUrl(this.server.url, this.workspace));
    await this.page.waitForSelector(".monaco-workbench .part.activitybar", { timeout: 60_000 });
    // The explorer lists the workspace once the workbench has settled.
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row[aria-label^="producer_consumer.py"]', {
      timeout: 30_000,
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.server?.stop();
    if (this.chromeProfile !== "") rmSync(this.chromeProfile, { recursive: true, force: true });
  }

  /** Saves a screenshot of the whole window as test-results/e2e/NN-name.png. */
  async screenshot(name: string): Promise<string> {
    const file = join(SHOTS, `${String(++this.shot).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  // ---- the workbench ----------------------------------------------------------------------

  /** Quick Open (Ctrl+P) a file of the workspace and wait for its editor tab. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press("Escape");
    await this.page.keyboard.press("Control+P");
    const input = this.page.locator(".quick-input-widget input");
    await input.waitFor();
    await input.fill(name);
    // The row Enter opens (the focused one) is the file's: the list of recent files shown before the
    // filter applies may hold it too, further down.
    await this.page
      .locator(`.quick-input-list .monaco-list-row.focused[aria-label*="${name}"]`)
      .first()
      .waitFor({ timeout: 15_000 });
    await this.page.keyboard.press("Enter");
    await this.page
      .locator(`.tabs-container .tab.active[data-resource-name="${name}"]`)
      .first()
      .waitFor({ timeout: 15_000 });
    await this.page.locator(".editor-instance .monaco-editor .view-lines").first().waitFor();
  }

  /** Runs a command from the command palette (F1) by its title, as a user types it. With `opensPicker`, the command shows a quick pick of its own next. */
  async runCommand(title: string, opensPicker = false): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.page.locator(".quick-input-widget input");
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = this.page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    await row.waitFor({ timeout: 15_000 });
    await this.page.keyboard.press("Enter");
    if (!opensPicker) await this.page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: 15_000 });
  }

  /** Puts the editor's cursor on a 1-based line (Go to Line). */
  async goToLine(line: number): Promise<void> {
    await this.page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await this.page.keyboard.press("Control+G");
    const input = this.page.locator(".quick-input-widget input");
    await input.waitFor();
    await input.fill(`:${line}`);
    await this.page.keyboard.press("Enter");
    await this.page.locator(".quick-input-widget").waitFor({ state: "hidden" });
  }

  /** Toggles a breakpoint on a 1-based line of the active editor (F9). */
  async toggleBreakpoint(line: number): Promise<void> {
    await this.goToLine(line);
    await this.page.keyboard.press("F9");
  }

  /** Opens a sidebar container by its activity bar entry ("Loopscope", "Run and Debug", "Explorer"). */
  async showContainer(label: string): Promise<void> {
    const item = this.page.locator(`.part.activitybar .action-item:has(a[aria-label^="${label}"])`).first();
    const checked = await item.getAttribute("aria-checked").catch(() => null);
    const selected = ((await item.getAttribute("class")) ?? "").includes("checked");
    if (checked === "true" || selected) return;
    // The item, not its icon: a badge on the icon (Run and Debug's "1 active session") takes the clicks.
    await item.click();
  }

  debugToolbar(): Locator {
    return this.page.locator(".debug-toolbar");
  }

  /** Presses a debug toolbar button ("Continue", "Step Over", "Stop", …). */
  async debugAction(label: string): Promise<void> {
    await this.page.locator(`.debug-toolbar .action-label[aria-label^="${label}"]`).click();
  }

  /** The text of every row of a list view (CALL STACK, VARIABLES, the Debug Console). */
  async rows(selector: string): Promise<string[]> {
    return this.page
      .locator(`${selector} .monaco-list-row`)
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { innerText: string }).innerText.replace(/\s+/g, " ").trim()),
      );
  }

  callStackRows(): Promise<string[]> {
    return this.rows(".debug-call-stack");
  }

  variableRows(): Promise<string[]> {
    return this.rows(".debug-variables");
  }

  consoleRows(): Promise<string[]> {
    return this.rows(".repl");
  }

  /** Types an expression into the Debug Console's input and runs it. */
  async evaluate(expression: string): Promise<void> {
    await this.page.locator(".repl-input-wrapper .monaco-editor").click();
    await this.page.keyboard.type(expression);
    await this.page.keyboard.press("Enter");
  }

  /** The notifications shown as toasts or in a dialog, as text. */
  async messages(): Promise<string[]> {
    return this.page
      .locator(".notifications-toasts .notification-toast, .monaco-dialog-box")
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { innerText: string }).innerText.replace(/\s+/g, " ").trim()),
      );
  }

  /**
   * The Loopscope webview's document: the sidebar view (at the window's left) or the editor
   * panel. Webview iframes sit in an overlay over their part, not inside it: they are told
   * apart by where they are on screen.
   */
  async loopView(which: "sidebar" | "panel" = "sidebar"): Promise<FrameLocator> {
    const frames = this.page.locator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`);
    const index = await this.until(`the Loopscope ${which} webview`, async () => {
      const boxes = await frames.evaluateAll((els) =>
        els.map((e) => {
          const r = (
            e as unknown as { getBoundingClientRect(): { x: number; width: number; height: number } }
          ).getBoundingClientRect();
          return { x: r.x, w: r.width, h: r.height };
        }),
      );
      const i = boxes.findIndex((b) => b.w > 0 && b.h > 0 && (which === "sidebar" ? b.x < 500 : b.x >= 500));
      return i >= 0 ? i : undefined;
    });
    return frames.nth(index).contentFrame().locator("iframe#active-frame").contentFrame();
  }

  /** Polls `fn` until it returns a value that is not undefined, or undefined after `timeoutMs`. */
  async poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined || Date.now() > deadline) return v;
      await this.page.waitForTimeout(200);
    }
  }

  /** Polls `fn` until it returns a value that is not undefined; fails with `what` after `timeoutMs`. */
  async until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = undefined;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        await this.screenshot(`timeout-${what.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`);
        const seen = async (name: string, rows: Promise<string[]>): Promise<string> =>
          `\n  ${name}: ${JSON.stringify((await rows.catch(() => [])).slice(-12))}`;
        const context =
          (await seen("CALL STACK", this.callStackRows())) +
          (await seen("VARIABLES", this.variableRows())) +
          (await seen("Debug Console", this.consoleRows())) +
          (await seen("messages", this.messages()));
        throw new Error(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}${context}`,
        );
      }
      await this.page.waitForTimeout(200);
    }
  }
}
