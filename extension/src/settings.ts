// The `loopscope.*` settings (package.json `contributes.configuration`), read
// and bounded. No `vscode` import: `readSettings` in vscodeSettings.ts passes
// VS Code's configuration getter in, unit tests pass their own.

export interface LoopscopeSettings {
  /** Default of a configuration's `justMyCode`: stepping stays in the user's own code. */
  readonly justMyCode: boolean;
  /** How many times a second the loop view and the status bar are updated at most. */
  readonly updateRate: number;
}

export const SETTING_DEFAULTS: Readonly<LoopscopeSettings> = Object.freeze({
  justMyCode: true,
  updateRate: 30,
});

/** Bounds of `loopscope.updateRate` (package.json says the same; a unit test checks). */
export const UPDATE_RATE_MIN = 1;
export const UPDATE_RATE_MAX = 30;

export function parseSettings(get: (key: keyof LoopscopeSettings) => unknown): LoopscopeSettings {
  const justMyCode = get("justMyCode");
  const rate = get("updateRate");
  return {
    justMyCode: typeof justMyCode === "boolean" ? justMyCode : SETTING_DEFAULTS.justMyCode,
    updateRate:
      typeof rate === "number" && Number.isFinite(rate)
        ? Math.min(UPDATE_RATE_MAX, Math.max(UPDATE_RATE_MIN, rate))
        : SETTING_DEFAULTS.updateRate,
  };
}
