import hawk from 'hawk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { OzError, toBoom } from '../../src/oz/errors.js';
import { type HawkSettings, HawkVerifier, type SignedRequest } from '../../src/oz/hawk.js';
import { StoreUnavailableError } from '../../src/store/types.js';

const T0 = Date.UTC(2026, 0, 1);
const CREDS = { id: 'com.example.app', key: 'k'.repeat(40), algorithm: 'sha256' as const };
const OTHER = { id: 'com.example.other', key: 'o'.repeat(40), algorithm: 'sha256' as const };
const lookup = async (id: string) => [CREDS, OTHER].find((c) => c.id === id) ?? null;

/** NonceStore.use with the store's contract, in memory. */
function nonces() {
  const seen = new Map<string, number>();
  return {
    seen,
    use: async (credentialId: string, nonce: string, now: number, expiresAt: number) => {
      const k = `${credentialId}\u0000${nonce}`;
      const until = seen.get(k);
      if (until !== undefined && until > now) return false;
      seen.set(k, expiresAt);
      return true;
    },
  };
}

function setup(settings: Partial<HawkSettings> = {}) {
  const clock = new ManualClock(T0);
  const store = nonces();
  const verifier = new HawkVerifier(store, clock, { trustProxy: false, requirePayloadHash: false, ...settings });
  return { clock, store, verifier };
}

/** A request signed with hawk's own client, at the test clock's time. */
function signed(
  options: {
    creds?: typeof CREDS;
    url?: string;
    method?: string;
    at?: number;
    nonce?: string;
    payload?: string;
    contentType?: string;
    signPayload?: boolean;
    host?: string;
    port?: number;
  } = {},
): SignedRequest {
  const host = options.host ?? 'ticketd.example';
  const port = options.port ?? 5200;
  const url = options.url ?? '/v1/ticket';
  const { header } = hawk.client.header(`http://${host}:${port}${url}`, options.method ?? 'POST', {
    credentials: options.creds ?? CREDS,
    timestamp: Math.floor((options.at ?? T0) / 1000),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.signPayload ? { payload: options.payload ?? '', contentType: options.contentType ?? '' } : {}),
  });
  return {
    method: options.method ?? 'POST',
    url,
    host,
    port,
    authorization: header,
    contentType: options.contentType,
    payload: options.payload,
  };
}

