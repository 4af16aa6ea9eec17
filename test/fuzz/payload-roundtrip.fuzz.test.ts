import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RoundTrip, roundTrip } from './support/arbitraries.js';
import { check, FUZZ_RUNS, fuzz, printTally, send } from './support/harness.js';
import { errorLines, type FuzzTarget, startTarget } from './support/instances.js';
import { checkEnvelope } from './support/oracle.js';

/**
 * A payload comes back from use exactly as it was sent, compacted: numbers,
 * escapes and key order as written, only insignificant white space removed;
 * whatever else the create body holds (other fields, decoy "payload" keys
 * inside them, an earlier "payload" the last one replaces, an escaped key).
 */

const startedAt = performance.now();
let target: FuzzTarget;

beforeAll(async () => {
  target = await startTarget(false, 0);
});

afterAll(async () => {
  printTally('payload-roundtrip.fuzz', startedAt);
  await target?.t.stop();
});

async function roundTripOnce(rt: RoundTrip): Promise<void> {
  const { t } = target;
  const created = await send(t, { method: 'POST', url: '/v1/tickets', headers: {}, body: rt.body }, 'POST /v1/tickets');
  checkEnvelope(created);
  check(created.status === 200, 'a valid create answers 200', created);
  const { ticket } = JSON.parse(created.body) as { ticket: string };
  const used = await send(
    t,
    {
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    },
    'POST /v1/tickets/use',
  );
  checkEnvelope(used);
  const uses = rt.uses === 1 ? 0 : null;
  const expected = `{"uses":${uses},"payload":${rt.payload}}`;
  check(used.body === expected, `use should answer ${expected}`, used);
}

describe('fuzz: payload round trip', () => {
  it(
    'use returns the payload text byte for byte (compacted)',
    async () => {
      await fuzz('payload round trip', roundTrip, roundTripOnce);
      expect(errorLines(target.t)).toEqual([]);
    },
    Math.max(60_000, FUZZ_RUNS * 20),
  );
});
