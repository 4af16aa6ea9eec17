import fc from 'fast-check';
import type { FuzzRequest } from './harness.js';
import type { TicketRoute } from './oracle.js';

/**
 * Generators of hostile requests. Bodies are built as JSON *text* (not values)
 * so that they can carry what JSON.stringify never writes: duplicate keys,
 * escaped keys, number literals as sent, odd white space, truncations.
 */

// ---- characters and strings --------------------------------------------------

/**
 * Any code point, lone surrogates included. (fc.string({unit: 'binary'}) would
 * do, but each instance builds a reverse map of all 1.1M code points: ~0.2 s.)
 */
const anyChar = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const anyString = (maxLength: number) => fc.array(anyChar, { maxLength }).map((a) => a.join(''));

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const b64Char = fc.constantFrom(...B64);

const controlChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff'),
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddChar = fc.constantFrom('=', '-', '_', '.', ' ', '"', '\\', '%', '/', '+', '\u00e9', '\u2603', '😀', '\u0000');

/** Strings mixing Base64, control characters, lone surrogates and anything else. */
export const nastyString = fc.string({
  unit: fc.oneof(
    { weight: 4, arbitrary: b64Char },
    { weight: 2, arbitrary: controlChar },
    { weight: 2, arbitrary: loneSurrogate },
    { weight: 2, arbitrary: oddChar },
    { weight: 1, arbitrary: anyChar },
  ),
  maxLength: 40,
});

/** A key (or string) written with every UTF-16 unit as a \\u escape. */
export function escapeAll(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return `${out}"`;
}

// ---- tickets -------------------------------------------------------------------

/** 27 characters of the ticket alphabet: well formed, but never issued. */
export const wellFormedTicket = fc.string({ unit: b64Char, minLength: 27, maxLength: 27 });

/** Placeholder for live ticket n of the test's pool (harness.send replaces it). */
export const liveTicket = fc.nat(63).map((n) => `$LIVE${n}`);

export const badBase64Ticket = fc.oneof(
  fc.constantFrom('', ' ', '=', '==', '===', 'A===', '=A', 'A=A', 'A'.repeat(200), 'A'.repeat(201), 'A'.repeat(5000)),
  fc.constantFrom('UrX-fTU0TaEEBv1ZlhpImz1c1Ts', 'UrX_fTU0TaEEBv1ZlhpImz1c1Ts', 'UrX/fTU0TaEEBv1ZlhpImz1c1Ts\n'),
  fc
    .tuple(fc.string({ unit: b64Char, maxLength: 210 }), fc.constantFrom('', '=', '==', '===', '=A'))
    .map(([a, b]) => a + b),
  fc
    .tuple(wellFormedTicket, fc.nat(26), fc.oneof(oddChar, controlChar, loneSurrogate))
    .map(([t, i, c]) => t.slice(0, i) + c + t.slice(i + 1)),
  nastyString,
);

export const ticketString = fc.oneof(
  { weight: 3, arbitrary: liveTicket },
  { weight: 2, arbitrary: wellFormedTicket },
  { weight: 3, arbitrary: badBase64Ticket },
);

// ---- JSON text pieces ------------------------------------------------------------

export const ws = fc.constantFrom('', '', '', '', ' ', '  ', '\n', '\t', '\r\n', ' \n\t ');

/** Number literals that stress the parser and the validator; all valid JSON. */
export const HUGE_NUMBERS = [
  '1e308',
  '-1e308',
  '1.7976931348623157e308',
  '1.7976931348623159e308',
  '9007199254740993',
  '-9007199254740993',
  '9007199254740992',
  '1e400',
  '-1e400',
  '1e-400',
  '5e-324',
  '-0',
  '-0.0',
  '0.0',
  '1.0',
  '60.000',
  '-0e-0',
  '0e0',
  '1E+2',
  '1e2',
  '2147483647',
  '2147483648',
  '-1',
  '-2147483648',
  '4294967296',
  '123456789012345678901234567890',
  '0.5',
  '0.1',
  '1',
  '0',
];

export const numberText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HUGE_NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: -9999, max: 9999 }), fc.integer({ min: -400, max: 400 }))
      .map(([m, e]) => `${m}e${e}`),
  },
);

