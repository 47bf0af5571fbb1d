// The Loopscope-specific part of the Debug Adapter Protocol: custom events the
// adapter sends and custom requests it answers, on top of standard DAP. The
// extension host (extension/src/view) imports these types; nothing here
// imports `vscode`, so the adapter bundle stays free of it.
//
// Events
//   loopscope/delta    ModelDelta of the shared loop model, at most ~30 a second
//   loopscope/session  the session's phase (running, stopped, ended) and facts
// Requests
//   loopscope/snapshot    -> the whole ModelSnapshot (a mirror applies the deltas after it)
//   loopscope/cancelTask  {task, message?} -> cancels a live task in the program
//   loopscope/revealTask  {task} -> where the task is (its innermost user frame, else its creation site)
//   loopscope/taskStack   {task} -> the task's async stack, innermost frame last

import type { Frame } from "../../../protocol/index";
import type { ModelDelta, ModelSnapshot } from "../../../model/types";

export const CustomEvent = {
  delta: "loopscope/delta",
  session: "loopscope/session",
} as const;

export const CustomRequest = {
  snapshot: "loopscope/snapshot",
  cancelTask: "loopscope/cancelTask",
  revealTask: "loopscope/revealTask",
  taskStack: "loopscope/taskStack",
} as const;

/** Body of `loopscope/delta`. */
export interface DeltaEventBody {
  readonly delta: ModelDelta;
}

export type SessionPhase = "starting" | "running" | "stopped" | "ended";

/** Body of `loopscope/session`, sent when the phase changes. */
export interface SessionEventBody {
  readonly phase: SessionPhase;
  /** "launch" or "attach". */
  readonly request: "launch" | "attach";
  /** The program, module or host:port, for labels. */
  readonly label: string;
  readonly python: string | null;
  readonly pid: number | null;
  /** The program's exit code once it ended (null for a detach or when unknown). */
  readonly exitCode: number | null;
  /** The runtime can still be asked things (cancel a task, stacks). */
  readonly connected: boolean;
}

export interface SnapshotResponseBody {
  readonly snapshot: ModelSnapshot;
}

export interface CancelTaskArguments {
  readonly task: number;
  readonly message?: string;
}

export interface RevealTaskArguments {
  readonly task: number;
}

export interface RevealTaskResponseBody {
  readonly file: string;
  readonly line: number;
  readonly func: string;
  /** "frame": where the live task is now; "site": where it was created (finished tasks). */
  readonly from: "frame" | "site";
}

export interface TaskStackArguments {
  readonly task: number;
}

export interface TaskStackResponseBody {
  readonly task: number;
  /** Innermost frame last, as Python prints a traceback. */
  readonly frames: Frame[];
}
