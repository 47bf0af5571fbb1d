// When the adapter may send the next loopscope/delta.
//
// At most DELTA_RATE deltas a second (the view renders no faster), and a
// delta costs in proportion to what changed since the last one: with 20,000
// busy tasks, taking one is ~3 ms and its JSON ~15-30 ms. So the gap after a
// delta is also at least `1 / budget` times what that delta cost, so that
// deltas take about that share of the adapter's time, and the rest goes to
// reading the runtime's stream. Up to MAX_GAP_MS: a longer gap makes a bigger
// delta (the timeline's run slices pile up in proportion to it), which would
// lengthen the gap again; and the view should not lag further behind. A quiet
// program's deltas cost well under a millisecond: for it the gap stays
// 1 / DELTA_RATE.

/** At most this many deltas a second reach the client. */
export const DELTA_RATE = 30;
const MIN_GAP_MS = Math.ceil(1000 / DELTA_RATE);
/** Share of the adapter's time deltas may take. */
const BUDGET = 0.25;
/** At least 10 deltas a second however costly. */
const MAX_GAP_MS = 100;

export class DeltaPacer {
  private lastAt = -Infinity;
  private gapMs = MIN_GAP_MS;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Milliseconds to wait before the next delta may go (0: now). */
  wait(): number {
    return Math.max(0, this.lastAt + this.gapMs - this.now());
  }

  /** Wraps taking and sending one delta; returns what fn returns. */
  send<T>(fn: () => T): T {
    const start = this.now();
    this.lastAt = start;
    try {
      return fn();
    } finally {
      this.gapMs = Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, (this.now() - start) / BUDGET));
    }
  }
}
