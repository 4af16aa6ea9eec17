// The limit server of the benchmark (docs/performance.md): the least code that does a
// create's and a use's essential work, so that ticketd's create and use are
// held to what a durable, encrypted ticket costs on this machine, not to what
// answering a constant costs. node:http, JSON.parse of the body, a 160-bit
// ticket, its SHA-256 as the id, the payload sealed with AES-256-GCM under a
// key derived from the ticket (SHA-256), one better-sqlite3 statement per
// request on ticketd's own table shape (migration 1), every statement of one
// event-loop turn group-committed in one transaction, each answer sent only
// after that commit, and the WAL copied back into the file by PASSIVE
// checkpoints on a thread, as any durable SQLite store serving load must
// (ticketd's src/store/sqlite/checkpointer.ts). No validation, tenancy,
// metrics or logging.
//
// Usage: node bench/limit.mjs DB_PATH [PORT]; prints {"port":N} on stdout once listening.
//   POST /v1/tickets       {"uses", "ttl", "payload"} -> {"ticket"}
//   POST /v1/tickets/use   {"ticket"}                 -> {"uses":0,"payload":...} (its tickets have one use)
//   POST /seed             {"n"}                      -> ["ticket", ...] (untimed: fills the pool for use)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

const path = process.argv[2] ?? ':memory:';
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 16384');
if (path !== ':memory:') {
  const checkpoints = `
    const { workerData } = require('node:worker_threads');
    const db = new (require(workerData.driver))(workerData.path);
    setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, 200);`;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  new Worker(checkpoints, { eval: true, workerData: { driver, path } }).unref();
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
  'DELETE FROM tickets WHERE id = ? AND (expires_at IS NULL OR expires_at > ?) RETURNING uses_left, payload',
);
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');

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

function newTicket(now, uses, ttl, payload) {
  const ticket = randomBytes(20).toString('base64').slice(0, 27);
  const sealed = payload === undefined ? null : seal(ticket, JSON.stringify(payload));
  insert.run(sha256(ticket), 'default', uses || null, ttl ? now + ttl * 1000 : null, now, sealed);
  return ticket;
}

let queue = [];
function groupCommit() {
  const batch = queue;
  queue = [];
  begin.run();
  const results = batch.map(([step]) => step());
  commit.run();
  for (let i = 0; i < batch.length; i++) batch[i][1](results[i]);
}
const write = (step, done) => {
  if (queue.length === 0) setImmediate(groupCommit);
  queue.push([step, done]);
};

const HEADERS = { 'content-type': 'application/json; charset=utf-8' };
function answer(res, status, text) {
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const now = Date.now();
    if (req.url === '/v1/tickets') {
      write(
        () => newTicket(now, body.uses ?? 1, body.ttl ?? 60, body.payload),
        (ticket) => answer(res, 200, `{"ticket":"${ticket}"}`),
      );
    } else if (req.url === '/v1/tickets/use') {
      const ticket = String(body.ticket);
      write(
        () => take.get(sha256(ticket), now),
        (row) =>
          row
            ? answer(res, 200, `{"uses":0,"payload":${row.payload ? open(ticket, row.payload) : 'null'}}`)
            : answer(res, 404, '{"code":102011,"error":"ticket not found"}'),
      );
    } else if (req.url === '/seed') {
      const tickets = db.transaction(() => Array.from({ length: body.n }, () => newTicket(now, 1, 3600, body.payload)));
      answer(res, 200, JSON.stringify(tickets()));
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
