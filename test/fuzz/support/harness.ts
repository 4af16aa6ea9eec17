import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import type { TestTicketd } from '../../helpers/ticketd.js';

/**
 * Shared settings of the fuzz suite. Every property is seeded: the same
 * TICKETD_FUZZ_SEED gives the same requests in the same order, and a failure
 * prints the seed (and fast-check's replay path) needed to repeat it.
 */

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Base seed; each property derives its own from it and its name. */
export const FUZZ_SEED = envInt('TICKETD_FUZZ_SEED', 20_260_101);
/** Generated requests per route (docs/performance.md asks for >= 10,000 in a full run). */
/** Runs per property: TICKETD_FUZZ_RUNS; 100 (a smoke run) in `npm test`, 10,000 in `npm run test:fuzz`. */
export const FUZZ_RUNS = envInt('TICKETD_FUZZ_RUNS', 100);
/** An answer slower than this counts as a hang. */
export const ANSWER_TIMEOUT_MS = 10_000;

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export function seedOf(name: string): number {
  return (FUZZ_SEED ^ hash32(name)) | 0;
}

/**
 * Runs an async property with the suite's seed and run count. On failure the
 * error names the property, its seed and how to run it again.
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  numRuns = FUZZ_RUNS,
): Promise<void> {
  const seed = seedOf(name);
  const details = await fc.check(fc.asyncProperty(arb, predicate), { seed, numRuns, markInterruptAsFailure: true });
  if (details.failed) {
    const head =
      `fuzz property "${name}" failed: seed=${seed} (TICKETD_FUZZ_SEED=${FUZZ_SEED}, TICKETD_FUZZ_RUNS=${numRuns}).` +
      ` Re-run: TICKETD_FUZZ_SEED=${FUZZ_SEED} TICKETD_FUZZ_RUNS=${FUZZ_RUNS} npx vitest run test/fuzz`;
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    console.error(`${head}\n  replay path: ${details.counterexamplePath}\n  ${cause}`);
    throw new Error(`${head}\n${cause}\n${fc.defaultReportMessage(details)}`);
  }
}

/** A request as the generators describe it; `$LIVE<n>` in a text body stands for live ticket n. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer | undefined;
  /** Send the body as a stream (no Content-Length: the server counts while reading). */
  stream?: boolean;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The body as it was really sent (placeholders replaced). */
  sent: string | Buffer | undefined;
}

/** Requests sent per route label, printed at the end of each file. */
export const tally = new Map<string, number>();

export function count(label: string, n = 1): void {
  tally.set(label, (tally.get(label) ?? 0) + n);
}

export function printTally(file: string, startedAt: number): void {
  const secs = ((performance.now() - startedAt) / 1000).toFixed(1);
  const rows = [...tally].map(([route, n]) => `  ${route}: ${n}`).join('\n');
  console.log(`[fuzz] ${file}: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs per property, ${secs} s\n${rows}`);
}

function* chunks(b: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const LIVE = /\$LIVE(\d+)/g;

/** Sends one request and waits at most ANSWER_TIMEOUT_MS for the answer. */
export async function send(
  t: TestTicketd,
  req: FuzzRequest,
  label: string,
  live: readonly string[] = [],
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<Answer> {
  let body = req.body;
  if (typeof body === 'string' && live.length > 0) {
    body = body.replace(LIVE, (_, n: string) => live[Number(n) % live.length] as string);
  }
  const options: InjectOptions = {
    method: req.method as InjectOptions['method'],
    url: req.url,
    headers: req.headers,
  };
  if (body !== undefined) options.payload = req.stream ? Readable.from(chunks(Buffer.from(body))) : body;
  count(label);
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs} ms to ${req.method} ${req.url}`)),
      timeoutMs,
    );
  });
  try {
    const res = await Promise.race([t.server.inject(options), hang]);
    return { status: res.statusCode, headers: res.headers, body: res.body, sent: body };
  } finally {
    clearTimeout(timer);
    // inject() settles on microtasks alone; without a turn of the event loop the
    // setImmediate clean-ups of every request pile up, holding each response
    // (GET /openapi.json: ~0.6 MB apiece; 10,000 runs ran out of heap).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

/** Throws with the answer attached, so that fast-check's report shows what came back. */
export function check(cond: unknown, what: string, a: Answer): asserts cond {
  if (!cond) {
    const ct = a.headers['content-type'];
    throw new FuzzFailure(`${what}\n  got ${a.status} (${String(ct)}): ${a.body.slice(0, 600)}`);
  }
}
