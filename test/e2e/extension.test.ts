// Loopscope as a user installs and uses it: the packaged .vsix in code-server,
// driven in headless Chromium. The steps run in order on one workbench; each
// leaves a screenshot in test-results/e2e/. producer_consumer.py runs about 9 s:
// the first session is watched while it runs and to its end (steps 1, 2, 5), a
// second one starts with a breakpoint set (steps 3, 4, then to its end again).
// Step 2b has a program of its own that runs until it is stopped.
//  1. open examples/producer_consumer.py, run "Debug Current File with Loopscope";
//  2. the Loopscope view shows the tasks by name with their states, and the queue with its items;
//  2b. "Pause Loop": the view, the status bar and CALL STACK say paused; "Reveal Task Source" on a
//     task selected in the view opens its file at its line; "Resume Loop": running again, and the loop
//     thread in CALL STACK is no longer named paused;
//  3. CALL STACK lists the tasks; a breakpoint in a coroutine stops it; VARIABLES shows its
//     locals; the Debug Console evaluates an expression;
//  4. step over an `await` stays in the same task (then "Cancel Selected Task" cancels another one);
//  5. continue to the end: the Debug Console shows the output and the exit code; the view the
//     final states (done, cancelled; failed with failing_task.py, stopped first on its uncaught
//     exception, which VARIABLES shows);
//  6. a program with a syntax error: the error names the file and line, nothing hangs;
//  7. a recorded trace opened with "Open Recorded Trace…" replaces what the view shows;
//  8. a launch configuration whose python is 3.7: a clear error with the fix, no session.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO } from "../../scripts/code-server.mjs";
import type { Locator } from "playwright-core";
import { Workbench } from "./workbench";

const DEBUG_CURRENT_FILE = "Loopscope: Debug Current File with Loopscope";

/** The 1-based line of the only line of `file` (in examples/, or a path from the repository) that contains `text`. */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(REPO, file.includes("/") ? "" : "examples", file), "utf8").split("\n");
  const hits = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  assert.equal(hits.length, 1, `exactly one line of ${file} contains ${JSON.stringify(text)}`);
  return hits[0]!;
}

const WORKERS = "test/e2e/fixtures/waiting_workers.py";
const TAKES = lineOf("producer_consumer.py", 'print("%-10s takes %s');
const AWAIT_SLEEP = lineOf("producer_consumer.py", "await sleep_until(start, free_at)");
const DONE_ITEM = lineOf("producer_consumer.py", 'print("%-10s done  %s"');

const wb = new Workbench();

/** The CALL STACK row of the thread VS Code shows as paused, and its task's name. */
async function pausedThread(reason: RegExp): Promise<{ row: string; task: string }> {
  return wb.until(`a thread paused on ${reason}`, async () => {
    const row = (await wb.callStackRows()).find((r) => reason.test(r));
    if (row === undefined) return undefined;
    return { row, task: row.split(" ")[0]! };
  });
}

/** The call stack's top frame of the paused thread: "func file line:col". */
async function topFrameLine(): Promise<number | undefined> {
  const rows = await wb.callStackRows();
  const i = rows.findIndex((r) => /paused (on|after) /i.test(r));
  const frame = i >= 0 ? rows[i + 1] : undefined;
  const m = frame === undefined ? null : /producer_consumer\.py (\d+):\d+/.exec(frame);
  return m === null ? undefined : Number(m[1]);
}

