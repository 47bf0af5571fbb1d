// How VS Code runs the Loopscope debug adapter: dist/debugAdapter.js in a
// Node process of its own (the extension host's own runtime: Electron run as
// Node in desktop VS Code, Node itself in code-server and remote servers), so
// folding a busy program's events never slows the editor down. The adapter
// finds the Python runtime in runtime/ next to dist/.

import * as vscode from "vscode";

export class LoopscopeAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(
    private readonly adapterPath: string,
    private readonly runtimeDir: string,
  ) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterExecutable(process.execPath, [this.adapterPath], {
      env: { ELECTRON_RUN_AS_NODE: "1", LOOPSCOPE_RUNTIME_DIR: this.runtimeDir },
    });
  }
}
