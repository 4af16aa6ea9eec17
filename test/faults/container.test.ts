import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bench/build.js';

/**
 * The Dockerfile (docs/operations.md, "Container"): built, run with a data
 * volume, healthy by its /readyz check, serving as a non-root user, and its
 * data still there after the container is replaced. Only where Docker runs
 * and already has the base image (no image is pulled from a registry here);
 * skipped with a message elsewhere.
 */
const BASE = 'node:24-bookworm-slim';
const IMAGE = 'ticketd-test:latest';
const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 600_000 });
const available = docker('image', 'inspect', BASE).status === 0;
if (!available) console.warn(`[container] SKIPPED: no Docker daemon with the ${BASE} image here`);

describe.skipIf(!available)('the container image', () => {
  const volume = mkdtempSync(join(tmpdir(), 'ticketd-volume-'));
  const names: string[] = [];
  afterAll(() => {
    for (const n of names) docker('rm', '-f', n);
    docker('image', 'rm', '-f', IMAGE);
    rmSync(volume, { recursive: true, force: true });
  });

  const run = async (name: string, port: number): Promise<void> => {
    names.push(name);
    const r = docker('run', '-d', '--name', name, '-p', `127.0.0.1:${port}:5200`, '-v', `${volume}:/data`, IMAGE);
    expect(r.status, r.stderr).toBe(0);
    for (let i = 0; i < 60; i++) {
      const health = docker('inspect', '-f', '{{.State.Health.Status}}', name).stdout.trim();
      if (health === 'healthy') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${name} did not become healthy: ${docker('logs', name).stderr}`);
  };

  it('builds, runs as a non-root user, is healthy, serves, and keeps its data in the volume', async () => {
    const build = docker('build', '-t', IMAGE, ROOT);
    expect(build.status, build.stderr).toBe(0);
    spawnSync('chmod', ['777', volume]);
    await run('ticketd-test-a', 15_200);
    expect(docker('exec', 'ticketd-test-a', 'id', '-u').stdout.trim()).not.toBe('0');
    const created = await fetch('http://127.0.0.1:15200/v1/tickets', {
      method: 'POST',
      body: JSON.stringify({ uses: 2, ttl: 600 }),
    });
    const { ticket } = (await created.json()) as { ticket: string };
    docker('rm', '-f', 'ticketd-test-a');
    await run('ticketd-test-b', 15_201);
    const used = await fetch('http://127.0.0.1:15201/v1/tickets/use', {
      method: 'POST',
      body: JSON.stringify({ ticket }),
    });
    expect(used.status).toBe(200);
  }, 900_000);
});
