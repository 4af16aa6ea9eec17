import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';

/** examples/oz-flow.mjs (docs/oz.md's example) runs against a real ticketd and does what it says. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MASTER = 'example-master-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'ticketd-oz-example-'));
let server: TicketdProcess;

beforeAll(async () => {
  server = await spawnTicketd({ store: `sqlite:${join(dir, 'ticketd.db')}`, env: { TICKETD_MASTER_TOKEN: MASTER } });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/oz-flow.mjs', () => {
  it('login → session → user ticket → signed request → reissue → logout', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/oz-flow.mjs'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TICKETD_URL: server.url, TICKETD_MASTER_TOKEN: MASTER },
    });
    const steps = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(steps.map((s) => s.step)).toEqual([
      'app',
      'session',
      'user ticket',
      'signed request',
      'reissue',
      'after logout',
    ]);
    expect(steps[2]).toMatchObject({
      keys: ['exp', 'app', 'scope', 'grant', 'user', 'key', 'algorithm', 'ext', 'id'],
      ext: { dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0' },
    });
    expect(steps[3]).toMatchObject({ scope: ['mylet'], resource: '/v1/me' });
    expect(steps[4]).toMatchObject({ sameGrant: true, newKey: true });
    expect(steps[5]).toMatchObject({ refused: true });
    expect(String(steps[5]?.answer)).toContain('Invalid grant');
  });
});
