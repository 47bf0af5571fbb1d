// Entry of dist/debugAdapter.js: the Loopscope debug adapter speaking DAP over
// stdin/stdout, for VS Code (package.json's debuggers contribution) and any
// other DAP client (nvim-dap, dap-mode): `node dist/debugAdapter.js`.

import { DebugSession } from "@vscode/debugadapter";
import { LoopscopeSession } from "./session";

DebugSession.run(LoopscopeSession);