/** Tokens that look like numbers but are not JSON. */
export const notJsonNumber = fc.constantFrom(
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '01',
  '-01',
  '1.',
  '.5',
  '0x10',
  '1e',
  '1e+',
  '--1',
  '1_000',
  'undefined',
  'True',
  'None',
);

const nanLikeString = fc.constantFrom('"NaN"', '"Infinity"', '"-Infinity"', '"1e400"', '"-0"', '"0x10"', '"60"', '""');

const keyName = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'ticket',
      'ttl',
      'uses',
      'payload',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '',
      'Ticket',
      'TTL',
      'payload ',
      ' ticket',
    ),
  },
  { weight: 1, arbitrary: nastyString },
);

/** A quoted key, sometimes written entirely in \\u escapes. */
export const keyText = fc.oneof(
  { weight: 5, arbitrary: keyName.map((k) => JSON.stringify(k)) },
  { weight: 1, arbitrary: keyName.map(escapeAll) },
);

const scalarText = fc.oneof(
  numberText,
  nanLikeString,
  fc.constantFrom('true', 'false', 'null', '""', '[]', '{}', '[null]', '{"":0}'),
  nastyString.map((s) => JSON.stringify(s)),
);

/** Any JSON value as text (random types, random white space). */
export const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    { weight: 4, arbitrary: scalarText },
    { weight: 1, arbitrary: tie('array') },
    { weight: 1, arbitrary: tie('object') },
  ),
  array: fc
    .tuple(fc.array(fc.tuple(ws, tie('value')), { maxLength: 4 }), ws)
    .map(([items, w]) => `[${items.map(([a, v]) => a + v).join(',')}${w}]`),
  object: fc
    .tuple(fc.array(fc.tuple(keyText, ws, tie('value')), { maxLength: 4 }), ws)
    .map(([entries, w]) => `{${entries.map(([k, a, v]) => `${k}${a}:${a}${v}`).join(',')}${w}}`),
})).value;

const OPENERS: Record<string, string> = { '[': ']', '{"a":': '}', '{"payload":': '}', '[{"x":': '}]', '{"":[': ']}' };

/** Nesting around the limit (64) and far beyond it (thousands of levels), closed or not. */
export const deepText = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 55, max: 70 }), fc.integer({ min: 1000, max: 20_000 })),
    open: fc.constantFrom(...Object.keys(OPENERS)),
    inner: fc.oneof(scalarText, fc.constant('')),
    closed: fc.boolean(),
  })
  .map(
    ({ depth, open, inner, closed }) =>
      open.repeat(depth) + inner + (closed ? (OPENERS[open] as string).repeat(depth) : ''),
  );

// ---- bodies ---------------------------------------------------------------------

const MAX_COUNT = 2_147_483_647;

const goodCount = fc.oneof(
  fc.integer({ min: 0, max: MAX_COUNT }).map(String),
  fc.constantFrom('null', '0', '1', '60', '2147483647', '-0', '1.0'),
);

/** A field's value: usually plausible, often of the wrong type, sometimes not JSON at all. */
function fieldValue(field: string): fc.Arbitrary<string> {
  const good =
    field === 'ticket'
      ? ticketString.map((s) => JSON.stringify(s))
      : field === 'payload'
        ? fc.oneof(
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            fc.jsonValue({ maxDepth: 3, stringUnit: anyChar }).map((v) => JSON.stringify(v, null, 2)),
          )
        : goodCount;
  return fc.oneof(
    { weight: 12, arbitrary: good },
    { weight: 3, arbitrary: valueText },
    { weight: 3, arbitrary: numberText },
    { weight: 1, arbitrary: deepText },
    { weight: 1, arbitrary: notJsonNumber },
    // Raw, unescaped string contents: control characters make it invalid JSON.
    { weight: 1, arbitrary: nastyString.map((s) => `"${s}"`) },
  );
}

const FIELDS: Record<TicketRoute, string[]> = {
  create: ['ttl', 'uses', 'payload'],
  use: ['ticket'],
  delete: ['ticket'],
  peek: ['ticket'],
};

// Built once: arbitraries made inside .chain() would be rebuilt (and their caches lost) per value.
const FIELD_ENTRIES = new Map(
  ['ttl', 'uses', 'payload', 'ticket'].map((f) => [
    f,
    fc.tuple(fc.constantFrom(JSON.stringify(f), escapeAll(f)), fieldValue(f)) as fc.Arbitrary<[string, string]>,
  ]),
);

