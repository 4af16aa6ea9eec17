import { MemoryStore } from './memory/index.js';
import { PostgresStore } from './postgres/index.js';
import { RedisStore } from './redis/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

/** Picks the backend a store URL names (admin.md): `sqlite:PATH`, `memory:`, ... */
export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) return new SqliteStore(url.slice('sqlite:'.length) || './data/ticketd.db');
  if (url.startsWith('memory:')) return new MemoryStore();
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return new PostgresStore(url);
  if (url.startsWith('redis:') || url.startsWith('rediss:')) return new RedisStore(url);
  throw new Error(
    `store ${redactUrl(url)} is not supported by this build (supported: sqlite:, memory:, postgres://, redis://)`,
  );
}

/** A store URL as it may appear in logs: without its password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