describe("Loopscope in VS Code (code-server, packaged .vsix)", { timeout: 600_000 }, () => {
  before(async () => {
    await wb.start();
  });
  after(async () => {
    await wb.stop();
  });

  it("0. the Loopscope view's empty state offers 'Debug current file'", async () => {
    await wb.showContainer("Loopscope");
    const view = await wb.loopView();
    const button = view.locator('[data-testid="debug-current-file"]');
    await button.waitFor({ timeout: 20_000 });
    assert.equal((await button.innerText()).trim(), "Debug current file");
    assert.match(await view.locator('[data-testid="empty-state"]').innerText(), /No Loopscope session is running/);
    await wb.screenshot("empty-state");
  });

  it("1. open producer_consumer.py and run 'Debug Current File with Loopscope' from the command palette", async () => {
    await wb.openFile("producer_consumer.py");
    await wb.runCommand(DEBUG_CURRENT_FILE);
    await wb.debugToolbar().waitFor({ timeout: 30_000 });
  });

  it("2. the Loopscope view shows the tasks by name with their states, and the queue with its items", async () => {
    await wb.showContainer("Loopscope");
    const view = await wb.loopView();
    const names = ["producer-1", "producer-2", "consumer-1", "consumer-2", "consumer-3"];
    const rows = await wb.until("the producer and consumer tasks in the task table", async () => {
      const texts = await view
        .locator('[data-testid="task-grid"] [role="row"]')
        .evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.replace(/\s+/g, " ")));
      return names.every((n) => texts.some((t) => t.includes(n))) ? texts : undefined;
    });
    for (const n of ["consumer-1", "consumer-2", "consumer-3"]) {
      const row = rows.find((t) => t.includes(n))!;
      assert.match(row, /pending|running/, `${n} is live: ${row}`);
    }
    const status = await wb.until(
      "the status bar item",
      async () => {
        const t = await wb.page.locator(".part.statusbar .statusbar-item", { hasText: "Loopscope:" }).innerText();
        return /Loopscope: \d+ pending, \d+ running · loop running/.test(t) ? t : undefined;
      },
      5_000,
    );
    assert.match(status, /Loopscope: [1-9]\d* pending/);
    await wb.screenshot("view-tasks");
    await view.locator('button[data-tab="queues"]').click();
    const items = await wb.until("queue items in the Queues tab", async () => {
      const li = await view
        .locator('[data-testid="queue-card"] [data-testid="queue-items"] li')
        .evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.trim()));
      return li.length >= 2 ? li : undefined;
    });
    assert.ok(
      items.every((t) => /Item\(label='producer-\d\/order-\d\d'/.test(t)),
      `queue items are the program's orders: ${items.join(" | ")}`,
    );
    await wb.screenshot("view-queue-items");
    await view.locator('button[data-tab="tasks"]').click();
  });

  it("5. to the end: output and exit code in the Debug Console, final states in the view", async () => {
    await wb.debugToolbar().waitFor({ state: "hidden", timeout: 30_000 });
    await wb.until("the program's last output and its exit code", async () => {
      // Lines written together arrive as one output event, one row.
      const text = (await wb.consoleRows()).join("\n");
      return /queue drained; stopping the consumers\s+done\b/.test(text) &&
        text.includes("The program exited with code 0.")
        ? text
        : undefined;
    });
    await wb.screenshot("ended-console");

    // The view was hidden meanwhile (the Debug Console opened): it comes back with the session's final state.
    await wb.showContainer("Loopscope");
    const view = await wb.loopView();
    const count = (s: string): Promise<string> => view.locator(`[data-testid="count-task-${s}"]`).innerText();
    await wb.until("the final task states", async () =>
      (await count("cancelled")) === "3" && (await count("pending")) === "0" ? true : undefined,
    );
    assert.ok(Number(await count("done")) >= 3, "main and the producers are done");
    assert.match(await view.locator('[data-testid="loop-state"]').innerText(), /exited \(code 0\)/);
    await wb.screenshot("ended-view");
  });

  it("2b. 'Pause Loop', 'Reveal Task Source' on a task selected in the view, 'Resume Loop'", async () => {
    // A program of its own that runs until stopped: each check below waits while the program is live.
    await wb.openFile("waiting_workers.py");
    await wb.runCommand(DEBUG_CURRENT_FILE);
    await wb.debugToolbar().waitFor({ timeout: 30_000 });
    await wb.showContainer("Loopscope");
    await wb.until("the workers in the view", async () =>
      (await (await wb.loopView()).locator('[data-testid="task-grid"]').innerText()).includes("worker-2")
        ? true
        : undefined,
    );
    // Each read gives up after 2 s (not the default 30): a poll that waits must not outlast the state it waits for.
    const statusBar = (): Promise<string> =>
      wb.page.locator('.part.statusbar .statusbar-item[id$="loopscope.status"]').innerText({ timeout: 2000 });
    // The sidebar's webview, found again each time: it was hidden meanwhile when Run and Debug was shown.
    const loopState = async (): Promise<string> =>
      (await wb.loopView()).locator('[data-testid="loop-state"]').innerText({ timeout: 2000 });
    try {
      await wb.runCommand("Loopscope: Pause Loop");
      await wb.until("the view and the status bar to say paused", async () =>
        /^loop paused \(pause\)/.test(await loopState()) && / · loop paused$/.test(await statusBar())
          ? true
          : undefined,
      );
      await wb.showContainer("Run and Debug");
      await wb.page.mouse.move(800, 940); // no tooltip over the views in the screenshots
      const pausedRow = await wb.until("the loop thread paused in CALL STACK", async () =>
        (await wb.callStackRows()).find((r) => /^MainThread \(loop \d+ paused\) paused between callbacks$/i.test(r)),
      );
      assert.ok(pausedRow.length > 0);
      // VS Code shows the stop once it has the stack: the toolbar's Continue, the module's globals.
      await wb.page.locator('.debug-toolbar .action-label[aria-label^="Continue"]').waitFor();
      await wb.until("VARIABLES of the paused loop's frame", async () =>
        (await wb.variableRows()).length > 0 ? true : undefined,
      );
      await wb.screenshot("loop-paused");

      // Select worker-2 in the view's task table, then reveal it: where it waits (on queue.get(), or
      // in its short job's sleep).
      await wb.showContainer("Loopscope");
      const view = await wb.loopView();
      const row = view.locator('[data-testid="task-grid"] [role="row"]', { hasText: "worker-2" }).first();
      await row.click();
      await wb.until("worker-2 selected", async () =>
        (await row.getAttribute("aria-selected")) === "true" ? true : undefined,
      );
      await wb.runCommand("Loopscope: Reveal Task Source");
      const waits = [lineOf(WORKERS, "job = await queue.get()"), lineOf(WORKERS, "await asyncio.sleep(0.05)")];
      const at = await wb.until("the editor at worker-2's line", async () => {
        const tab = await wb.page.locator(".tabs-container .tab.active").getAttribute("data-resource-name");
        const pos = await wb.page
          .locator(".part.statusbar .statusbar-item", { hasText: /^Ln \d+, Col \d+/ })
          .innerText();
        const line = Number(/^Ln (\d+)/.exec(pos)?.[1]);
        return tab === "waiting_workers.py" && waits.includes(line) ? line : undefined;
      });
      assert.ok(waits.includes(at), `revealed line ${at}`);
      await wb.screenshot("reveal-task-source");

      await wb.runCommand("Loopscope: Resume Loop");
      let seen = "";
      await wb
        .until("the view and the status bar to say running", async () => {
          const [view, bar] = [await loopState(), await statusBar()];
          seen = `view: ${view}; status bar: ${bar}`;
          return /^loop running/.test(view) && / · loop running$/.test(bar) ? true : undefined;
        })
        .catch((err: Error) => {
          throw new Error(`${err.message}\n  last seen: ${seen}`);
        });
      await wb.showContainer("Run and Debug");
      await wb.page.mouse.move(800, 940);
      await wb.until("the loop thread named without 'paused' in CALL STACK", async () => {
        const rows = await wb.callStackRows();
        const loopRow = rows.find((r) => r.startsWith("MainThread"));
        return loopRow !== undefined && /^MainThread \(loop \d+\)/.test(loopRow) && !/paused/i.test(loopRow)
          ? true
          : undefined;
      });
      await wb.screenshot("loop-resumed");
    } finally {
      // The program runs until stopped: stop it, whatever happened above.
      if (await wb.debugToolbar().isVisible()) {
        await wb.debugAction("Stop");
        await wb.debugToolbar().waitFor({ state: "hidden", timeout: 30_000 });
      }
    }
  });

  let stoppedTask = "";

  it("3. CALL STACK lists the tasks; a breakpoint in a coroutine stops it; VARIABLES shows locals; the Debug Console evaluates", async () => {
    await wb.showContainer("Run and Debug");
    await wb.openFile("producer_consumer.py");
    await wb.toggleBreakpoint(TAKES);
    await wb.runCommand(DEBUG_CURRENT_FILE);
    const paused = await pausedThread(/paused on breakpoint/i);
    stoppedTask = paused.task;
    assert.match(stoppedTask, /^consumer-\d$/, `the breakpoint stopped a consumer task: ${paused.row}`);
    const stack = await wb.callStackRows();
    for (const n of ["consumer-1", "consumer-2", "consumer-3"]) {
      assert.ok(
        stack.some((r) => r.startsWith(`${n} consumer()`)),
        `CALL STACK lists ${n}: ${stack.join(" | ")}`,
      );
    }
    assert.ok(
      stack.some((r) => / main\(\)/.test(r)),
      `CALL STACK lists main(): ${stack.join(" | ")}`,
    );
    await wb.until("the stopped task's top frame on the breakpoint's line", async () =>
      (await topFrameLine()) === TAKES ? true : undefined,
    );

    const vars = await wb.until("the locals in VARIABLES", async () => {
      const v = await wb.variableRows();
      return v.some((r) => r.startsWith("item = ")) ? v : undefined;
    });
    assert.ok(
      vars.some((r) => r === `name = '${stoppedTask}'`),
      `VARIABLES: name is the task's: ${vars.join(" | ")}`,
    );
    const item = vars.find((r) => r.startsWith("item = "))!;
    const label = /label='(producer-\d\/order-\d\d)'/.exec(item)?.[1];
    assert.ok(label !== undefined, `VARIABLES: item is an order: ${item}`);
    assert.ok(
      vars.some((r) => r.startsWith("queue = <Queue")),
      `VARIABLES: queue: ${vars.join(" | ")}`,
    );

    await wb.evaluate('name + "|" + item.label');
    await wb.until("the evaluated expression in the Debug Console", async () => {
      const rows = await wb.consoleRows();
      return rows.some((r) => r.includes(`'${stoppedTask}|${label}'`)) ? rows : undefined;
    });
    await wb.screenshot("breakpoint-stack-variables-console");

    // The loop view in an editor tab shows the same session beside the debug views.
    await wb.runCommand("Loopscope: Open Loop View in Editor");
    const panel = await wb.loopView("panel");
    await wb.until("the stopped task in the editor's loop view", async () => {
      const t = await panel.locator('[data-testid="task-grid"]').innerText();
      return t.includes(stoppedTask) ? t : undefined;
    });
    await wb.screenshot("loop-view-in-editor");
  });

  it("4. step over an await stays in the same task", async (t) => {
    await wb.debugAction("Step Over");
    await wb.until("the line after the breakpoint", async () =>
      (await topFrameLine()) === TAKES + 1 ? true : undefined,
    );
    await wb.debugAction("Step Over");
    await wb.until("the await line", async () => ((await topFrameLine()) === AWAIT_SLEEP ? true : undefined));
    // Without the breakpoint, the other consumers do not stop there meanwhile.
    await wb.openFile("producer_consumer.py");
    await wb.toggleBreakpoint(TAKES);
    // The task sleeps at most ~1.6 s in the await (less, or not at all, when the breakpoint held
    // the loop past its wake-up time): then it stops on the line after the await.
    await wb.debugAction("Step Over");
    const moved = await wb.poll(async () => ((await topFrameLine()) === DONE_ITEM ? true : undefined), 6_000);
    if (moved === undefined) {
      // Still on the await's line after the task could have slept twice over: the runtime stopped where
      // the task resumed, on the await's own line. One more step leaves it.
      await wb.page.locator('.debug-toolbar .action-label[aria-label^="Continue"]').waitFor();
      t.diagnostic(`step over the await stopped on its own line ${AWAIT_SLEEP} after resuming; stepping once more`);
      await wb.debugAction("Step Over");
      await wb.until("the line after the await", async () => ((await topFrameLine()) === DONE_ITEM ? true : undefined));
    }
    const after = await pausedThread(/paused (on|after) step/i);
    assert.equal(after.task, stoppedTask, `the step over the await stopped in the same task: ${after.row}`);
    // The await is over: the clock (the loop's, time.monotonic) is past the time the task slept until.
    await wb.evaluate('__import__("time").monotonic() >= start + free_at');
    await wb.until("the await to be over", async () => ((await wb.consoleRows()).at(-1) === "True" ? true : undefined));
    await wb.screenshot("step-over-await");

    // Cancel another consumer from the command palette; once the loop runs again it is cancelled
    // while the other consumers go on.
    const other = ["consumer-1", "consumer-2", "consumer-3"].find((n) => n !== stoppedTask)!;
    await wb.runCommand("Loopscope: Cancel Selected Task", true);
    const choice = wb.page.locator(".quick-input-list .monaco-list-row", { hasText: other }).first();
    await choice.waitFor({ timeout: 15_000 });
    await choice.click();
    await wb.debugAction("Continue");
    const panel = await wb.loopView("panel");
    const taskRow = (n: string): Locator =>
      panel.locator('[data-testid="task-grid"] [role="row"]', { hasText: n }).first();
    await wb.until(`${other} cancelled`, async () =>
      /cancelled/.test(await taskRow(other).innerText({ timeout: 2000 })) ? true : undefined,
    );
    // Who cancelled it says it was this command (code outside any task, with Loopscope's message), not
    // main() cancelling every consumer at the program's end (which may come soon after: the loop was held).
    const cancelledBy = async (n: string): Promise<string> => {
      await taskRow(n).click();
      const details = panel.locator('[data-testid="details"]');
      await wb.until(`${n}'s details`, async () =>
        (await details.innerText({ timeout: 2000 })).includes(n) ? true : undefined,
      );
      return (await details.innerText()).replace(/\s+/g, " ");
    };
    const byCommand = await cancelledBy(other);
    assert.match(byCommand, /Cancelled by code outside any task/, byCommand);
    assert.match(byCommand, /cancelled from Loopscope/, byCommand);
    await wb.screenshot("task-cancelled-from-command");
    await wb.debugToolbar().waitFor({ state: "hidden", timeout: 30_000 });
    await wb.until("the second run's exit code", async () => {
      const rows = await wb.consoleRows();
      return rows.some((r) => r.includes("The program exited with code 0.")) ? rows : undefined;
    });
    // The stopped consumer went on to the end, cancelled by main() with the others.
    const byMain = await cancelledBy(stoppedTask);
    assert.match(byMain, /Cancelled by \W*Task-1/, byMain);
  });

  it("5b. a program whose tasks fail: failed states, the exception, exit code 1", async () => {
    await wb.openFile("failing_task.py");
    await wb.runCommand(DEBUG_CURRENT_FILE);
    await wb.debugToolbar().waitFor({ timeout: 30_000 });
    // The "Uncaught exceptions" filter is on by default: the exception that ends the program stops it first.
    await wb.showContainer("Run and Debug");
    const paused = await pausedThread(/paused on exception|uncaught exception/i);
    assert.ok(paused.row.length > 0);
    // save_report() raised it and has no locals of its own: VARIABLES shows the exception.
    await wb.until("the exception in VARIABLES", async () =>
      (await wb.variableRows()).includes("(exception) = PermissionError: report.txt is read-only") ? true : undefined,
    );
    await wb.screenshot("uncaught-exception");
    await wb.debugAction("Continue");
    await wb.debugToolbar().waitFor({ state: "hidden", timeout: 30_000 });
    await wb.until("exit code 1 in the Debug Console", async () => {
      const rows = await wb.consoleRows();
      return rows.some((r) => r.includes("The program exited with code 1.")) ? rows : undefined;
    });
    await wb.showContainer("Loopscope");
    const view = await wb.loopView();
    // fetch-orders, fetch-avatar and save-report raise; main() fails with save-report's exception.
    const rows = await wb.until("the failed tasks", async () => {
      if ((await view.locator('[data-testid="count-task-failed"]').innerText()) !== "4") return undefined;
      return view
        .locator('[data-testid="task-grid"] [role="row"]')
        .evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.replace(/\s+/g, " ")));
    });
    for (const n of ["fetch-orders", "fetch-avatar", "save-report", "Task-1"]) {
      assert.ok(
        rows.some((r) => r.includes(n) && r.includes("failed")),
        `${n} is failed: ${rows.join(" | ")}`,
      );
    }
    assert.ok(
      rows.some((r) => r.includes("fetch-profile") && r.includes("done")),
      "fetch-profile is done",
    );
    await wb.screenshot("failed-tasks-view");
  });

  it("6. a syntax error shows the file and line, and nothing hangs", async () => {
    await wb.openFile("syntax_error.py");
    const started = Date.now();
    await wb.runCommand(DEBUG_CURRENT_FILE);
    const message = await wb.until("the syntax error message", async () =>
      (await wb.messages()).find((m) => /syntax error/i.test(m)),
    );
    assert.match(message, /syntax_error\.py/);
    assert.match(message, /line 9/);
    await wb.screenshot("syntax-error");
    // Dismiss the error (a dialog in this VS Code) the way a user would.
    await wb.page.keyboard.press("Escape");
    await wb.debugToolbar().waitFor({ state: "hidden", timeout: 15_000 });
    assert.ok(Date.now() - started < 30_000, "the failed launch ended promptly");
    assert.deepEqual(wb.consoleErrors, [], "no Loopscope errors in the browser console");
  });

  it("7. 'Open Recorded Trace…' shows a recorded trace in the view", async () => {
    await wb.showContainer("Explorer");
    await wb.runCommand("Loopscope: Open Recorded Trace…", true);
    // VS Code's own file dialog (a quick input in a browser): type the path, Enter.
    await wb.page
      .locator(".quick-input-widget .quick-input-title", { hasText: "Open a recorded Loopscope trace" })
      .waitFor({ timeout: 15_000 });
    // The dialog fills in the folder once it has listed it: type the path after that.
    await wb.page.locator(".quick-input-list .monaco-list-row", { hasText: "recorded.jsonl" }).first().waitFor();
    const input = wb.page.locator(".quick-input-widget input");
    await input.fill(join(wb.workspace, "recorded.jsonl"));
    await wb.page.keyboard.press("Enter");
    // The command shows the Loopscope sidebar itself.
    const view = await wb.loopView();
    const rows = await wb.until("the trace's tasks", async () => {
      const texts = await view
        .locator('[data-testid="task-grid"] [role="row"]')
        .evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.replace(/\s+/g, " ")));
      return texts.length > 3 ? texts : undefined;
    });
    assert.match(await view.locator(".session-label").innerText(), /recorded\.jsonl/);
    assert.ok(rows.length > 3, rows.join(" | "));
    await wb.screenshot("recorded-trace");
  });

  it("8. a Python older than 3.8 in launch.json: the error says so and how to fix it", async () => {
    await wb.runCommand("Debug: Select and Start Debugging", true);
    const pick = wb.page.locator(".quick-input-list .monaco-list-row", { hasText: "Loopscope with Python 3.7" });
    await pick.first().waitFor({ timeout: 15_000 });
    await pick.first().click();
    const message = await wb.until("the interpreter error", async () =>
      (await wb.messages()).find((m) => /too old/.test(m)),
    );
    assert.match(message, /Python 3\.7\.9 at .*python3\.7 is too old: Loopscope needs Python 3\.8 or newer/);
    assert.match(message, /Set "python" in the launch configuration to a CPython 3\.8 or newer/);
    assert.match(message, /Open launch\.json/, "a button that opens launch.json");
    await wb.screenshot("python-too-old");
    assert.equal(await wb.debugToolbar().isVisible(), false, "no session started");
  });
});
