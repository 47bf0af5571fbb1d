// Screenshots of every view in the light and dark theme, at the sidebar's
// narrow width and in a wide editor tab, written to docs/ for the README.
// Fed by recorded traces, like the tests. Run: node test/webview/run.mjs --screenshots
// (optionally --only=<substring of the file name>).

import { join } from "node:path";
import { Harness, REPO, type HostedPage } from "./harness";
import type { ThemeName } from "./themes";
import { VIEW_PROTOCOL_VERSION } from "../../model/viewProtocol";

type Tab = "tasks" | "graph" | "queues" | "timeline";

interface Shot {
  readonly tab: Tab;
  readonly trace: string;
  /** Play the trace until this holds (else to the end). */
  readonly until?: (p: HostedPage) => boolean;
  /** Select this task before the shot: by name, or "coro:<part of its coroutine>". */
  readonly select?: string;
  readonly name: string;
  /** Themes and sizes (default: light and dark, narrow and wide). */
  readonly themes?: ThemeName[];
  readonly sizes?: ("narrow" | "wide")[];
}

const consumersWaiting = (p: HostedPage): boolean => {
  const m = p.model;
  const qs = [...m.queues.values()];
  return (
    qs.some((q) => q.items.length >= 3) &&
    [...m.tasks.values()].filter((t) => t.name.startsWith("consumer")).length === 3
  );
};

const SHOTS: Shot[] = [
  { tab: "tasks", trace: "producer_consumer", until: consumersWaiting, select: "consumer-2", name: "tasks" },
  { tab: "graph", trace: "producer_consumer", until: consumersWaiting, select: "consumer-2", name: "graph" },
  { tab: "queues", trace: "producer_consumer", until: consumersWaiting, select: "consumer-2", name: "queues" },
  { tab: "timeline", trace: "blocking_loop", select: "coro:blocking", name: "timeline" },
  { tab: "graph", trace: "await_cycle", select: "first", name: "deadlock" },
  {
    tab: "queues",
    trace: "busy_ready",
    until: (p) => [...p.model.loops.values()].some((l) => l.ready.length >= 4) && p.model.tasks.size >= 6,
    select: "spinner-2",
    name: "ready",
  },
  {
    tab: "graph",
    trace: "producer_consumer",
    until: consumersWaiting,
    select: "consumer-2",
    name: "graph",
    themes: ["hc"],
    sizes: ["wide"],
  },
  {
    tab: "tasks",
    trace: "producer_consumer",
    until: consumersWaiting,
    select: "consumer-2",
    name: "tasks",
    themes: ["hc"],
    sizes: ["narrow"],
  },
];

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7) ?? "";
  const h = new Harness();
  await h.start();
  const p = await h.newPage();
  try {
    for (const shot of SHOTS) {
      for (const theme of shot.themes ?? (["light", "dark"] as ThemeName[])) {
        for (const [size, width, height] of [
          ["narrow", 320, 760],
          ["wide", 1280, 760],
        ] as const) {
          if (shot.sizes !== undefined && !shot.sizes.includes(size)) continue;
          const file = `webview-${shot.name}-${theme}-${size}.png`;
          if (!file.includes(only)) continue;
          await p.open(shot.trace, { theme, width, height });
          if (shot.until !== undefined) await p.playUntil(() => shot.until!(p));
          else await p.playAll();
          if (shot.select !== undefined) {
            const want = shot.select;
            const t = [...p.model.tasks.values()].find((x) =>
              want.startsWith("coro:") ? x.coro.includes(want.slice(5)) : x.name === want,
            );
            if (t !== undefined) await p.post({ v: VIEW_PROTOCOL_VERSION, kind: "select", id: t.id });
          }
          await p.tab(shot.tab);
          await p.page.waitForTimeout(400);
          await p.page.screenshot({ path: join(REPO, "docs", file) });
          const problems = [...p.problems.pageErrors, ...p.problems.consoleErrors, ...(await p.cspViolations())];
          console.log(`${file}${problems.length > 0 ? `  PROBLEMS: ${problems.join(" | ")}` : ""}`);
        }
      }
    }
  } finally {
    await h.stop();
  }
}

await main();