async function failure(p: Promise<unknown>): Promise<OzError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OzError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('Hawk verification', () => {
  it('accepts a header built by hawk.client.header and returns credentials and artifacts', async () => {
    const { verifier } = setup();
    const { credentials, artifacts } = await verifier.authenticate(signed(), lookup);
    expect(credentials.id).toBe(CREDS.id);
    expect(artifacts).toMatchObject({ method: 'POST', host: 'ticketd.example', port: 5200, resource: '/v1/ticket' });
  });

  it('each failure with its own message', async () => {
    const { verifier } = setup();
    const wrongKey = { ...CREDS, key: 'x'.repeat(40) };
    expect((await failure(verifier.authenticate(signed({ creds: wrongKey }), lookup))).message).toBe('Bad mac');
    const unknown = { ...CREDS, id: 'nobody' };
    expect((await failure(verifier.authenticate(signed({ creds: unknown }), lookup))).message).toBe(
      'Unknown credentials',
    );
    // Wrong host, port, path, method: all in the MAC.
    for (const req of [
      { ...signed(), host: 'evil.example' },
      { ...signed(), port: 443 },
      { ...signed(), url: '/oz/app' },
      { ...signed(), method: 'PUT' },
    ]) {
      expect((await failure(verifier.authenticate(req, lookup))).entry).toBe('badMac');
    }
  });

  it('no header or another scheme: Missing authentication; malformed: 400 with Hawk’s message', async () => {
    const { verifier } = setup();
    const base = signed();
    expect((await failure(verifier.authenticate({ ...base, authorization: undefined }, lookup))).entry).toBe(
      'missingAuthentication',
    );
    expect((await failure(verifier.authenticate({ ...base, authorization: 'Bearer x' }, lookup))).entry).toBe(
      'missingAuthentication',
    );
    const bad = await failure(verifier.authenticate({ ...base, authorization: 'Hawk id="a", zz="b"' }, lookup));
    expect([bad.entry, bad.message]).toEqual(['badHeader', 'Unknown attribute: zz']);
    const missing = await failure(verifier.authenticate({ ...base, authorization: 'Hawk id="a"' }, lookup));
    expect([missing.entry, missing.message]).toEqual(['badHeader', 'Missing attributes']);
  });

  it('headers longer than 4096 characters: 400', async () => {
    const { verifier } = setup();
    const long = `Hawk id="${'a'.repeat(4100)}", ts="1", nonce="n", mac="m"`;
    const e = await failure(verifier.authenticate({ ...signed(), authorization: long }, lookup));
    expect([e.entry, e.message, toBoom(e).status]).toEqual(['badHeader', 'Header length too long', 400]);
  });

  it('±60 s: accepted within, stale beyond, with ts and a tsm the client can verify', async () => {
    const { verifier, clock } = setup();
    // (At exactly 60 s the answer would hang on the millisecond between the clock and hawk's reading of it.)
    await verifier.authenticate(signed({ at: T0 - 59_000 }), lookup);
    await verifier.authenticate(signed({ at: T0 + 59_000 }), lookup);
    clock.advance(61_000);
    const e = await failure(verifier.authenticate(signed({ at: T0 }), lookup));
    expect(e.message).toBe('Stale timestamp');
    const answer = toBoom(e);
    expect(answer.status).toBe(401);
    const www = answer.headers['WWW-Authenticate'] as string;
    expect(www).toMatch(/^Hawk ts="\d+", tsm="[^"]+", error="Stale timestamp"$/);
    expect(www).toContain(`ts="${Math.floor((T0 + 61_000) / 1000)}"`);
    // hawk's client checks tsm with the credentials (it throws on a bad one).
    const { artifacts } = hawk.client.header('http://ticketd.example:5200/v1/ticket', 'POST', { credentials: CREDS });
    expect(() => hawk.client.authenticate({ headers: { 'www-authenticate': www } }, CREDS, artifacts)).not.toThrow();
    expect(() =>
      hawk.client.authenticate({ headers: { 'www-authenticate': www } }, { ...CREDS, key: 'z'.repeat(40) }, artifacts),
    ).toThrow();
  });

  it('a timestamp that is not a whole number is stale (hawk alone would let it pass)', async () => {
    const { verifier, store } = setup();
    const req = signed();
    const mac = hawk.crypto.calculateMac('header', CREDS, {
      ts: 'abc',
      nonce: 'n1',
      method: 'POST',
      resource: '/v1/ticket',
      host: 'ticketd.example',
      port: 5200,
    });
    const header = `Hawk id="${CREDS.id}", ts="abc", nonce="n1", mac="${mac}"`;
    const e = await failure(verifier.authenticate({ ...req, authorization: header }, lookup));
    expect(e.message).toBe('Stale timestamp');
    expect(store.seen.size).toBe(0);
  });

  it('a replayed nonce is refused; the same nonce of another credential is not', async () => {
    const { verifier } = setup();
    const req = signed({ nonce: 'abc123' });
    await verifier.authenticate(req, lookup);
    expect((await failure(verifier.authenticate(req, lookup))).message).toBe('Invalid nonce');
    await verifier.authenticate(signed({ nonce: 'abc123', creds: OTHER }), lookup);
  });

  it('a nonce is remembered while its timestamp is acceptable, then forgotten', async () => {
    const { verifier, store } = setup();
    await verifier.authenticate(signed({ nonce: 'n-1', at: T0 + 30_000 }), lookup);
    const [until] = [...store.seen.values()];
    expect(until).toBe(T0 + 90_000);
  });

  it('the payload hash is checked when present, and required when the setting says so', async () => {
    const body = '{"session":"s"}';
    const ct = 'application/json';
    const { verifier } = setup();
    await verifier.authenticate(signed({ payload: body, contentType: ct, signPayload: true }), lookup);
    // Signed over one body, sent with another.
    const swapped = { ...signed({ payload: body, contentType: ct, signPayload: true }), payload: '{"session":"t"}' };
    expect((await failure(verifier.authenticate(swapped, lookup))).message).toBe('Bad payload hash');
    // Bytes count, not JSON values.
    const spaced = {
      ...signed({ payload: body, contentType: ct, signPayload: true }),
      payload: Buffer.from(`${body} `),
    };
    expect((await failure(verifier.authenticate(spaced, lookup))).message).toBe('Bad payload hash');
    // No hash: accepted unless required.
    await verifier.authenticate(signed({ payload: body, contentType: ct }), lookup);
    const strict = setup({ requirePayloadHash: true }).verifier;
    expect((await failure(strict.authenticate(signed({ payload: body, contentType: ct }), lookup))).message).toBe(
      'Missing required payload hash',
    );
    await strict.authenticate(signed({ payload: body, contentType: ct, signPayload: true }), lookup);
    await strict.authenticate(signed({ signPayload: true }), lookup);
  });

  it('store failures and lookup failures pass through as they are', async () => {
    const clock = new ManualClock(T0);
    const down = new HawkVerifier(
      {
        use: async () => {
          throw new StoreUnavailableError('down');
        },
      },
      clock,
      { trustProxy: false, requirePayloadHash: false },
    );
    await expect(down.authenticate(signed(), lookup)).rejects.toBeInstanceOf(StoreUnavailableError);
    const { verifier } = setup();
    const badTicket = new OzError('badTicket', 'Bad ticket');
    await expect(
      verifier.authenticate(signed(), async () => {
        throw badTicket;
      }),
    ).rejects.toBe(badTicket);
  });

  it('Server-Authorization verifies with hawk’s client, body hash included', async () => {
    const { verifier } = setup();
    const { header, artifacts: clientArtifacts } = hawk.client.header('http://ticketd.example:5200/oz/app', 'POST', {
      credentials: CREDS,
      timestamp: Math.floor(T0 / 1000),
    });
    const req: SignedRequest = {
      method: 'POST',
      url: '/oz/app',
      host: 'ticketd.example',
      port: 5200,
      authorization: header,
      contentType: undefined,
      payload: undefined,
    };
    const { credentials, artifacts } = await verifier.authenticate(req, lookup);
    const body = '{"ok":true}';
    const serverAuth = verifier.responseHeader(credentials, artifacts, body, 'application/json');
    const res = { headers: { 'server-authorization': serverAuth, 'content-type': 'application/json; charset=utf-8' } };
    expect(() => hawk.client.authenticate(res, CREDS, clientArtifacts, { payload: body })).not.toThrow();
    expect(() => hawk.client.authenticate(res, CREDS, clientArtifacts, { payload: '{"ok":false}' })).toThrow();
  });
});

