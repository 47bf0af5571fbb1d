// The `loopscope.*` settings (package.json `contributes.configuration`), read
// and bounded. No `vscode` import: `readSettings` in vscodeSettings.ts passes
// VS Code's configuration getter in, unit tests pass their own.

import { RETAINED_FINISHED_TASKS, SLOW_CALLBACK_MS } from "./adapter/config";

export interface LoopscopeSettings {
  /** Default of a configuration's `justMyCode`: stepping stays in the user's own code. */
  readonly justMyCode: boolean;
  /** How many times a second the loop view and the status bar are updated at most. */
  readonly updateRate: number;
  /** Default of a configuration's `slowCallbackThreshold`: a callback holding the loop this many ms is reported as blocking it. */
  readonly slowCallbackThreshold: number;
  /** Default of a configuration's `retainedFinishedTasks`: finished tasks kept in detail before they are summarised. */
  readonly retainedFinishedTasks: number;
}

export const SETTING_DEFAULTS: Readonly<LoopscopeSettings> = Object.freeze({
  justMyCode: true,
  updateRate: 30,
  slowCallbackThreshold: SLOW_CALLBACK_MS.default,
  retainedFinishedTasks: RETAINED_FINISHED_TASKS.default,
});

/** Bounds of `loopscope.updateRate` (package.json says the same; a unit test checks). */
export const UPDATE_RATE_MIN = 1;
export const UPDATE_RATE_MAX = 30;

/** A number setting within [min, max] (rounded when `integer`), or the default when it is not a number. */
function bounded(value: unknown, min: number, max: number, fallback: number, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return fallback;
  const v = Math.min(max, Math.max(min, value));
  return integer ? Math.round(v) : v;
}

export function parseSettings(get: (key: keyof LoopscopeSettings) => unknown): LoopscopeSettings {
  const justMyCode = get("justMyCode");
  return {
    justMyCode: typeof justMyCode === "boolean" ? justMyCode : SETTING_DEFAULTS.justMyCode,
    updateRate: bounded(get("updateRate"), UPDATE_RATE_MIN, UPDATE_RATE_MAX, SETTING_DEFAULTS.updateRate),
    slowCallbackThreshold: bounded(
      get("slowCallbackThreshold"),
      SLOW_CALLBACK_MS.min,
      SLOW_CALLBACK_MS.max,
      SETTING_DEFAULTS.slowCallbackThreshold,
    ),
    retainedFinishedTasks: bounded(
      get("retainedFinishedTasks"),
      RETAINED_FINISHED_TASKS.min,
      RETAINED_FINISHED_TASKS.max,
      SETTING_DEFAULTS.retainedFinishedTasks,
      true,
    ),
  };
}