function entry(route: TicketRoute): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.oneof(...FIELDS[route].map((f) => FIELD_ENTRIES.get(f) as fc.Arbitrary<[string, string]>)),
    },
    { weight: 2, arbitrary: fc.tuple(keyText, valueText) },
  );
}

/** An object body as text; keys may repeat (the last one counts, as in JSON.parse). */
export function objectBody(route: TicketRoute): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.tuple(ws, entry(route), ws), { maxLength: 6 }), ws, fc.boolean())
    .map(([entries, w, dup]) => {
      const parts = entries.map(([a, [k, v], b]) => `${a}${k}${b}:${a}${v}${b}`);
      if (dup && parts.length > 0) parts.push(parts[0] as string); // an exact duplicate key
      return `${w}{${parts.join(',')}}${w}`;
    });
}

const MUTATION_CHARS = ['{', '}', '[', ']', '"', ':', ',', '\\', ' ', '0', '-', 'e', '.', 'n', '\u0000', '\ud800', 'é'];

/** Random single-character edits of a text. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...MUTATION_CHARS)), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([s, ops]) => {
      let out = s;
      for (const [at, op, c] of ops) {
        const i = at % (out.length + 1);
        if (op === 'insert') out = out.slice(0, i) + c + out.slice(i);
        else if (op === 'delete') out = out.slice(0, i) + out.slice(i + 1);
        else out = out.slice(0, i) + c + out.slice(i + 1);
      }
      return out;
    });
}

/** A prefix of a text (often cut inside a string, a number or an escape). */
export function truncated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1)));
}

const BAD_UTF8: number[][] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf],
  [0xc2], // truncated 2-byte
  [0xe2, 0x82], // truncated 3-byte
  [0xe0, 0x80, 0xaf], // overlong '/'
  [0xed, 0xa0, 0x80], // UTF-16 surrogate D800 (CESU-8)
  [0xed, 0xbf, 0xbf], // surrogate DFFF
  [0xf0, 0x9f, 0x98], // truncated 4-byte
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
];

/** A text with invalid UTF-8 sequences inserted at random byte positions. */
export function badUtf8(base: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(base, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...BAD_UTF8)), { minLength: 1, maxLength: 3 }))
    .map(([s, inserts]) => {
      let b = Buffer.from(s, 'utf8');
      for (const [at, seq] of inserts) {
        const i = at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, i), Buffer.from(seq), b.subarray(i)]);
      }
      return b;
    });
}

/** Encodes lone surrogates as raw 3-byte sequences (CESU-8), as a careless client would. */
export function cesu8(s: string): Buffer {
  const out = Buffer.alloc(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      // Three bytes, surrogates included: that is what makes it CESU-8 rather than UTF-8.
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, n);
}

const ODD_BODIES = [
  '',
  ' ',
  '\n',
  'null',
  ' null ',
  'true',
  '0',
  '-0',
  '1e400',
  '"x"',
  '[]',
  '[{}]',
  '{}',
  '{',
  '}',
  '{"ticket"}',
  '{"ticket":}',
  '{,}',
  '{"a":1,}',
  '\ufeff{}',
  'ticket=abc',
  'uses=1&ttl=60',
  '{"__proto__":{"ticket":"x"}}',
  '{"constructor":{"prototype":{"ticket":"x"}}}',
  '{"__proto__":null,"__proto__":1}',
];

/** Any body a client could send to a ticket route. */
/** A string value with a raw (unescaped) lone surrogate, for cesu8. */
function rawSurrogateBody(route: TicketRoute): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...FIELDS[route]), wellFormedTicket, loneSurrogate, fc.nat(27))
    .map(([field, t, u, at]) => `{"${field}":"${t.slice(0, at)}${u}${t.slice(at)}"}`);
}

const bodies = new Map<TicketRoute, fc.Arbitrary<string | Buffer | undefined>>();

export function ticketBody(route: TicketRoute): fc.Arbitrary<string | Buffer | undefined> {
  let arb = bodies.get(route);
  if (!arb) {
    arb = makeTicketBody(route);
    bodies.set(route, arb);
  }
  return arb;
}

