import { StoreUnavailableError } from '../types.js';

/**
 * Calls made in one turn of the event loop, sent as one statement: one
 * round trip and one commit for all of them, as the SQLite store's group
 * commit does (docs/performance.md). Each call still resolves with its own
 * result, once that one statement has committed. At most `inFlight`
 * statements of one batcher run at once: calls made meanwhile wait for the
 * next, which grows with the load instead of the number of statements.
 *
 * A batch that fails as a whole for a reason of one of its items (a tenant
 * deleted meanwhile) is run again item by item, so that only that item
 * fails; when the store is out of reach every item fails with it at once.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private running = 0;

  constructor(
    /** Runs several items in one statement; answers in their order. */
    private readonly many: (items: I[]) => Promise<O[]>,
    /** Runs one item alone. */
    private readonly one: (item: I) => Promise<O>,
    /** Items per statement at most. */
    private readonly max = 500,
    /**
     * Statements of this batcher running at once at most. One measured best
     * (docs/performance.md): while it runs, the next batch grows, and fewer,
     * larger statements cost PostgreSQL and the driver less per call.
     */
    private readonly inFlight = 1,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every request read in it joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.running < this.inFlight) {
      const part = this.queue.splice(0, this.max);
      this.running += 1;
      this.send(part).finally(() => {
        this.running -= 1;
        // What came in while every statement ran goes now, as one.
        if (this.queue.length > 0 && !this.scheduled) this.flush();
      });
    }
  }

  private async send(part: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[]): Promise<void> {
    if (part.length === 1) {
      const [p] = part as [(typeof part)[number]];
      await this.one(p.item).then(p.resolve, p.reject);
      return;
    }
    try {
      const results = await this.many(part.map((p) => p.item));
      for (const [k, p] of part.entries()) p.resolve(results[k] as O);
    } catch (err) {
      if (err instanceof StoreUnavailableError) for (const p of part) p.reject(err);
      else await Promise.all(part.map((p) => this.one(p.item).then(p.resolve, p.reject)));
    }
  }
}
