import { describe, expect, it } from 'vitest';
import type { TestTicketd } from '../helpers/ticketd.js';
import {
  breakStore,
  createTicket,
  deleteTicket,
  expectError,
  expectInternalError,
  expectInvalid,
  OVERSIZED_BODY,
  post,
  useTicket,
} from './client.js';
import { ticketdInstances } from './instances.js';

let t: TestTicketd;
const instances = ticketdInstances();
const start = async (config?: Record<string, unknown>) => {
  t = await instances.start(config);
};
const shared = async () => {
  t = await instances.shared();
};

const JSON_CT = { headers: { 'content-type': 'application/json' } };
const notInteger = (field: string) => ({ field, code: 1005, error: 'must be a whole number', data: null });
const belowMin = (field: string) => ({ field, code: 1006, error: 'must be greater or equal to 0', data: { min: 0 } });
const aboveMax = (field: string) => ({
  field,
  code: 1007,
  error: 'must be less or equal to 2147483647',
  data: { max: 2147483647 },
});

describe('POST /v1/tickets errors', () => {
  describe('400 2003 invalid json payload', () => {
    it.each([
      ['broken JSON', '{"uses": 1'],
      ['a trailing comma', '{"uses": 1,}'],
      ['single quotes', "{'uses': 1}"],
      ['a bare word', 'hello'],
      ['an array at the top', '[]'],
      ['an array of objects at the top', '[{"uses":1}]'],
      ['a number at the top', '5'],
      ['a string at the top', '"abc"'],
      ['true at the top', 'true'],
      ['two objects', '{}{}'],
      ['only white space', '  \n '],
      ['a byte-order mark', '\uFEFF{}'],
    ])('%s', async (_name, body) => {
      await shared();
      expectError(await post(t, '/v1/tickets', body, JSON_CT), 400, 2003);
      expect((await post(t, '/v1/tickets', body, JSON_CT)).json()).toEqual({
        code: 2003,
        error: 'invalid json payload',
      });
    });

    it('bytes that are not UTF-8', async () => {
      await shared();
      const res = await t.server.inject({
        method: 'POST',
        url: '/v1/tickets',
        headers: { 'content-type': 'application/json' },
        payload: Buffer.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      });
      expectError(res, 400, 2003);
    });

    it('nesting deeper than 64 levels', async () => {
      await start();
      const deep = (n: number) => `{"payload":${'['.repeat(n)}${']'.repeat(n)}}`;
      expect((await post(t, '/v1/tickets', deep(63), JSON_CT)).statusCode).toBe(200);
      expectError(await post(t, '/v1/tickets', deep(64), JSON_CT), 400, 2003);
      expectError(await post(t, '/v1/tickets', deep(10_000), JSON_CT), 400, 2003);
    });

    it('also with a form content type, as curl -d sends it', async () => {
      await shared();
      const res = await post(t, '/v1/tickets', 'uses=1&ttl=5', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectError(res, 400, 2003);
    });
  });

  describe('400 2004 invalid data', () => {
    it.each([
      ['ttl 1.5', { ttl: 1.5 }, [notInteger('ttl')]],
      ['ttl "5"', { ttl: '5' }, [notInteger('ttl')]],
      ['ttl true', { ttl: true }, [notInteger('ttl')]],
      ['ttl {}', { ttl: {} }, [notInteger('ttl')]],
      ['ttl []', { ttl: [] }, [notInteger('ttl')]],
      ['uses 1.5', { uses: 1.5 }, [notInteger('uses')]],
      ['uses "5"', { uses: '5' }, [notInteger('uses')]],
      ['ttl -1', { ttl: -1 }, [belowMin('ttl')]],
      ['uses -1', { uses: -1 }, [belowMin('uses')]],
      ['ttl 2^31', { ttl: 2 ** 31 }, [aboveMax('ttl')]],
      ['uses 2^31', { uses: 2 ** 31 }, [aboveMax('uses')]],
      ['uses 1e300', { uses: 1e300 }, [aboveMax('uses')]],
      ['both wrong, in schema order', { uses: -5, ttl: '5' }, [notInteger('ttl'), belowMin('uses')]],
    ])('%s', async (_name, body, invalid) => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets', body), invalid);
    });

    it('the whole answer, exactly', async () => {
      await shared();
      const res = await post(t, '/v1/tickets', { ttl: -1 });
      expect(res.json()).toEqual({
        code: 2004,
        error: 'invalid data',
        invalid: [{ field: 'ttl', code: 1006, error: 'must be greater or equal to 0', data: { min: 0 } }],
      });
    });

    it.each([
      ['uses 1e-400 (JSON.parse reads 0: unlimited)', '{"uses":1e-400}', 'uses'],
      ['ttl 1e-400 (JSON.parse reads 0: never expires)', '{"ttl":1e-400}', 'ttl'],
      ['uses 0.99999999999999999999 (JSON.parse reads 1)', '{"uses":0.99999999999999999999}', 'uses'],
      ['ttl 2.5e0', '{"ttl":2.5e0}', 'ttl'],
      ['uses 25e-1', '{"uses": 25e-1 }', 'uses'],
    ])('whole numbers as written: %s', async (_name, body, field) => {
      await shared();
      expectInvalid(await post(t, '/v1/tickets', body, JSON_CT), [notInteger(field)]);
    });

    it('whole numbers written with a fraction or exponent are whole: 1e3, 2.50e1, 0e-5, -0', async () => {
      await start();
      for (const body of ['{"uses":1e3}', '{"ttl":2.50e1}', '{"uses":0e-5}', '{"ttl":-0}']) {
        expect((await post(t, '/v1/tickets', body, JSON_CT)).statusCode, body).toBe(200);
      }
    });

    it('2.0 is an integer (JSON does not tell 2 from 2.0)', async () => {
      await start();
      const res = await post(t, '/v1/tickets', '{"uses":2.0}', JSON_CT);
      expect(res.statusCode, res.body).toBe(200);
    });

    it('creates nothing', async () => {
      await start();
      await post(t, '/v1/tickets', { uses: -1 });
      expect(await t.store.tickets.count('default')).toBe(0);
    });
  });

  it('413 2005 for a body over 1 MiB', async () => {
    await shared();
    expectError(await post(t, '/v1/tickets', OVERSIZED_BODY, JSON_CT), 413, 2005);
    expect(await t.store.tickets.count('default')).toBe(0);
  });

  it('a body just under 1 MiB is accepted', async () => {
    await start();
    const body = `{"payload":"${'x'.repeat(1024 * 1024 - 20)}"}`;
    expect((await post(t, '/v1/tickets', body, JSON_CT)).statusCode).toBe(200);
  });

  describe('400 102009 at the tenant ticketMax', () => {
    const acme = { headers: { project: 'acme' } };
    const multi = { multi_tenancy: true, tenants: { acme: { ticketMax: 10 } } };

    it('refuses the create after ticketMax live tickets', async () => {
      await start(multi);
      for (let i = 0; i < 10; i++) await createTicket(t, {}, acme);
      const res = await post(t, '/v1/tickets', {}, acme);
      expectError(res, 400, 102009);
      expect(await t.store.tickets.count('acme')).toBe(10);
    });

    it('exactly ticketMax of 50 concurrent creates succeed', async () => {
      await start(multi);
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(t, '/v1/tickets', {}, acme)));
      const ok = answers.filter((r) => r.statusCode === 200);
      expect(ok).toHaveLength(10);
      for (const r of answers) if (r.statusCode !== 200) expectError(r, 400, 102009);
      expect(await t.store.tickets.count('acme')).toBe(10);
    });

    it('a used-up, deleted or expired ticket frees its place', async () => {
      await start(multi);
      const tickets = [];
      for (let i = 0; i < 10; i++) tickets.push(await createTicket(t, { ttl: i === 0 ? 5 : 0 }, acme));
      expectError(await post(t, '/v1/tickets', {}, acme), 400, 102009);

      expect((await useTicket(t, tickets[1] as string, acme)).statusCode).toBe(200);
      await createTicket(t, { ttl: 0 }, acme);
      expectError(await post(t, '/v1/tickets', {}, acme), 400, 102009);

      expect((await deleteTicket(t, tickets[2] as string, acme)).json()).toEqual({ uses: 1, deleted: 1 });
      await createTicket(t, { ttl: 0 }, acme);
      expectError(await post(t, '/v1/tickets', {}, acme), 400, 102009);

      t.clock.advance(5000); // tickets[0] expires, not yet purged
      await createTicket(t, { ttl: 0 }, acme);
      expectError(await post(t, '/v1/tickets', {}, acme), 400, 102009);
    });

    it('holds in single-tenant mode for tenant default', async () => {
      await start({ tenants: { default: { ticketMax: 2 } } });
      await createTicket(t);
      await createTicket(t);
      expect((await post(t, '/v1/tickets', {})).json()).toEqual({
        code: 102009,
        error: 'project has reached its maximum number of tickets',
      });
    });

    it('the limit of one tenant does not touch another', async () => {
      await start({ multi_tenancy: true, tenants: { acme: { ticketMax: 1 }, beta: {} } });
      await createTicket(t, {}, acme);
      expectError(await post(t, '/v1/tickets', {}, acme), 400, 102009);
      for (let i = 0; i < 5; i++) await createTicket(t, {}, { headers: { project: 'beta' } });
    });
  });

  describe('400 102010 payload longer than ticketMaxPayloadLength', () => {
    // {"user":"abcdefghij"} is 21 bytes as compact JSON.
    const limit = { tenants: { default: { ticketMaxPayloadLength: 21 } } };

    it('exactly at the limit passes, one byte over is refused', async () => {
      await start(limit);
      await createTicket(t, '{"payload":{"user":"abcdefghij"}}');
      const res = await post(t, '/v1/tickets', '{"payload":{"user":"abcdefghijk"}}', JSON_CT);
      expect(res.json()).toEqual({ code: 102010, error: 'payload is too long' });
      expect(res.statusCode).toBe(400);
    });

    it('counts compact JSON: white space around values does not count', async () => {
      await start(limit);
      await createTicket(t, '{"payload" :  {  "user" :  "abcdefghij"  }  }');
    });

    it('counts bytes, not characters', async () => {
      await start(limit);
      // "é" is 2 bytes in UTF-8: {"user":"abcdefghié"} is 21 characters, 22 bytes.
      expectError(await post(t, '/v1/tickets', '{"payload":{"user":"abcdefghié"}}', JSON_CT), 400, 102010);
      await createTicket(t, '{"payload":{"user":"abcdefghé"}}');
    });

    it('applies to every kind of payload', async () => {
      await start(limit);
      expectError(await post(t, '/v1/tickets', `{"payload":"${'x'.repeat(20)}"}`, JSON_CT), 400, 102010);
      expectError(await post(t, '/v1/tickets', `{"payload":1${'0'.repeat(21)}}`, JSON_CT), 400, 102010);
      await createTicket(t, `{"payload":"${'x'.repeat(19)}"}`);
    });

    it('no payload and a null payload are always fine', async () => {
      await start({ tenants: { default: { ticketMaxPayloadLength: 1 } } });
      await createTicket(t, {});
      await createTicket(t, { payload: null });
    });

    it('creates nothing', async () => {
      await start(limit);
      await post(t, '/v1/tickets', { payload: 'x'.repeat(100) });
      expect(await t.store.tickets.count('default')).toBe(0);
    });
  });

  describe('500 2001 internal error', () => {
    it('when the store fails: error id in body, header and log; no stack trace', async () => {
      await start();
      const cause = breakStore(t, 'create');
      const res = await post(t, '/v1/tickets', { payload: { user_id: 9001 } });
      expectInternalError(t, res, cause);
    });

    it('two failures get two different error ids', async () => {
      await start();
      breakStore(t, 'create');
      const a = (await post(t, '/v1/tickets', {})).json() as { error_id: string };
      const b = (await post(t, '/v1/tickets', {})).json() as { error_id: string };
      expect(a.error_id).not.toBe(b.error_id);
    });
  });
});
