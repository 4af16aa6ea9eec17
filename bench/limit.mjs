// The limit server of the benchmark (docs/performance.md): the least code that does a
// create's and a use's essential work, so that ticketd's create and use are
// held to what a durable, encrypted ticket costs on this machine, not to what
// answering a constant costs. node:http, JSON.parse of the body, a 160-bit
// ticket, its SHA-256 as the id, the payload sealed with AES-256-GCM under a
// key derived from the ticket (SHA-256), and one store step per request,
// answered only after the store has it. No validation, tenancy, metrics or
// logging.
//
// On SQLite (the bar of SQLite's create and use): one better-sqlite3 statement
// per request on ticketd's own table shape (migration 1), every statement of
// one event-loop turn group-committed in one transaction, and the WAL copied
// back into the file by PASSIVE checkpoints on a thread, as any durable SQLite
// store serving load must (ticketd's src/store/sqlite/checkpointer.ts).
// On PostgreSQL: the creates of one event-loop turn as one INSERT and the uses
// as one DELETE … RETURNING (one statement in flight per kind, the next batch
// gathering meanwhile), on a table of the schema the URL names. On Redis: one
// script per request (HSET+PEXPIRE, HGET+DEL), auto-pipelined, under the
// URL's key prefix. The PostgreSQL and Redis limits hold no bar: they show
// what the least code reaches on that store in the same run.
//
// Usage: node bench/limit.mjs STORE [PORT], STORE a SQLite file path,
// postgres://…?schema=S or redis://…?prefix=P; prints {"port":N} on stdout once listening.
//   POST /v1/tickets       {"uses", "ttl", "payload"} -> {"ticket"}
//   POST /v1/tickets/use   {"ticket"}                 -> {"uses":0,"payload":...} (its tickets have one use)
//   POST /seed             {"n"}                      -> ["ticket", ...] (untimed: fills the pool for use)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const store = process.argv[2] ?? ':memory:';

const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const keyOf = (ticket) => sha256('payload ', ticket);

function seal(ticket, text) {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyOf(ticket), iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

function open(ticket, sealed) {
  const d = createDecipheriv('aes-256-gcm', keyOf(ticket), sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return d.update(sealed.subarray(12, sealed.length - 16), undefined, 'utf8') + d.final('utf8');
}

/** A new ticket's row: [ticket, id, uses, expiresAt, createdAt, sealed payload]. */
function newTicket(now, uses, ttl, payload) {
  const ticket = randomBytes(20).toString('base64').slice(0, 27);
  const sealed = payload === undefined ? null : seal(ticket, JSON.stringify(payload));
  return { ticket, id: sha256(ticket), uses: uses || null, expiresAt: ttl ? now + ttl * 1000 : null, now, sealed };
}

/**
 * A backend: `create(rows)` writes a batch of new tickets, `use(ids, now)`
 * takes a batch of tickets and answers each one's sealed payload (or
 * undefined: not there); both resolve once the store has it.
 */
/**
 * The same SQLite driver ticketd would pick (src/store/sqlite/driver.ts):
 * TICKETD_SQLITE_DRIVER, else better-sqlite3 where it loads, else node:sqlite.
 * Answers the few calls made here.
 */
async function openSqliteDriver(path) {
  const wanted = process.env.TICKETD_SQLITE_DRIVER || 'auto';
  if (wanted !== 'node:sqlite') {
    try {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path);
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      return {
        db,
        pragma: (t) => db.pragma(t),
        worker: `const db = new (require(${JSON.stringify(driver)}))(workerData.path);`,
      };
    } catch (err) {
      if (wanted === 'better-sqlite3') throw err;
    }
  }
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path);
  return {
    db,
    pragma: (t) => db.exec(`PRAGMA ${t}`),
    worker: `const d = new (require('node:sqlite').DatabaseSync)(workerData.path);
      const db = { pragma: (t) => d.exec('PRAGMA ' + t) };`,
  };
}

async function sqliteBackend(path) {
  const { db, pragma, worker } = await openSqliteDriver(path);
  pragma('journal_mode = WAL');
  pragma('synchronous = NORMAL');
  pragma('wal_autocheckpoint = 16384');
  if (path !== ':memory:') {
    const checkpoints = `
      const { workerData } = require('node:worker_threads');
      ${worker}
      setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, 200);`;
    new Worker(checkpoints, { eval: true, workerData: { path } }).unref();
  }
  db.exec(`
    CREATE TABLE IF NOT EXISTS tickets (
      id BLOB NOT NULL UNIQUE, tenant TEXT NOT NULL, uses_left INTEGER, expires_at INTEGER,
      created_at INTEGER NOT NULL, payload BLOB);
    CREATE INDEX IF NOT EXISTS tickets_expiry ON tickets (expires_at) WHERE expires_at IS NOT NULL;`);
  const insert = db.prepare(
    'INSERT INTO tickets (id, tenant, uses_left, expires_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const take = db.prepare(
    'DELETE FROM tickets WHERE id = ? AND (expires_at IS NULL OR expires_at > ?) RETURNING payload',
  );
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  // One transaction per event-loop turn, each statement run as its request arrives.
  let pending = [];
  const groupCommit = () => {
    const batch = pending;
    pending = [];
    begin.run();
    const results = batch.map(([step]) => step());
    commit.run();
    for (let i = 0; i < batch.length; i++) batch[i][1](results[i]);
  };
  const step = (fn) =>
    new Promise((resolve) => {
      if (pending.length === 0) setImmediate(groupCommit);
      pending.push([fn, resolve]);
    });
  const write = (r) => insert.run(r.id, 'default', r.uses, r.expiresAt, r.now, r.sealed);
  return {
    batched: false,
    create: ([r]) => step(() => write(r)),
    use: ([id], now) => step(() => [take.get(id, now)?.payload]),
    seed: (rows) => {
      begin.run();
      rows.forEach(write);
      commit.run();
    },
  };
}

