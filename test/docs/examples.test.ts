import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../helpers/process.js';
import { type Example, examples, matches, matchLines, substitute } from './examples.js';

/**
 * Every runnable example of the README and the walkthroughs, as a reader
 * would run them: in the order written, in a fresh directory beside this
 * checkout (its package.json, node_modules, dist and examples linked in, so
 * `npm start` works there and `./data` is new), on a free port instead of
 * 5200. `npx ticketd` runs this checkout's bin (a `ticketd` on the PATH),
 * without npx's cache. docs/development.md says how a page is read.
 */
const PAGES = [
  'README.md',
  'docs/tickets.md',
  'docs/profile.md',
  'docs/oz.md',
  'docs/admin.md',
  'docs/security.md',
  'docs/oauth.md',
];

/** The command starts a server (in the background): `npm start` or `npx ticketd serve ...`, after variables. */
const SERVE = /^((?:\w+=\S+\s+)*)(?:npm ci && )?(npm start|ticketd serve\b.*)$/;
/** Commands a page shows that the test does not run: the install (done) and the test suite (this). */
const SKIP = /^(npm ci|npm test|npm run \w+)$/;
const ASSIGNMENTS = /^\w+=\S+(;\s*\w+=\S+)*$/;

interface Run {
  dir: string;
  port: number;
  env: NodeJS.ProcessEnv;
  bindings: Map<string, string>;
  /** Assignment lines so far: each command runs after them. */
  vars: string[];
  server?: { child: ChildProcess; output: string[] };
}

function shell(run: Run, command: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', [...run.vars, command].join('\n')], { cwd: run.dir, env: run.env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function stopServer(run: Run): Promise<void> {
  const child = run.server?.child;
  run.server = undefined;
  if (!child?.pid || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  await gone;
  // npm's child (ticketd itself) may outlive npm by a moment: wait until the port is free.
  for (let tries = 0; tries < 200; tries++) {
    const up = await fetch(`http://127.0.0.1:${run.port}/v1/ping`).then(
      () => true,
      () => false,
    );
    if (!up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startServer(run: Run, command: string, e: Example): Promise<void> {
  await stopServer(run);
  const child = spawn('bash', ['-c', command], { cwd: run.dir, env: run.env, detached: true });
  const output: string[] = [];
  const take = (c: Buffer) => output.push(...c.toString().split('\n'));
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  run.server = { child, output };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${e.where}: \`${e.command}\` ended:\n${output.join('\n')}`);
    const ok = await fetch(`http://127.0.0.1:${run.port}/v1/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${e.where}: \`${e.command}\` did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const lines = output.filter((l) => l !== '');
  if (e.expected.length === 0) return;
  expect(matchLines(e.expected, lines, run.bindings), `${e.where}: ${e.command}\n${lines.join('\n')}`).toBe(true);
}

async function runExample(run: Run, e: Example): Promise<void> {
  const command = substitute(e.command, run.bindings)
    .replaceAll('127.0.0.1:5200', `127.0.0.1:${run.port}`)
    .replace(/\s+#\s.*$/, '')
    .replace(/^((?:\w+=\S+\s+)*)npx ticketd\b/, '$1ticketd');
  const serve = SERVE.exec(command);
  if (serve) return startServer(run, command.replace('npm ci && ', ''), e);
  if (SKIP.test(command)) return;
  if (e.kind === 'sh' && ASSIGNMENTS.test(command)) {
    run.vars.push(command);
    return;
  }
  const shown = `${e.where}: ${e.command}`;
  if (e.kind === 'sh' && command.startsWith('curl ')) {
    const { out } = await shell(run, command.replace(/^curl /, "curl -s -w '\\n%{http_code}' "));
    const cut = out.lastIndexOf('\n');
    const status = Number(out.slice(cut + 1));
    const body = out.slice(0, cut);
    const [want = ''] = e.expected;
    const m = /^(\d{3}) (.*)$/.exec(want);
    if (m) expect(status, `${shown}\n${body}`).toBe(Number(m[1]));
    else expect(status >= 200 && status < 300, `${shown}: status ${status}\n${body}`).toBe(true);
    const wantBody = m ? (m[2] as string) : want;
    if (wantBody === '(empty)') expect(body, shown).toBe('');
    else if (wantBody !== '') expect(matches(wantBody, body, run.bindings), `${shown}\n${body}`).toBe(true);
    return;
  }
  const { out } = await shell(run, command);
  const lines = out.replace(/\n$/, '').split('\n');
  if (e.expected.length > 0) expect(matchLines(e.expected, lines, run.bindings), `${shown}\n${out}`).toBe(true);
}

describe('the examples of the docs, as written', () => {
  for (const page of PAGES) {
    it(`${page}: every example, in order, on a fresh store`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ticketd-docs-'));
      for (const name of ['package.json', 'node_modules', 'dist', 'examples']) {
        symlinkSync(join(ROOT, name), join(dir, name));
      }
      mkdirSync(join(dir, '.bin'));
      writeFileSync(join(dir, '.bin', 'ticketd'), `#!/bin/sh\nexec node ${join(ROOT, 'dist', 'ticketd.mjs')} "$@"\n`, {
        mode: 0o755,
      });
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env))
        if (!k.startsWith('TICKETD_') && !k.startsWith('npm_')) env[k] = v;
      const run: Run = { dir, port: await freePort(), env, bindings: new Map(), vars: [] };
      env.TICKETD_LISTEN = `127.0.0.1:${run.port}`;
      env.PATH = `${join(dir, '.bin')}:${env.PATH ?? ''}`;
      try {
        const list = examples(readFileSync(join(ROOT, page), 'utf8'), page);
        expect(list.length).toBeGreaterThan(0);
        for (const e of list) await runExample(run, e);
      } finally {
        await stopServer(run);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