function makeTicketBody(route: TicketRoute): fc.Arbitrary<string | Buffer | undefined> {
  const text = fc.oneof(
    { weight: 14, arbitrary: objectBody(route) },
    { weight: 3, arbitrary: mutated(objectBody(route)) },
    { weight: 3, arbitrary: truncated(objectBody(route)) },
    { weight: 1, arbitrary: deepText },
    { weight: 1, arbitrary: deepText.map((d) => `{"payload":${d}}`) },
    { weight: 1, arbitrary: deepText.map((d) => `{"ticket":${d},"ttl":1}`) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_BODIES) },
    { weight: 1, arbitrary: valueText },
    { weight: 1, arbitrary: anyString(60) },
  );
  return fc.oneof(
    { weight: 12, arbitrary: text },
    { weight: 2, arbitrary: badUtf8(objectBody(route)) },
    { weight: 1, arbitrary: rawSurrogateBody(route).map(cesu8) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.from(u)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

// ---- headers ---------------------------------------------------------------------

/** Characters a real HTTP client can put in a header value (latin1, no CR/LF). */
const headerChar = fc
  .oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constant(9) },
  )
  .map((c) => String.fromCharCode(c));
export const headerValue = fc.string({ unit: headerChar, maxLength: 40 });

const tokenChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~");
const RESERVED = new Set(['project', 'content-type', 'content-length', 'transfer-encoding', 'host']);
const headerName = fc
  .oneof(
    fc.constantFrom(
      'accept',
      'accept-encoding',
      'accept-charset',
      'user-agent',
      'x-forwarded-for',
      'x-request-id',
      'requestid',
      'error-id',
      'authorization',
      'cookie',
      'origin',
      'range',
      'if-none-match',
      'content-encoding',
      'content-language',
      'connection',
      'expect',
      'x-http-method-override',
    ),
    fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }),
  )
  .filter((n) => !RESERVED.has(n.toLowerCase()));

export const extraHeaders = fc.dictionary(headerName, fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), {
  maxKeys: 3,
});

export const GOOD_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'text/plain; charset=iso-8859-1',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/vnd.api+json',
  'application/json; charset=utf-16',
];

export const contentType = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.constantFrom(...GOOD_CONTENT_TYPES) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('', ';', '/', 'json', 'application/', '/json', 'a/b/c', 'application/json;;', '*/*'),
      fc.constantFrom('application/json; charset', 'application/json, text/plain', '\t', 'application/json; a="b'),
      headerValue,
    ),
  },
);

/** Project header values: real tenants, near misses, prototype names, junk, repeated headers. */
export const projectValue = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 12, arbitrary: fc.constantFrom('default', 'open', 'acme') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'ACME',
      'Default',
      ' default',
      'default ',
      'default,open',
      'open, acme',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '0',
      'null',
      'undefined',
      '%00',
      'd\u00e9fault',
      'a'.repeat(5000),
    ),
  },
  { weight: 2, arbitrary: headerValue },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('default', 'acme', ''), { minLength: 1, maxLength: 3 }) },
);

/** Framing headers that change how the body is read; answers are then only checked loosely. */
const framing = fc.oneof(
  fc.record({ 'content-length': fc.constantFrom('0', '1', '5', '100', '-1', 'abc', '1e3', '99999999999', ' 2') }),
  fc.record({ 'transfer-encoding': fc.constantFrom('chunked', 'gzip', 'identity', 'chunked, chunked', 'x') }),
);

export interface HeaderSpec {
  headers: Record<string, string | string[]>;
  /** The content type is outside the common ones: refusing it as invalid JSON (2003) is allowed. */
  oddContentType: boolean;
}

export const requestHeaders: fc.Arbitrary<HeaderSpec> = fc
  .record({
    ct: contentType,
    project: projectValue,
    projectName: fc.constantFrom('project', 'Project', 'PROJECT'),
    extra: extraHeaders,
    framing: fc.oneof({ weight: 15, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: framing }),
  })
  .map(({ ct, project, projectName, extra, framing }) => {
    const headers: Record<string, string | string[]> = { ...extra };
    if (ct !== undefined) headers['content-type'] = ct;
    if (project !== undefined) headers[projectName] = project;
    if (framing) Object.assign(headers, framing);
    return { headers, oddContentType: ct !== undefined && !GOOD_CONTENT_TYPES.includes(ct) };
  });

// ---- URLs ------------------------------------------------------------------------

