// Loopscope debug sessions as the loop views see them: each one becomes a
// source of the LoopHub, its `loopscope/delta` and `loopscope/session` events
// feed it, its custom requests answer the views, and the context keys that
// menus use follow it.

import * as vscode from "vscode";
import type { Frame } from "../../../protocol/index";
import type { ModelSnapshot } from "../../../model/index";
import {
  CustomEvent,
  CustomRequest,
  type DeltaEventBody,
  type RevealTaskResponseBody,
  type SessionEventBody,
  type SnapshotResponseBody,
  type TaskStackResponseBody,
} from "../adapter/customProtocol";
import type { LiveSession, LoopHub } from "../view/loopHub";
import { DEBUG_TYPE } from "./configurations";
import { sessionLabelOf } from "./labels";

function liveSession(session: vscode.DebugSession): LiveSession {
  return {
    snapshot: async (): Promise<ModelSnapshot> => {
      const body = (await session.customRequest(CustomRequest.snapshot)) as SnapshotResponseBody;
      return body.snapshot;
    },
    cancelTask: async (task: number): Promise<void> => {
      await session.customRequest(CustomRequest.cancelTask, { task, message: "cancelled from Loopscope" });
    },
    taskStack: async (task: number): Promise<Frame[]> => {
      const body = (await session.customRequest(CustomRequest.taskStack, { task })) as TaskStackResponseBody;
      return body.frames;
    },
    revealTask: async (task: number): Promise<{ file: string; line: number }> => {
      const body = (await session.customRequest(CustomRequest.revealTask, { task })) as RevealTaskResponseBody;
      return { file: body.file, line: body.line };
    },
  };
}

export type SessionState = "none" | "running" | "stopped" | "ended";

export function registerSessions(context: vscode.ExtensionContext, hub: LoopHub): void {
  // Context keys for menus and enablement; set only when they change (the hub changes up to ~30 times a second).
  let lastState: SessionState | null = null;
  let lastHasSource: boolean | null = null;
  const setState = (): void => {
    const cur = hub.current;
    let state: SessionState = "none";
    if (cur !== null && cur.kind === "live")
      state = cur.ended ? "ended" : cur.phase === "stopped" ? "stopped" : "running";
    if (state !== lastState) {
      lastState = state;
      void vscode.commands.executeCommand("setContext", "loopscope.sessionState", state);
    }
    if ((cur !== null) !== lastHasSource) {
      lastHasSource = cur !== null;
      void vscode.commands.executeCommand("setContext", "loopscope.hasSource", lastHasSource);
    }
  };
  hub.onDidChange(setState);
  setState();

  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((s) => {
      if (s.type !== DEBUG_TYPE) return;
      const kept = (s.configuration as { retainedFinishedTasks?: unknown }).retainedFinishedTasks;
      hub.addLive(
        s.id,
        sessionLabelOf(s.configuration),
        liveSession(s),
        Number.isInteger(kept) && (kept as number) >= 0 ? { finishedTaskRetention: kept as number } : {},
      );
    }),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE) return;
      if (e.event === CustomEvent.delta) {
        const body = e.body as DeltaEventBody | undefined;
        if (body?.delta !== undefined) hub.delta(e.session.id, body.delta);
      } else if (e.event === CustomEvent.session) {
        const body = e.body as SessionEventBody | undefined;
        if (body !== undefined) hub.session(e.session.id, body);
      }
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.type === DEBUG_TYPE) hub.endLive(s.id);
    }),
    vscode.debug.onDidChangeActiveDebugSession((s) => {
      if (s !== undefined && s.type === DEBUG_TYPE) hub.makeCurrent(s.id);
    }),
  );
}
