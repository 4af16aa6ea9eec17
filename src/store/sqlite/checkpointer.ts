import { Worker } from 'node:worker_threads';
import { type SqliteDriverName, workerOpenSource } from './driver.js';

/**
 * Copies the WAL back into the database file on a thread of its own.
 *
 * Left to SQLite, the connection that commits runs the checkpoint itself
 * whenever the WAL passes `wal_autocheckpoint` pages: it reads every frame
 * back, writes each page into the database file and fsyncs both files, all
 * on the event loop, stalling every request for milliseconds. Here a second
 * connection on a worker thread runs PASSIVE checkpoints (they never block
 * readers or writers) every `intervalMs`, and the serving connection's own
 * automatic checkpoint is only a backstop for when this thread falls behind.
 * A page written many times between two runs is copied once.
 *
 * The worker's code is a plain CommonJS string, so it runs the same from the
 * compiled `dist/` and from TypeScript sources under a test runner.
 */
const workerSource = (driver: SqliteDriverName) => `
const { parentPort, workerData } = require('node:worker_threads');
${workerOpenSource(driver)}
const db = open(workerData.path);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or briefly unreadable: the next run (or the backstop) catches up.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs: number, driver: SqliteDriverName) {
    this.worker = new Worker(workerSource(driver), { eval: true, workerData: { path, intervalMs } });
    // A failing checkpointer must not take the server down: the backstop goes on checkpointing.
    this.worker.on('error', () => {});
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Stops the thread after the run in progress, if any. */
  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.exited;
  }
}
