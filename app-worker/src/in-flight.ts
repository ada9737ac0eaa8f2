/**
 * A bound on work in flight (messages and bytes) with waiters: what turns a slow sink into
 * backpressure on the SSE connection. The base of both sinks: the Pub/Sub publisher and the
 * BigQuery sink.
 */
export abstract class InFlightBound {
  private inFlightMessages = 0;
  private inFlightBytes = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    /** Reading pauses while this many items are unacknowledged. */
    private readonly maxMessages: number,
    /** Reading pauses while this many bytes are unacknowledged. */
    private readonly maxBytes: number,
  ) {}

  /** Items not yet acknowledged. */
  get messages(): number {
    return this.inFlightMessages;
  }

  /** Bytes of the items not yet acknowledged. */
  get bytes(): number {
    return this.inFlightBytes;
  }

  /** Whether a new item fits under both bounds. */
  get hasCapacity(): boolean {
    return this.inFlightMessages < this.maxMessages && this.inFlightBytes < this.maxBytes;
  }

  /** Resolves once there is room for more (immediately when there is). */
  waitForCapacity(): Promise<void> {
    if (this.hasCapacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once nothing is in flight. */
  waitForIdle(): Promise<void> {
    if (this.inFlightMessages === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** One item of `size` bytes starts. */
  protected startOne(size: number): void {
    this.inFlightMessages++;
    this.inFlightBytes += size;
  }

  /** One item of `size` bytes is done: wakes the waiters that now fit. */
  protected finishOne(size: number): void {
    this.inFlightMessages--;
    this.inFlightBytes -= size;
    if (this.waiters.length > 0 && this.hasCapacity) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    if (this.inFlightMessages === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
