/**
 * A Redis Cluster of the test's own: six `redis-server` nodes (three
 * primaries, three replicas) on free loopback ports, in a temporary
 * directory, joined with `redis-cli --cluster create`. `stop()` kills every
 * node and removes the directory; `kill(port)` ends one node at once
 * (SIGKILL), as a crash would, and `waitForFailover()` waits until its
 * replica has taken its slots.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisClusterNode {
  port: number;
  child: ChildProcess;
}

export interface TestRedisCluster {
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...` */
  seeds: string;
  nodes: RedisClusterNode[];
  /** The ports of the current primaries. */
  primaries(): Promise<number[]>;
  kill(port: number): void;
  /**
   * Waits until `replica` has taken over its killed primary's slots and
   * every slot is served again, at most `timeoutMs`. (Right after a kill the
   * cluster still says ok: no node has noticed yet.)
   */
  waitForFailover(replica: number, timeoutMs?: number): Promise<void>;
  /** The port of a replica of the primary on `port`. */
  replicaOf(port: number): Promise<number>;
  /**
   * Cuts a primary's replication: its replica stops (SIGSTOP) and the
   * primary drops the link, so that nothing it writes from now on reaches the
   * replica until `resume(replica)` (SIGCONT).
   */
  cutReplication(primary: number, replica: number): Promise<void>;
  resume(port: number): void;
  /** Starts a killed node again; resolves once it has rejoined and every primary has a synced replica. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const free = async (p: number) =>
      new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    if ((await free(port)) && (await free(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

async function clusterInfo(port: number): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.cluster('INFO')) as string;
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}

export async function startRedisCluster(nodeTimeoutMs = 1000): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-cluster-'));
  // A node keeps its identity in its nodes-PORT.conf: started again, it rejoins (as a replica if it lost its slots).
  const startNode = (port: number) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
  const nodes: RedisClusterNode[] = [];
  const alive = new Set<number>();
  try {
    for (let i = 0; i < 6; i++) {
      const port = await clusterPort();
      nodes.push({ port, child: startNode(port) });
      alive.add(port);
    }
    const deadline = Date.now() + 10_000;
    for (const n of nodes) {
      while (!(await clusterInfo(n.port)).includes('cluster_state')) {
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
  } catch (err) {
    for (const n of nodes) n.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const waitForOk = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all([...alive].map((p) => clusterInfo(p)));
      if (infos.every((i) => i.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error('the cluster did not become ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitForOk(20_000);
  // Replicas must have synced before a test relies on them (wait=1).
  const waitForReplicas = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const links = await Promise.all(
        [...alive].map(async (port) => {
          const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
          redis.on('error', () => {});
          try {
            const info = await redis.info('replication');
            return info.includes('role:master')
              ? /connected_slaves:[1-9]/.test(info)
              : info.includes('master_link_status:up');
          } catch {
            return false;
          } finally {
            redis.disconnect();
          }
        }),
      );
      if (links.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('the cluster replicas did not sync');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitForReplicas(20_000);

  return {
    seeds: `redis-cluster://${nodes
      .slice(0, 3)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    nodes,
    primaries: async () => {
      const redis = new Redis({ port: [...alive][0] as number, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        const text = (await redis.cluster('NODES')) as string;
        return text
          .split('\n')
          .filter((l) => {
            const flags = l.split(' ')[2]?.split(',') ?? [];
            return flags.includes('master') && !flags.includes('fail');
          })
          .map((l) => Number(/:(\d+)@/.exec(l)?.[1]));
      } finally {
        redis.disconnect();
      }
    },
    kill: (port) => {
      alive.delete(port);
      nodes.find((n) => n.port === port)?.child.kill('SIGKILL');
    },
    waitForFailover: async (replica, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const redis = new Redis({ port: replica, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        redis.on('error', () => {});
        const info = await redis.info('replication').catch(() => '');
        redis.disconnect();
        if (info.includes('role:master')) break;
        if (Date.now() > deadline) throw new Error(`replica ${replica} was not promoted`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitForOk(Math.max(1, deadline - Date.now()));
    },
    replicaOf: async (port) => {
      const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        const text = (await redis.cluster('NODES')) as string;
        const lines = text.split('\n').map((l) => l.split(' '));
        const id = lines.find((f) => f[1]?.startsWith(`127.0.0.1:${port}@`))?.[0];
        const replica = lines.find((f) => f[3] === id && f[2]?.includes('slave'));
        const found = Number(/:(\d+)@/.exec(replica?.[1] ?? '')?.[1]);
        if (!found) throw new Error(`no replica of ${port}`);
        return found;
      } finally {
        redis.disconnect();
      }
    },
    cutReplication: async (primary, replica) => {
      nodes.find((n) => n.port === replica)?.child.kill('SIGSTOP');
      const redis = new Redis({ port: primary, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        await redis.client('KILL', 'TYPE', 'replica');
      } finally {
        redis.disconnect();
      }
    },
    resume: (port) => {
      nodes.find((n) => n.port === port)?.child.kill('SIGCONT');
    },
    restart: async (port) => {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no cluster node on ${port}`);
      node.child = startNode(port);
      alive.add(port);
      await waitForOk(15_000);
      await waitForReplicas(20_000);
    },
    stop: async () => {
      await Promise.all(
        nodes.map(
          (n) =>
            new Promise<void>((resolve) => {
              if (n.child.exitCode !== null || n.child.signalCode !== null) return resolve();
              n.child.once('exit', () => resolve());
              n.child.kill('SIGKILL');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
