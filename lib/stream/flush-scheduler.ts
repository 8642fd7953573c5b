/** Something whose pending writes are flushed in one go. */
export interface Flushable {
  flush(): void;
}

/**
 * Collects the connections written to during one turn of the event loop and
 * flushes each once, in one `setImmediate` for all of them: every frame a
 * connection got in that turn goes out in one socket write.
 */
export class FlushScheduler {
  private queue: Flushable[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  schedule(target: Flushable): void {
    this.queue.push(target);
    this.scheduled ??= setImmediate(this.run);
  }

  /** Flushes everything queued now. */
  readonly run = (): void => {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length; i++) queue[i].flush();
  };
}
