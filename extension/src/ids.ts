// Names package.json contributes and the extension registers (no `vscode`
// import, so test/unit/contributions.test.ts can compare the two).

export const COMMANDS = {
  debugCurrentFile: "loopscope.debugCurrentFile",
  openLoopView: "loopscope.openLoopView",
  openTrace: "loopscope.openTrace",
  pauseLoop: "loopscope.pauseLoop",
  resumeLoop: "loopscope.resumeLoop",
  cancelTask: "loopscope.cancelTask",
  revealTask: "loopscope.revealTask",
} as const;

/** The sidebar's webview view, in the "loopscope" activity bar container. */
export const VIEW_ID = "loopscope.loopView";
/** The editor tab of "Open loop view in editor". */
export const PANEL_TYPE = "loopscope.loopPanel";