describe('host and port', () => {
  const headers = {
    host: 'internal:8080',
    'x-forwarded-host': 'api.example.com',
    'x-forwarded-proto': 'https',
  };

  it('from Host; X-Forwarded-* ignored unless the proxy is trusted', () => {
    expect(setup().verifier.hostPort(headers, false)).toEqual({ host: 'internal', port: 8080 });
    expect(setup().verifier.hostPort({ host: 'a.example' }, false)).toEqual({ host: 'a.example', port: 80 });
    expect(setup().verifier.hostPort({ host: 'a.example' }, true)).toEqual({ host: 'a.example', port: 443 });
  });

  it('behind a trusted proxy: X-Forwarded-Host, -Port, -Proto', () => {
    const v = setup({ trustProxy: true }).verifier;
    expect(v.hostPort(headers, false)).toEqual({ host: 'api.example.com', port: 443 });
    expect(v.hostPort({ ...headers, 'x-forwarded-port': '8443' }, false)).toEqual({
      host: 'api.example.com',
      port: 8443,
    });
    expect(v.hostPort({ host: 'h:1', 'x-forwarded-host': 'p.example:9000, other' }, false)).toEqual({
      host: 'p.example',
      port: 9000,
    });
    expect(v.hostPort({ host: 'h:1' }, false)).toEqual({ host: 'h', port: 1 });
  });

  it('configured host and port win over every header', () => {
    const v = setup({ host: 'api.example.com', port: 443, trustProxy: true }).verifier;
    expect(v.hostPort({ host: 'x:1', 'x-forwarded-host': 'y' }, false)).toEqual({ host: 'api.example.com', port: 443 });
    expect(v.hostPort({}, false)).toEqual({ host: 'api.example.com', port: 443 });
    const hostOnly = setup({ host: 'api.example.com' }).verifier;
    expect(hostOnly.hostPort({ host: 'x:8080' }, false)).toEqual({ host: 'api.example.com', port: 8080 });
  });

  it('missing, malformed or oversized Host: 400', () => {
    const v = setup().verifier;
    for (const h of [{}, { host: '' }, { host: 'a/b' }, { host: 'bad host' }, { host: 'x'.repeat(5000) }]) {
      let caught: unknown;
      try {
        v.hostPort(h, false);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(h).slice(0, 40)).toBeInstanceOf(OzError);
      expect((caught as OzError).entry).toBe('badHeader');
    }
  });
});
