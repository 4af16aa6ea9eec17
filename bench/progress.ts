/** What the benchmark says while it runs: lines on stderr, and on a terminal a status line that the next one overwrites. */

const tty = process.stderr.isTTY === true;
let statusLine = false;

export function progress(message: string): void {
  clearStatus();
  process.stderr.write(`[bench] ${message}\n`);
}

/** A line that the next one overwrites (only on a terminal). */
export function status(message: string): void {
  if (!tty) return;
  process.stderr.write(`\r\x1b[K[bench] ${message}`);
  statusLine = true;
}

export function clearStatus(): void {
  if (statusLine) process.stderr.write('\r\x1b[K');
  statusLine = false;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
export const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
