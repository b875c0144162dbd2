// A per-peer budget of log lines: a peer that floods the broker with bad or
// refused frames must not flood its log too. It only decides what is printed;
// the stats still count every frame.

/** Lines a peer may cause per interval before the rest are held back. */
export const LOG_BURST = 10;
export const LOG_INTERVAL_MS = 1000;

export class LogLimit {
  private start = -Infinity;
  private used = 0;
  private held = 0;

  /** Whether one more line may be printed now; a line that may not is counted as held back. */
  take(now = Date.now()): boolean {
    if (now - this.start >= LOG_INTERVAL_MS) {
      this.start = now;
      this.used = 0;
    }
    if (this.used < LOG_BURST) {
      this.used++;
      return true;
    }
    this.held++;
    return false;
  }

  /**
   * The number of lines held back, for one summary line, once their interval
   * has ended (or at once with `now` = Infinity, for a peer that leaves); 0
   * otherwise. Counts each held line once.
   */
  takeHeld(now = Date.now()): number {
    if (this.held === 0 || now - this.start < LOG_INTERVAL_MS) return 0;
    const n = this.held;
    this.held = 0;
    return n;
  }
}