const queryPart = fc.oneof(
  fc.constantFrom(
    '',
    '',
    '',
    '?',
    '?ticket=abc',
    '?ttl=5&uses=1',
    '?__proto__[x]=1',
    '?a=%ZZ&b=%',
    '?a[b][c][d]=1',
    '#x',
  ),
  fc
    .array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })), { maxLength: 4 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`),
);

/** A known route's path with a random query string (or fragment): still that route. */
export function routeUrl(path: string): fc.Arbitrary<string> {
  return queryPart.map((q) => path + q);
}

/** A ticket-route request for the property of one route. */
export function ticketRequest(route: TicketRoute, path: string): fc.Arbitrary<FuzzRequest & HeaderSpec> {
  return fc
    .record({ url: routeUrl(path), h: requestHeaders, body: ticketBody(route) })
    .map(({ url, h, body }) => ({ method: 'POST', url, headers: h.headers, oddContentType: h.oddContentType, body }));
}

/** GET or HEAD of a system route, with junk query, headers and even a body. */
export function systemRequest(path: string): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
      url: routeUrl(path),
      h: requestHeaders,
      body: fc.option(ticketBody('create'), { freq: 4, nil: undefined }),
    })
    .map(({ method, url, h, body }) => ({
      method,
      url,
      headers: h.headers,
      body: method === 'GET' ? body : undefined,
    }));
}

export const KNOWN_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['POST', '/v1/tickets'],
  ['POST', '/v1/tickets/use'],
  ['POST', '/v1/tickets/delete'],
  ['POST', '/v1/tickets/peek'],
  ['GET', '/v1/ping'],
  ['GET', '/v1/info'],
  ['GET', '/openapi.json'],
  ['GET', '/metrics'],
  ['GET', '/livez'],
  ['GET', '/readyz'],
  ['HEAD', '/v1/ping'],
  ['HEAD', '/v1/info'],
  ['HEAD', '/openapi.json'],
  ['HEAD', '/metrics'],
  ['HEAD', '/livez'],
  ['HEAD', '/readyz'],
];

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'QUERY',
];

const pathSegment = fc.oneof(
  fc.constantFrom('v1', 'v2', 'V1', 'tickets', 'TICKETS', 'use', 'delete', 'peek', 'ping', 'info', 'metrics'),
  fc.constantFrom('openapi.json', 'oz', 'profile', 'admin', '..', '.', '', '%2F', '%20', '%00', '%F0%9F%98%80', 'a;b'),
  fc.constantFrom('__proto__', 'constructor', '*', '~', "'", '%25', 'x'.repeat(3000)),
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,;=:@'), maxLength: 12 }),
  // Any text, percent-encoded as valid UTF-8 (lone surrogates become U+FFFD).
  anyString(8).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))),
);

/** Percent signs that are not valid percent-encoding, or encode invalid UTF-8. */
export const badlyEncodedPath = fc
  .tuple(
    fc.constantFrom(...KNOWN_ROUTES.map(([, p]) => p), '/', '/nope'),
    fc.constantFrom('%', '%Z', '%ZZ', '%G0', '%C0', '%C0%80', '%ED%A0%80', '%FF', '%E2%82', '%%', '%u0041'),
    fc.nat(),
  )
  .map(([p, bad, at]) => {
    const i = 1 + (at % p.length);
    return p.slice(0, i) + bad + p.slice(i);
  });

/** Paths near the real routes (other methods, other cases, extra segments) and random ones. */
export const unknownPath = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...KNOWN_ROUTES.map(([, p]) => p)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...KNOWN_ROUTES.map(([, p]) => p)), fc.array(pathSegment, { minLength: 1, maxLength: 3 }))
      .map(([p, extra]) => `${p}/${extra.join('/')}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...KNOWN_ROUTES.map(([, p]) => p))
      .chain((p) => fc.constantFrom(`${p}/`, `/${p}`, p.toUpperCase(), `${p}.json`, `/x${p}`, `${p}%00`, `${p};`)),
  },
  { weight: 3, arbitrary: fc.array(pathSegment, { maxLength: 5 }).map((segs) => `/${segs.join('/')}`) },
  { weight: 1, arbitrary: badlyEncodedPath },
);

/** Any method on a path that is (almost always) not a route; the test skips the rare real one. */
export const unknownRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path: unknownPath,
    query: queryPart,
    h: requestHeaders,
    body: fc.option(ticketBody('use'), { freq: 2, nil: undefined }),
  })
  .map(({ method, path, query, h, body }) => ({
    method,
    url: path + query,
    headers: h.headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  }));

