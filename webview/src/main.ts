// The Loopscope webview: summary bar, tabs (tasks, await graph, queues,
// timeline) and the details pane, all linked by one selection. It talks to
// the extension through the messages of model/viewProtocol.ts: `ready` on
// load, then the full state and deltas, which a ModelMirror applies.

import "@vscode/codicons/dist/codicon.css";
import "./style.css";
import { VIEW_PROTOCOL_VERSION } from "../../model/viewProtocol";
import { button, el, icon } from "./dom";
import { taskLabel } from "./format";
import { Store, TABS, type Changes, type HostApi, type Tab } from "./store";
import { DetailsView } from "./views/details";
import { GraphView } from "./views/graph";
import { QueuesView } from "./views/queues";
import { SummaryView } from "./views/summary";
import { TaskTable } from "./views/tasks";
import { TimelineView } from "./views/timeline";

declare function acquireVsCodeApi(): HostApi;

const TAB_TITLES: Record<Tab, string> = { tasks: "Tasks", graph: "Graph", queues: "Queues", timeline: "Timeline" };

interface TabView {
  readonly el: HTMLElement;
  setVisible(v: boolean): void;
}

function start(): void {
  const host = acquireVsCodeApi();
  const store = new Store(host);
  const summary = new SummaryView(store);
  const tasks = new TaskTable(store);
  const graph = new GraphView(store);
  const queues = new QueuesView(store);
  const timeline = new TimelineView(store);
  const details = new DetailsView(store);
  const views: Record<Tab, TabView> = { tasks, graph, queues, timeline };

  const banner = el("div", { cls: "banner", attrs: { role: "alert", "data-testid": "banner" } });
  banner.hidden = true;
  banner.addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>("[data-select]");
    if (b === null) return;
    store.select(Number(b.dataset.select));
    store.setUi({ tab: "graph" });
  });

  const tabButtons = new Map<Tab, HTMLButtonElement>();
  const tablist = el("nav", { cls: "tabs", attrs: { role: "tablist", "aria-label": "Loop views" } });
  for (const t of TABS) {
    const b = button(TAB_TITLES[t], () => store.setUi({ tab: t }), {
      cls: "tab",
      attrs: { role: "tab", id: `tab-${t}`, "aria-controls": `panel-${t}`, "data-tab": t },
    });
    tabButtons.set(t, b);
    tablist.appendChild(b);
  }
  tablist.addEventListener("keydown", (e) => {
    const i = TABS.indexOf(store.ui.tab);
    let next: Tab | undefined;
    if (e.key === "ArrowRight") next = TABS[(i + 1) % TABS.length];
    else if (e.key === "ArrowLeft") next = TABS[(i + TABS.length - 1) % TABS.length];
    else if (e.key === "Home") next = TABS[0];
    else if (e.key === "End") next = TABS[TABS.length - 1];
    if (next === undefined) return;
    e.preventDefault();
    store.setUi({ tab: next });
    tabButtons.get(next)!.focus();
  });
  const panels = el("div", { cls: "panels" });
  for (const t of TABS) {
    const p = el(
      "div",
      { cls: "panel", attrs: { role: "tabpanel", id: `panel-${t}`, "aria-labelledby": `tab-${t}` } },
      views[t].el,
    );
    panels.appendChild(p);
  }

  const root = el(
    "div",
    { cls: "root", attrs: { "data-testid": "root" } },
    summary.el,
    banner,
    el("div", { cls: "main" }, el("div", { cls: "tabs-area" }, tablist, panels), details.el),
  );
  document.body.appendChild(root);

  let shownTab: Tab | null = null;
  const showTab = (): void => {
    const tab = store.ui.tab;
    if (tab === shownTab) return;
    shownTab = tab;
    for (const t of TABS) {
      const on = t === tab;
      const b = tabButtons.get(t)!;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      const panel = views[t].el.parentElement!;
      panel.hidden = !on;
    }
    for (const t of TABS) views[t].setVisible(t === tab);
  };

  const renderBanner = (): void => {
    const m = store.mirror;
    const parts: HTMLElement[] = [];
    if (store.problem !== null) parts.push(el("span", { text: store.problem }));
    if (m !== null) {
      if (m.meta.runtimeError !== null) {
        parts.push(
          el("span", {}, icon("error"), el("span", { text: `The tracer stopped: ${m.meta.runtimeError.message}` })),
        );
      }
      for (const c of store.deadlocks()) {
        const line = el("span", { cls: "deadlock-line" }, icon("warning"), el("strong", { text: "Deadlock: " }));
        const ids = [...c.tasks, c.tasks[0]!];
        ids.forEach((id, i) => {
          const t = m.tasks.get(id);
          if (i > 0) line.append(el("span", { text: " → " }));
          line.append(
            el("button", {
              cls: "ref st-pending",
              text: t === undefined ? `#${id}` : taskLabel(t),
              attrs: { "data-select": String(id), type: "button" },
            }),
          );
        });
        line.append(el("span", { cls: "muted", text: " wait for each other" }));
        parts.push(line);
      }
    }
    banner.replaceChildren(...parts);
    banner.hidden = parts.length === 0;
  };

  store.subscribe((c: Changes) => {
    if (c.ui) showTab();
    if (c.data || c.session) renderBanner();
    if (c.selection && store.ui.tab === "tasks") tasks.revealSelected();
    root.dataset.deltaSeq = String(store.mirror?.deltaSeq ?? -1);
    root.dataset.dataVersion = String(store.dataVersion);
    root.dataset.selected = String(store.selected ?? "");
  });
  showTab();

  window.addEventListener("message", (ev: MessageEvent<unknown>) => store.receive(ev.data));
  store.post({ v: VIEW_PROTOCOL_VERSION, kind: "ready" });
  // Timing of the last update, for the benchmark (bench/webview-bench.mjs reads these).
  store.subscribe(() => {
    queueMicrotask(() => {
      root.dataset.applyMs = store.lastApplyMs.toFixed(2);
      root.dataset.renderMs = store.lastRenderMs.toFixed(2);
    });
  });
}

start();
