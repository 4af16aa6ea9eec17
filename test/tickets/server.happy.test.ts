import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_VERSION } from '../../src/store/sqlite/migrations.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, expectCommonHeaders, useTicket } from './client.js';

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd();
});
afterAll(async () => {
  await t.stop();
});

const get = async (url: string) => t.server.inject({ method: 'GET', url });
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('GET /v1/ping', () => {
  it('200 {"ok": true} when the store answers', async () => {
    const res = await get('/v1/ping');
    expectCommonHeaders(res);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });
});

describe('GET /v1/info', () => {
  it('names the server, its version, its store and schema version', async () => {
    const res = await get('/v1/info');
    expectCommonHeaders(res);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'ticketd',
      version: packageVersion,
      store: 'sqlite',
      schemaVersion: LATEST_VERSION,
    });
  });
});

describe('GET /openapi.json', () => {
  type Operation = {
    requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
    responses?: Record<string, unknown>;
    tags?: string[];
  };
  type Doc = { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>> };
  let doc: Doc;
  beforeAll(async () => {
    const res = await get('/openapi.json');
    expect(res.statusCode).toBe(200);
    expectCommonHeaders(res);
    doc = res.json() as Doc;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(packageVersion);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every ticket route, at the paths clients call, with its request body schema', () => {
    const create = doc.paths['/v1/tickets']?.post;
    expect(create, Object.keys(doc.paths).join(', ')).toBeDefined();
    const createSchema = create?.requestBody?.content?.['application/json']?.schema;
    expect(createSchema).toMatchObject({
      type: 'object',
      properties: { ttl: expect.any(Object), uses: expect.any(Object), payload: expect.any(Object) },
    });
    for (const route of ['use', 'delete', 'peek']) {
      const op = doc.paths[`/v1/tickets/${route}`]?.post;
      expect(op, route).toBeDefined();
      const schema = op?.requestBody?.content?.['application/json']?.schema;
      expect(schema, route).toMatchObject({
        type: 'object',
        required: ['ticket'],
        properties: { ticket: { type: 'string', minLength: 1, maxLength: 200 } },
      });
      expect(op?.tags).toEqual(['tickets']);
    }
    for (const path of ['/v1/tickets', '/v1/tickets/use', '/v1/tickets/delete', '/v1/tickets/peek']) {
      const responses = doc.paths[path]?.post?.responses ?? {};
      expect(Object.keys(responses), path).toEqual(expect.arrayContaining(['200', '400', '404', '413', '500']));
    }
    expect(Object.keys(doc.paths)).not.toContain('/v1/tickets/');
  });

  it('documents the system routes', () => {
    for (const path of ['/v1/ping', '/v1/info', '/metrics']) expect(doc.paths[path]?.get, path).toBeDefined();
  });
});

describe('GET /metrics', () => {
  it('counts requests by route and status, and tickets by lifecycle event', async () => {
    const ticket = await createTicket(t, { uses: 2 });
    await useTicket(t, ticket);
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('ticketd_http_requests_total{method="POST",route="/v1/tickets",status="200"} 1');
    expect(res.body).toContain('ticketd_http_requests_total{method="POST",route="/v1/tickets/use",status="200"} 1');
    expect(res.body).toMatch(/^ticketd_tickets_total\{event="created"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^ticketd_tickets_total\{event="used"\} [1-9]\d*$/m);
    expect(res.body).toContain('ticketd_http_request_duration_seconds_bucket');
  });
});

describe('request ids', () => {
  it('every answer has its own RequestId, and the log line of the request carries it', async () => {
    const a = await get('/v1/ping');
    const b = await get('/v1/ping');
    expect(a.headers.requestid).not.toBe(b.headers.requestid);
    const line = t
      .logs()
      .split('\n')
      .find((l) => l.includes(String(a.headers.requestid)));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ msg: 'request', route: '/v1/ping', status: 200, method: 'GET' });
  });

  it('a RequestId sent by the client is not taken over', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/v1/ping', headers: { requestid: 'chosen-by-client' } });
    expect(res.headers.requestid).not.toBe('chosen-by-client');
  });
});
