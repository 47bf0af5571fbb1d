// The loop model: one reducer from protocol events to the state every view
// renders. Import the model from here.

export {
  LoopModel,
  type FutureRecord,
  type LoopRecord,
  type QueueRecord,
  type SyncRecord,
  type TaskRecord,
} from "./loopModel";
export { ModelMirror, ModelVersionError } from "./mirror";
export { parseTrace, TraceError, type TraceOptions, type TraceResult } from "./trace";
export { Timeline, taskMarkers, type MarkedTask, type MarkerType, type TimelineMarker } from "./timeline";
export {
  awaitGraph,
  deadlockCycles,
  type AwaitGraph,
  type AwaitGraphOptions,
  type DeadlockCycle,
  type FutureLike,
  type GraphEdge,
  type GraphEdgeType,
  type GraphNode,
  type GraphNodeType,
  type ModelReader,
  type QueueLike,
  type SyncLike,
  type TaskLike,
} from "./graph";
export * from "./types";
