/**
 * GET /livez and /readyz (docs/operations.md, "Health checks") in-process:
 * ready on a migrated store, "migrations pending" on a store behind this
 * build's schema. A store that does not answer is checked on real processes
 * (test/faults/outage.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';

let t: TestTicketd | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const get = async (url: string) => {
  const res = await (t as TestTicketd).server.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};

describe('health checks', () => {
  it('a migrated store: /livez 200, /readyz 200 with the store and its schema version', async () => {
    t = await startTestTicketd();
    expect(await get('/livez')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', store: t.store.kind, schemaVersion: t.store.latestSchemaVersion },
    });
  });

  it('a store behind this build: /readyz 503 "migrations pending", 200 once it is at the version', async () => {
    t = await startTestTicketd();
    const latest = t.store.latestSchemaVersion;
    // What an instance of this build sees when another, older one migrated the store
    // (and this one runs with migrate_on_start off): the store's last migration missing.
    const db = openSqlite(t.config.store.replace(/^sqlite:/, ''));
    const row = db.prepare('SELECT * FROM schema_migrations WHERE version = ?').get(latest) as object;
    db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(latest);
    try {
      expect(await get('/livez')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get('/readyz')).toEqual({
        status: 503,
        body: {
          status: 'unavailable',
          reason: 'migrations pending',
          schemaVersion: latest - 1,
          expectedSchemaVersion: latest,
        },
      });
    } finally {
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at)').run(row);
      db.close();
    }
    expect((await get('/readyz')).status).toBe(200);
  });
});
