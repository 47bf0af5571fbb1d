// Launch and attach configurations as the extension makes and completes them
// before VS Code hands them to the debug adapter. No `vscode` import: the
// configuration provider (configurationProvider.ts) wraps these, and unit
// tests call them directly. The attribute types are the adapter's own
// (adapter/config.ts); package.json documents the same attributes and
// test/unit/contributions.test.ts keeps the two in step.

import type { AttachConfig, LaunchConfig } from "../adapter/config";

export const DEBUG_TYPE = "loopscope";

/** What VS Code passes around: the adapter's attributes plus the three every configuration has. */
export type LoopscopeLaunch = LaunchConfig & { type: string; request: "launch"; name: string };
export type LoopscopeAttach = AttachConfig & { type: string; request: "attach"; name: string };
export type LoopscopeConfiguration = LoopscopeLaunch | LoopscopeAttach;

/** The user's `loopscope.*` settings that shape a configuration (each fills the attribute of the same name). */
export interface ConfigurationDefaults {
  readonly justMyCode: boolean;
  readonly slowCallbackThreshold?: number;
  readonly retainedFinishedTasks?: number;
}

/** Sets each attribute the configuration leaves out to the settings' value. */
function fillDefaults(config: LoopscopeConfiguration, defaults: ConfigurationDefaults): void {
  if (config.justMyCode === undefined) config.justMyCode = defaults.justMyCode;
  if (config.slowCallbackThreshold === undefined && defaults.slowCallbackThreshold !== undefined)
    config.slowCallbackThreshold = defaults.slowCallbackThreshold;
  if (config.retainedFinishedTasks === undefined && defaults.retainedFinishedTasks !== undefined)
    config.retainedFinishedTasks = defaults.retainedFinishedTasks;
}

/** The configuration F5 and "Debug current file" use for one Python file. */
export function launchForFile(file: string): LoopscopeLaunch {
  return {
    type: DEBUG_TYPE,
    request: "launch",
    name: `Loopscope: ${baseName(file)}`,
    program: file,
  };
}

/** What a new launch.json gets (package.json's `initialConfigurations` says the same). */
export function initialConfigurations(): LoopscopeConfiguration[] {
  return [
    {
      type: DEBUG_TYPE,
      request: "launch",
      name: "Loopscope: current file",
      program: "${file}",
    },
  ];
}

/** A configuration with nothing in it: VS Code's F5 with no launch.json. */
export function isEmptyConfiguration(raw: Readonly<Record<string, unknown>>): boolean {
  return raw["type"] === undefined && raw["request"] === undefined && raw["name"] === undefined;
}

export type Completed = { ok: true; config: LoopscopeConfiguration } | { ok: false; error: string };

/**
 * Fills what the user left out: the request kind's defaults and the settings.
 * Does not look for an interpreter (that needs the machine: see python/).
 */
export function completeConfiguration(
  raw: Readonly<Record<string, unknown>>,
  defaults: ConfigurationDefaults,
): Completed {
  const request = raw["request"];
  if (request !== "launch" && request !== "attach") {
    return {
      ok: false,
      error: `A Loopscope configuration needs "request": "launch" or "attach" (it has ${JSON.stringify(request ?? null)}).`,
    };
  }
  const name = typeof raw["name"] === "string" && raw["name"] !== "" ? raw["name"] : `Loopscope ${request}`;
  if (request === "attach") {
    const config = { ...raw, type: DEBUG_TYPE, request, name } as LoopscopeAttach;
    if (config.host === undefined) config.host = "127.0.0.1";
    fillDefaults(config, defaults);
    return { ok: true, config };
  }
  const config = { ...raw, type: DEBUG_TYPE, request, name } as LoopscopeLaunch;
  fillDefaults(config, defaults);
  if (config.args === undefined) config.args = [];
  return { ok: true, config };
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
