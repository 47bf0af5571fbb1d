// F5 with no launch.json, the launch.json a user creates, and the finishing
// touches on every Loopscope configuration before it starts: the settings'
// defaults and the Python interpreter (checked here, so a missing or too-old
// Python is one clear message with buttons that fix it).

import * as vscode from "vscode";
import { activeInterpreterFromPythonExtension, pythonExtensionInstalled } from "../python/pythonExtension";
import { InterpreterError, resolveInterpreter } from "../python/interpreter";
import { readSettings } from "../vscodeSettings";
import {
  completeConfiguration,
  DEBUG_TYPE,
  initialConfigurations,
  isEmptyConfiguration,
  launchForFile,
} from "./configurations";

export class LoopscopeConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return initialConfigurations();
  }

  /** Before variables like ${file} are substituted: fill an empty configuration from the active Python file. */
  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (isEmptyConfiguration(config)) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc === undefined || doc.languageId !== "python" || doc.uri.scheme !== "file") {
        void vscode.window.showInformationMessage(
          "Loopscope: open a Python file to debug it, or add a Loopscope configuration to launch.json.",
        );
        return undefined;
      }
      return launchForFile(doc.uri.fsPath);
    }
    const done = completeConfiguration(config, readSettings());
    if (!done.ok) {
      void vscode.window.showErrorMessage(`Loopscope: ${done.error}`);
      return undefined;
    }
    return done.config;
  }

  /** After substitution: the interpreter, looked up and checked. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | null | undefined> {
    if (config.request !== "launch") return config;
    const done = completeConfiguration(config, readSettings());
    if (!done.ok || done.config.request !== "launch") return config;
    const launch = done.config;
    const program = typeof launch.program === "string" ? launch.program : undefined;
    const resource = program !== undefined ? vscode.Uri.file(program) : folder?.uri;
    try {
      const found = await resolveInterpreter({
        configured: launch.python,
        fromPythonExtension: () => activeInterpreterFromPythonExtension(resource),
      });
      this.log.info(`Python ${found.info.version} at ${found.path} (from the ${found.source})`);
      return { ...launch, python: found.path };
    } catch (err) {
      if (!(err instanceof InterpreterError)) throw err;
      this.log.error(`${err.message} Fix: ${err.fix}`);
      return await explainInterpreterProblem(err);
    }
  }
}

/** Shows the problem with the buttons that fix it. undefined aborts the launch; null opens launch.json. */
async function explainInterpreterProblem(err: InterpreterError): Promise<null | undefined> {
  const selectInterpreter = "Select Interpreter";
  const openLaunchJson = "Open launch.json";
  const getPython = "Get Python";
  const buttons: string[] = [];
  if (pythonExtensionInstalled() && err.source !== "launch configuration") buttons.push(selectInterpreter);
  buttons.push(openLaunchJson);
  if (err.problem !== "unusable" || err.source === "PATH") buttons.push(getPython);
  // A notification shows no `detail`: the fix goes in the message itself.
  const choice = await vscode.window.showErrorMessage(`Loopscope: ${err.message} ${err.fix}`, ...buttons);
  if (choice === selectInterpreter) await vscode.commands.executeCommand("python.setInterpreter");
  else if (choice === getPython) await vscode.env.openExternal(vscode.Uri.parse("https://www.python.org/downloads/"));
  else if (choice === openLaunchJson) return null;
  return undefined;
}

export function registerConfigurationProviders(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const provider = new LoopscopeConfigurationProvider(log);
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      {
        provideDebugConfigurations: (folder) => dynamicConfigurations(folder),
      },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
  );
}

/** The "Loopscope" entry of Run and Debug's dropdown: the Python files open in editors. */
function dynamicConfigurations(_folder: vscode.WorkspaceFolder | undefined): vscode.DebugConfiguration[] {
  const seen = new Set<string>();
  const out: vscode.DebugConfiguration[] = [];
  for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
    const input = tab.input;
    if (!(input instanceof vscode.TabInputText) || input.uri.scheme !== "file") continue;
    if (!input.uri.fsPath.endsWith(".py") || seen.has(input.uri.fsPath)) continue;
    seen.add(input.uri.fsPath);
    out.push(launchForFile(input.uri.fsPath));
  }
  return out;
}
