import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminErrors, adminFromDomain, adminValidationCodes } from '../src/admin/errors.js';
import { oauthErrors } from '../src/oauth/errors.js';
import { ozErrors } from '../src/oz/errors.js';
import { fromDomain, profileErrors } from '../src/profile/errors.js';
import { ticketErrors, validationCodes } from '../src/tickets/errors.js';

const docs = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the first markdown table after a heading. */
function table(heading: string): string[][] {
  const start = docs.indexOf(heading);
  if (start < 0) throw new Error(`docs/errors.md has no section "${heading}"`);
  const lines = docs.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}
const source = sourceFiles(new URL('../src', import.meta.url).pathname)
  .filter((f) => !/\/[a-z]+\/errors\.ts$/.test(f) || f.includes('/http/'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('ticket surface error catalog', () => {
  const rows = table('## Ticket surface');

  it('docs list exactly the catalog, with the same status, code and message', () => {
    const documented = Object.fromEntries(rows.map(([status, code, name, error]) => [name, { status, code, error }]));
    const catalog = Object.fromEntries(
      Object.entries(ticketErrors).map(([name, e]) => [
        name,
        { status: String(e.status), code: String(e.code), error: e.error },
      ]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    for (const name of Object.keys(ticketErrors)) {
      expect(source, `ticketErrors.${name} is raised nowhere`).toMatch(new RegExp(`ticketError\\('${name}'`));
    }
  });

  it('codes are unique', () => {
    const codes = Object.values(ticketErrors).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('validation codes match the docs', () => {
    const documented = Object.fromEntries(
      table('### Validation codes').map(([code, rule, error]) => [rule, { code: Number(code), error }]),
    );
    expect(documented).toEqual(validationCodes);
  });
});

describe('profile surface error catalog', () => {
  const rows = table('## Profile surface');
  const raises = (code: string) => new RegExp(`domainError\\(\\s*'${code}'`).test(source);

  it('docs list exactly the catalog, with the same status and errorCode', () => {
    const documented = Object.fromEntries(rows.map(([status, errorCode, name]) => [name, { status, errorCode }]));
    const catalog = Object.fromEntries(
      Object.entries(profileErrors).map(([name, e]) => [name, { status: String(e.status), errorCode: e.errorCode }]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    // Directly (profileError('name', ...)), as a route's override of a domain error
    // (profileErrors: { CODE: 'name' }), or as the default of a domain error the core raises.
    for (const name of Object.keys(profileErrors)) {
      const direct = new RegExp(`profileError\\(\\s*'${name}'|: '${name}'`).test(source);
      const domainCodes = Object.entries(fromDomain)
        .filter(([, target]) => target === name)
        .map(([code]) => code);
      const viaDomain = domainCodes.some((code) => raises(code));
      expect(direct || viaDomain, `profileErrors.${name} is raised nowhere`).toBe(true);
    }
  });

  it('every domain error code is raised somewhere in the core', () => {
    for (const code of Object.keys(fromDomain)) {
      expect(raises(code), `domain error ${code} is raised nowhere`).toBe(true);
    }
  });

  it('one status per row name, and the codes docs/profile.md lists have its statuses', () => {
    const status = (code: string) =>
      Object.values(profileErrors)
        .filter((e) => e.errorCode === code)
        .map((e) => e.status)
        .sort();
    expect(status('ACCESS_TOKEN_EXISTS')).toEqual([409]);
    expect(status('NO_SUCH_ACCESS_TOKEN_ID')).toEqual([403, 404]);
    expect(status('ACCESS_DENIED')).toEqual([403]);
    expect(status('ACTION_DENIED')).toEqual([403]);
    expect(status('NO_SUCH_TENANT')).toEqual([404]);
    expect(status('BAD_CREDENTIALS')).toEqual([401]);
    expect(status('DISABLED_PROFILE')).toEqual([403]);
    expect(status('NO_SUCH_PROFILE')).toEqual([404]);
    expect(status('NO_SUCH_TICKET')).toEqual([400, 404]);
    expect(status('NO_SUCH_PERSISTENT_LOGIN')).toEqual([404]);
    expect(status('TENANT_EXISTS')).toEqual([409]);
    expect(status('PROFILE_EXISTS')).toEqual([409]);
    expect(status('PARAM_DESERIALIZATION_ERROR')).toEqual([400]);
    expect(status('PROFILE_LOCKED')).toEqual([423]);
    expect(status('OTHER')).toEqual([500]);
  });
});

describe('admin API error catalog', () => {
  const rows = table('## Admin API');
  const raises = (code: string) => new RegExp(`domainError\\(\\s*'${code}'`).test(source);

  it('docs list exactly the catalog, with the same status, code and message', () => {
    const documented = Object.fromEntries(rows.map(([status, code, name, error]) => [name, { status, code, error }]));
    const catalog = Object.fromEntries(
      Object.entries(adminErrors).map(([name, e]) => [
        name,
        { status: String(e.status), code: String(e.code), error: e.error },
      ]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    // Directly (adminError('name', ...)), or as the landing place of a domain error the core raises.
    for (const name of Object.keys(adminErrors)) {
      const direct = new RegExp(`adminError\\('${name}'`).test(source);
      const viaDomain = Object.entries(adminFromDomain).some(([code, target]) => target === name && raises(code));
      expect(direct || viaDomain, `adminErrors.${name} is raised nowhere`).toBe(true);
    }
  });

  it('codes are unique, in their own range, and unlike every ticket code', () => {
    const codes = [
      ...Object.values(adminErrors).map((e) => e.code),
      ...Object.values(adminValidationCodes).map((e) => e.code),
    ];
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(Math.floor(code / 1000)).toBe(103);
    const ticketCodes = new Set<number>([
      ...Object.values(ticketErrors).map((e) => e.code),
      ...Object.values(validationCodes).map((e) => e.code),
    ]);
    for (const code of codes) expect(ticketCodes.has(code), String(code)).toBe(false);
  });

  it('validation codes match the docs', () => {
    const documented = Object.fromEntries(
      table('### Admin validation codes').map(([code, rule, error]) => [rule, { code: Number(code), error }]),
    );
    expect(documented).toEqual(adminValidationCodes);
  });
});

describe('Oz surface error catalog', () => {
  const rows = table('## Oz surface');

  it('docs list exactly the catalog, with the same status and message', () => {
    const documented = Object.fromEntries(rows.map(([status, name, message]) => [name, { status, message }]));
    const catalog = Object.fromEntries(
      Object.entries(ozErrors).map(([name, e]) => [
        name,
        { status: String(e.status), message: e.message ?? '*(varies)*' },
      ]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    // Directly (ozError('name', ...)), or as the entry of one of Hawk's messages (UNAUTHORIZED: { ...: 'name' }).
    for (const name of Object.keys(ozErrors)) {
      expect(source, `ozErrors.${name} is raised nowhere`).toMatch(new RegExp(`ozError\\('${name}'|: '${name}'`));
    }
  });

  it('the messages docs/oz.md lists', () => {
    const messages = new Set<string | null>(Object.values(ozErrors).map((e) => e.message));
    for (const m of [
      'Unknown credentials',
      'Bad mac',
      'Stale timestamp',
      'Invalid nonce',
      'Expired ticket',
      'Invalid application',
      'Invalid grant',
      'Mismatching application id',
      'User ticket cannot be used on an application endpoint',
      'Invalid session',
      'Bad ticket',
    ]) {
      expect(messages.has(m), m).toBe(true);
    }
  });
});

describe('OAuth endpoints error catalog', () => {
  const rows = table('## OAuth endpoints');

  it('docs list exactly the catalog, with the same status and error', () => {
    const documented = Object.fromEntries(rows.map(([status, name, error]) => [name, { status, error }]));
    const catalog = Object.fromEntries(
      Object.entries(oauthErrors).map(([name, e]) => [name, { status: String(e.status), error: `\`${e.error}\`` }]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    for (const name of Object.keys(oauthErrors)) {
      expect(source, `oauthErrors.${name} is raised nowhere`).toMatch(new RegExp(`oauthError\\('${name}'`));
    }
  });
});