// ---- payloads for the round trip -----------------------------------------------

/** JSON text as a client may write it, and the same text with insignificant white space removed. */
export interface JsonText {
  text: string;
  compact: string;
}

const token = (s: string): JsonText => ({ text: s, compact: s });

const stringLiteral = fc.oneof(
  { weight: 3, arbitrary: anyString(12).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: nastyString.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map(escapeAll) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"\\/"',
      '"\\""',
      '"\\\\"',
      '"\\b\\f\\n\\r\\t"',
      '"a\\u0000b"',
      '"\\ud83d\\ude00"',
      '" "',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('"payload"', '"\\"payload\\":1"', '"}"', '"{"', '","', '":"') },
);

/** Random JSON with random white space between tokens, numbers and escapes kept as written. */
export const jsonText: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText; array: JsonText; object: JsonText }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 5 },
      { weight: 3, arbitrary: numberText.map(token) },
      { weight: 3, arbitrary: stringLiteral.map(token) },
      { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null').map(token) },
      { weight: 2, arbitrary: tie('array') },
      { weight: 2, arbitrary: tie('object') },
    ),
    array: fc.tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 5 }), ws).map(([items, w]) => ({
      text: `[${items.map(([a, v, b]) => a + v.text + b).join(',') || w}]`,
      compact: `[${items.map(([, v]) => v.compact).join(',')}]`,
    })),
    object: fc
      .tuple(fc.array(fc.tuple(ws, fc.oneof(keyText, stringLiteral), ws, tie('value'), ws), { maxLength: 5 }), ws)
      .map(([entries, w]) => ({
        text: `{${entries.map(([a, k, b, v, c]) => `${a}${k}${b}:${b}${v.text}${c}`).join(',') || w}}`,
        compact: `{${entries.map(([, k, , v]) => `${k}:${v.compact}`).join(',')}}`,
      })),
  }),
).value;

/** fc.jsonValue() written by JSON.stringify with indentation, and compact. */
const stringifiedJson: fc.Arbitrary<JsonText> = fc
  .tuple(fc.jsonValue({ maxDepth: 5, stringUnit: anyChar }), fc.constantFrom(0, 1, 2, 4, '\t', ' \n'))
  .map(([v, indent]) => ({
    text: JSON.stringify(v, null, indent === ' \n' ? undefined : indent),
    compact: JSON.stringify(v),
  }));

export const payloadText = fc.oneof(jsonText, stringifiedJson);

export interface RoundTrip {
  body: string;
  /** What use must answer for `payload`: compact text, or `null` when there is none. */
  payload: string;
  uses: 0 | 1 | null;
}

/**
 * A create body around a payload: random key order and white space, other
 * fields whose values contain "payload" keys and strings, sometimes an
 * escaped "payload" key, sometimes an earlier "payload" that the last replaces.
 */
export const roundTrip: fc.Arbitrary<RoundTrip> = fc
  .record({
    p: payloadText,
    uses: fc.constantFrom(0 as const, 1 as const, null),
    key: fc.constantFrom('"payload"', '"payload"', '"payload"', escapeAll('payload'), '"pay\\u006coad"'),
    decoys: fc.array(
      fc.constantFrom(
        '"x":{"payload":5}',
        '"y":["payload",{"payload":[1,2]}]',
        '"z":"\\"payload\\":1"',
        '"payload ":1',
        '"Payload":2',
        '"payload":"an earlier one"',
        '"payload":{"deep":[1,2,3]}',
        '"\\u0070ayload":null',
        '"ttl":0',
      ),
      { maxLength: 3 },
    ),
    after: fc.boolean(),
    w: fc.tuple(ws, ws, ws, ws),
  })
  .map(({ p, uses, key, decoys, after, w: [w1, w2, w3, w4] }) => {
    const mine = `${w1}${key}${w2}:${w3}${p.text}${w4}`;
    const fields = [`"uses":${uses === null ? 'null' : uses}`, ...decoys];
    // Decoys that are themselves top-level "payload" keys must come before ours.
    const later: string[] = after ? decoys.filter((d) => !/^"(payload|\\u0070ayload)":/.test(d)) : [];
    const earlier = fields.filter((f) => !later.includes(f));
    const body = `{${[...earlier, mine, ...later].join(',')}}`;
    return { body, payload: p.compact === 'null' ? 'null' : p.compact, uses };
  });
