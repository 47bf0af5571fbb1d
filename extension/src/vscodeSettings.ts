// The `loopscope.*` settings as VS Code holds them (see settings.ts).

import * as vscode from "vscode";
import { parseSettings, type LoopscopeSettings } from "./settings";

export function readSettings(scope?: vscode.ConfigurationScope): LoopscopeSettings {
  const c = vscode.workspace.getConfiguration("loopscope", scope);
  return parseSettings((key) => c.get<unknown>(key));
}