async function postgresBackend(url) {
  const pg = (await import('pg')).default;
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'ticketd_bench_limit';
  u.searchParams.delete('schema');
  const pool = new pg.Pool({ connectionString: u.toString(), max: 10 });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const table = `"${schema}".tickets`;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
    id bytea PRIMARY KEY, tenant text NOT NULL, uses_left integer, expires_at bigint,
    created_at bigint NOT NULL, payload bytea)`);
  const insert = (rows) =>
    pool.query(
      `INSERT INTO ${table} (id, tenant, uses_left, expires_at, created_at, payload)
       SELECT * FROM unnest($1::bytea[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bytea[])`,
      [
        rows.map((r) => r.id),
        rows.map(() => 'default'),
        rows.map((r) => r.uses),
        rows.map((r) => r.expiresAt),
        rows.map((r) => r.now),
        rows.map((r) => r.sealed),
      ],
    );
  return {
    batched: true,
    create: insert,
    async use(ids, now) {
      const { rows } = await pool.query(
        `DELETE FROM ${table} WHERE id = ANY($1) AND (expires_at IS NULL OR expires_at > $2) RETURNING id, payload`,
        [ids, now],
      );
      const found = new Map(rows.map((r) => [r.id.toString('hex'), r.payload]));
      return ids.map((id) => (found.has(id.toString('hex')) ? found.get(id.toString('hex')) : undefined));
    },
    async seed(rows) {
      for (let i = 0; i < rows.length; i += 5_000) await insert(rows.slice(i, i + 5_000));
    },
  };
}

async function redisBackend(url) {
  const { Redis } = await import('ioredis');
  const u = new URL(url);
  const prefix = u.searchParams.get('prefix') ?? 'ticketd-bench-limit:';
  u.searchParams.delete('prefix');
  const redis = new Redis(u.toString(), { enableAutoPipelining: true });
  redis.defineCommand('put', {
    numberOfKeys: 1,
    lua: `redis.call('HSET', KEYS[1], 'u', ARGV[1], 'p', ARGV[2])
      if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
      return 1`,
  });
  redis.defineCommand('take', {
    numberOfKeys: 1,
    lua: `local p = redis.call('HGET', KEYS[1], 'p')
      if not p then return false end
      redis.call('DEL', KEYS[1])
      return p`,
  });
  const keyFor = (id) => `${prefix}t:${id.toString('hex')}`;
  const put = (r) => redis.put(keyFor(r.id), String(r.uses ?? ''), r.sealed ?? '', String(r.expiresAt ?? ''));
  return {
    batched: false,
    create: ([r]) => put(r),
    use: async ([id]) => {
      const p = await redis.takeBuffer(keyFor(id));
      return [p === null ? undefined : p.length === 0 ? null : p];
    },
    seed: (rows) => Promise.all(rows.map(put)),
  };
}

const backend = store.startsWith('postgres')
  ? await postgresBackend(store)
  : store.startsWith('redis')
    ? await redisBackend(store)
    : await sqliteBackend(store);

/**
 * A batched backend's steps of one event-loop turn go as one call, one call of
 * each kind in flight at a time; the others' go one by one.
 */
function batcher(run) {
  if (!backend.batched) return (item, now) => run([item], now).then((results) => results?.[0]);
  let gathering = [];
  let inFlight = false;
  const flush = async () => {
    const batch = gathering;
    gathering = [];
    inFlight = true;
    try {
      const results = await run(
        batch.map(([item]) => item),
        Date.now(),
      );
      for (let i = 0; i < batch.length; i++) batch[i][1](results?.[i]);
    } finally {
      inFlight = false;
      if (gathering.length > 0) setImmediate(flush);
    }
  };
  return (item) =>
    new Promise((resolve) => {
      if (gathering.length === 0 && !inFlight) setImmediate(flush);
      gathering.push([item, resolve]);
    });
}
const create = batcher((rows) => backend.create(rows));
const use = batcher((ids, now) => backend.use(ids, now));

const HEADERS = { 'content-type': 'application/json; charset=utf-8' };
function answer(res, status, text) {
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const now = Date.now();
    if (req.url === '/v1/tickets') {
      const row = newTicket(now, body.uses ?? 1, body.ttl ?? 60, body.payload);
      await create(row, now);
      answer(res, 200, `{"ticket":"${row.ticket}"}`);
    } else if (req.url === '/v1/tickets/use') {
      const ticket = String(body.ticket);
      const sealed = await use(sha256(ticket), now);
      if (sealed === undefined) answer(res, 404, '{"code":102011,"error":"ticket not found"}');
      else answer(res, 200, `{"uses":0,"payload":${sealed ? open(ticket, sealed) : 'null'}}`);
    } else if (req.url === '/seed') {
      const rows = Array.from({ length: body.n }, () => newTicket(now, 1, 3600, body.payload));
      await backend.seed(rows);
      answer(res, 200, JSON.stringify(rows.map((r) => r.ticket)));
    } else {
      answer(res, 404, '{}');
    }
  });
});
server.keepAliveTimeout = 72_000;

server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
