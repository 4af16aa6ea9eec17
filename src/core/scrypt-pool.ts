import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * scrypt on a few threads of ticketd's own, never on the event loop.
 *
 * Node's `crypto.scrypt` runs on libuv's pool of four threads, which also
 * serves file writes (the request log): four hashes at once held every
 * thread, and each thread's malloc arena kept its 16 MiB of scrypt memory
 * after the hash was done (75 MB more RSS at 20 logins a second). Here at
 * most `size` hashes run at once, the rest wait in order, and the memory
 * they keep is bounded by `size`.
 *
 * The threads start with the first hash. An idle thread does not keep the
 * process alive; a busy one does, so that a short-lived command (`ticketd
 * admin profile create`) waits for its hash. The worker's code is a plain
 * CommonJS string, so it runs the same from `dist/` and from sources.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ password, salt, keylen, options }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keylen, options);
    parentPort.postMessage({ key }, [key.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
`;

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keylen: number;
  options: { N: number; r: number; p: number; maxmem: number };
}

interface Pending {
  job: ScryptJob;
  resolve: (key: Buffer) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  busy: Pending | undefined;
}

/**
 * One thread for every two cores, at most four: a thread's isolate and the
 * scrypt memory its malloc arena keeps cost about 28 MB, and at 35 ms a hash
 * one thread does about 28 logins a second.
 */
export const DEFAULT_SCRYPT_THREADS = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));

/** Hashes one group (a tenant) may have waiting; past it, its next one is refused. */
export const GROUP_QUEUE_LIMIT = 64;
/** Hashes all groups together may have waiting. */
export const TOTAL_QUEUE_LIMIT = 512;

/** The pool's queue is full: the caller answers 503 with Retry-After. */
export class PoolBusyError extends Error {
  override readonly name = 'PoolBusyError';
  constructor(readonly retryAfterSeconds: number) {
    super('too many password hashes waiting');
  }
}

export class ScryptPool {
  private readonly threads: Thread[] = [];
  /** Waiting hashes by group, groups in the order they are served next (a served group goes to the back). */
  private readonly queues = new Map<string, Pending[]>();
  private waiting = 0;

  constructor(
    private readonly size = DEFAULT_SCRYPT_THREADS,
    private readonly limits = { group: GROUP_QUEUE_LIMIT, total: TOTAL_QUEUE_LIMIT },
  ) {}

  /**
   * Derives on a thread of the pool. Groups are served in turn, one hash of
   * each, so a group flooding the pool delays another by at most one round;
   * past its share of the queue, or the queue's total, a hash is refused at
   * once (PoolBusyError) rather than made to wait without bound.
   */
  derive(job: ScryptJob, group = ''): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(group) ?? [];
      if (queue.length >= this.limits.group || this.waiting >= this.limits.total) {
        reject(new PoolBusyError(1 + Math.ceil(((this.waiting / this.size) * 50) / 1000)));
        return;
      }
      queue.push({ job, resolve, reject });
      if (!this.queues.has(group)) this.queues.set(group, queue);
      this.waiting += 1;
      this.dispatch();
    });
  }

  /** Stops every thread; hashes still waiting or running fail. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    const closed = new Error('scrypt pool closed');
    for (const queue of this.queues.values()) for (const p of queue) p.reject(closed);
    this.queues.clear();
    this.waiting = 0;
    for (const t of threads) t.busy?.reject(closed);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** The next hash to run: the first of the group whose turn it is; that group goes to the back. */
  private next(): Pending | undefined {
    for (const [group, queue] of this.queues) {
      const pending = queue.shift();
      this.queues.delete(group);
      if (queue.length > 0) this.queues.set(group, queue);
      if (pending) {
        this.waiting -= 1;
        return pending;
      }
    }
    return undefined;
  }

  private dispatch(): void {
    while (this.waiting > 0) {
      const thread = this.threads.find((t) => !t.busy) ?? this.spawn();
      if (!thread) return;
      const pending = this.next() as Pending;
      thread.busy = pending;
      thread.worker.ref();
      // One hash per thread at a time: its answer is for the job it holds, so the messages need no id.
      thread.worker.postMessage(pending.job);
    }
  }

  private spawn(): Thread | undefined {
    if (this.threads.length >= this.size) return undefined;
    const thread: Thread = { worker: new Worker(WORKER_SOURCE, { eval: true }), busy: undefined };
    const settle = (outcome: { key?: Uint8Array; error?: string }) => {
      const pending = thread.busy;
      thread.busy = undefined;
      thread.worker.unref();
      if (pending) {
        if (outcome.key) pending.resolve(Buffer.from(outcome.key.buffer, outcome.key.byteOffset, outcome.key.length));
        else pending.reject(new Error(outcome.error ?? 'scrypt failed'));
      }
      this.dispatch();
    };
    thread.worker.on('message', settle);
    // A thread that died fails its hash and leaves the pool; the next hash starts another.
    thread.worker.on('error', (err) => {
      this.threads.splice(this.threads.indexOf(thread), 1);
      settle({ error: err.message });
    });
    thread.worker.unref();
    this.threads.push(thread);
    return thread;
  }
}
