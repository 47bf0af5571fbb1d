// Words the extension shows about a session (no `vscode` import: unit-tested).

/** What a debug configuration runs, for the view's and the panel's titles: the program's file name, the module or host:port. */
export function sessionLabelOf(config: {
  readonly request?: unknown;
  readonly name?: unknown;
  readonly program?: unknown;
  readonly module?: unknown;
  readonly host?: unknown;
  readonly port?: unknown;
}): string {
  // The file's name: the view's summary bar is narrow, and the path's start says least.
  if (typeof config.program === "string" && config.program !== "")
    return config.program.split(/[\\/]/).pop() || config.program;
  if (typeof config.module === "string" && config.module !== "") return `-m ${config.module}`;
  if (config.request === "attach") {
    const host = typeof config.host === "string" ? config.host : "127.0.0.1";
    const port = typeof config.port === "number" ? String(config.port) : "?";
    return `${host}:${port}`;
  }
  return typeof config.name === "string" ? config.name : "Loopscope";
}

/** The Debug Console's line when a launched program ends. */
export function exitLine(code: number): string {
  return `The program exited with code ${code}.`;
}
