import { expect } from 'vitest';
import { postJson, type TicketdProcess } from './process.js';

/** "status/code × count, ..." of a batch of answers, for failure messages. */
export function tally(results: { status: number; body: Record<string, unknown> }[]): string {
  const counts = new Map<string, number>();
  for (const r of results) {
    const key = `${r.status}/${String(r.body.code ?? '-')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} × ${n}`).join(', ');
}

/**
 * One round of docs/performance.md's exactly-once race: a ticket of `uses` uses is
 * created on one instance, then `requests` uses of it are sent at once,
 * spread over every instance. Exactly `uses` succeed, with every count from
 * uses-1 down to 0 once; every other answer is 404/102011.
 */
export async function raceUses(
  instances: TicketdProcess[],
  uses: number,
  requests: number,
  round: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const at = (i: number, path: string) => `${(instances[i % instances.length] as TicketdProcess).url}${path}`;
  const created = await postJson(at(round, '/v1/tickets'), { uses }, headers);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const results = await Promise.all(
    Array.from({ length: requests }, (_, i) =>
      postJson(at(i, '/v1/tickets/use'), { ticket: created.body.ticket }, headers),
    ),
  );
  const ok = results.filter((r) => r.status === 200);
  expect(ok.length, `round ${round} (uses ${uses}): ${tally(results)}`).toBe(uses);
  expect(ok.map((r) => r.body.uses as number).sort((a, b) => a - b)).toEqual(Array.from({ length: uses }, (_, i) => i));
  expect(
    results.filter((r) => r.status !== 200).every((r) => r.body.code === 102011),
    tally(results),
  ).toBe(true);
}
