/**
 * A PostgreSQL primary with a synchronous standby of the test's own
 * (Debian's PostgreSQL 15 tools, loopback ports, a temporary directory):
 * every commit the primary acknowledges is on the standby too. `killPrimary`
 * ends the primary's postmaster at once (SIGKILL, as a crash), `promote`
 * makes the standby a primary. The servers run as the `postgres` user when
 * the tests run as root (initdb refuses root). `stop()` ends both and
 * removes the directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const exec = promisify(execFile);
export const PG_BIN = process.env.TICKETD_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresPair {
  primaryPort: number;
  standbyPort: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` of a server. */
  url(port: number): string;
  killPrimary(): void;
  /**
   * Cuts replication: the standby's WAL receiver stops (SIGSTOP) and the
   * primary ends its WAL sender, so that nothing committed from now on
   * reaches the standby until `resumeStandby()` (SIGCONT).
   */
  cutReplication(): Promise<void>;
  resumeStandby(): void;
  promote(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;
/** The uid and gid of the `postgres` user (Debian's packages make it). */
function pgUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a PostgreSQL tool, as `postgres` when the tests run as root. */
function tool(name: string, args: string[]): Promise<{ stdout: string }> {
  const bin = join(PG_BIN, name);
  return asRoot ? exec('runuser', ['-u', 'postgres', '--', bin, ...args]) : exec(bin, args);
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `synchronous`: false builds asynchronous replication (what the test shows would be lost without it). */
export async function startPostgresPair(synchronous = true): Promise<PostgresPair> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-pg-pair-'));
  chmodSync(dir, 0o755);
  if (asRoot) {
    const { uid, gid } = pgUser();
    chownSync(dir, uid, gid);
  }
  const primary = join(dir, 'primary');
  const standby = join(dir, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const serverConf = (port: number) =>
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'wal_level = replica',
      'max_wal_senders = 4',
      'fsync = on',
      'synchronous_commit = on',
      `synchronous_standby_names = '${synchronous ? 'standby' : ''}'`,
      'shared_buffers = 32MB',
      'max_connections = 60',
    ].join('\n');
  const start = (data: string) => tool('pg_ctl', ['-D', data, '-l', join(data, 'log'), '-w', '-t', '30', 'start']);
  try {
    await tool('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-N']);
    writeFileSync(join(primary, 'postgresql.auto.conf'), `${serverConf(primaryPort)}\n`);
    writeFileSync(
      join(primary, 'pg_hba.conf'),
      'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n',
    );
    await start(primary);
    await tool('pg_basebackup', [
      '-D',
      standby,
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-X',
      'stream',
      '-R',
    ]);
    const auto = readFileSync(join(standby, 'postgresql.auto.conf'), 'utf8')
      .split('\n')
      // Promoted, the standby runs alone: it must not wait for a synchronous standby of its own.
      .filter((l) => !/^(port|primary_conninfo|synchronous_standby_names)\b/.test(l))
      .join('\n');
    writeFileSync(
      join(standby, 'postgresql.auto.conf'),
      `${auto}\nport = ${standbyPort}\nprimary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=standby'\n`,
    );
    await start(standby);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await query(url(primaryPort), 'SELECT sync_state FROM pg_stat_replication');
      if (res.rows.some((r) => r.sync_state === (synchronous ? 'sync' : 'async'))) break;
      if (Date.now() > deadline) throw new Error('the standby did not become synchronous');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await tool('pg_ctl', ['-D', standby, '-m', 'immediate', 'stop']).catch(() => {});
    await tool('pg_ctl', ['-D', primary, '-m', 'immediate', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const postmasterPid = (data: string) => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let receiver: number | undefined;
  return {
    primaryPort,
    standbyPort,
    url,
    killPrimary: () => {
      process.kill(postmasterPid(primary), 'SIGKILL');
    },
    cutReplication: async () => {
      const res = await query(url(standbyPort), 'SELECT pid FROM pg_stat_wal_receiver');
      receiver = Number(res.rows[0]?.pid);
      if (!receiver) throw new Error('the standby has no WAL receiver');
      process.kill(receiver, 'SIGSTOP');
      await query(url(primaryPort), 'SELECT pg_terminate_backend(pid) FROM pg_stat_replication');
    },
    resumeStandby: () => {
      if (receiver) process.kill(receiver, 'SIGCONT');
    },
    promote: async () => {
      await tool('pg_ctl', ['-D', standby, '-w', 'promote']);
    },
    stop: async () => {
      await tool('pg_ctl', ['-D', standby, '-m', 'immediate', 'stop']).catch(() => {});
      await tool('pg_ctl', ['-D', primary, '-m', 'immediate', 'stop']).catch(() => {});
      // A primary killed with SIGKILL leaves its children to exit on their own: they do within a second.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
