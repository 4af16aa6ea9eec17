/**
 * Versioned schema of the PostgreSQL store. Append new versions; never edit a
 * released one. `migrate()` applies every pending version in one transaction
 * under a transaction-level advisory lock, together with the rows that record
 * them in `schema_migrations`, so processes starting at once apply each
 * version exactly once.
 *
 * Every name is qualified with the store's schema (`s`, already quoted), also
 * inside function bodies, so nothing depends on the connection's search_path.
 *
 * Lock order, which keeps the functions free of deadlocks: ticket rows first,
 * then tenant rows (several tenant rows in name order). Nobody waits for a
 * ticket row while holding a tenant row.
 */
export interface Migration {
  version: number;
  sql: (s: string) => string;
}

/** How many expired tickets of a tenant at its limit one create reclaims at most. */
export const RECLAIM_BATCH = 1000;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.tenants (
        name          text PRIMARY KEY,
        settings      jsonb NOT NULL,
        created_at    bigint NOT NULL,
        -- tickets rows of this tenant (live or expired-but-unpurged): the O(1) limit check
        live_tickets  bigint NOT NULL DEFAULT 0
      ) WITH (fillfactor = 50);

      CREATE TABLE ${s}.tickets (
        id          bytea PRIMARY KEY,
        tenant      text NOT NULL,
        uses_left   integer CHECK (uses_left > 0),
        expires_at  bigint,
        created_at  bigint NOT NULL,
        payload     bytea
      ) WITH (fillfactor = 90);
      -- purge: oldest expiry first, across tenants
      CREATE INDEX tickets_expiry ON ${s}.tickets (expires_at) WHERE expires_at IS NOT NULL;
      -- reclaim at the limit: one tenant's expired tickets
      CREATE INDEX tickets_tenant_expiry ON ${s}.tickets (tenant, expires_at) WHERE expires_at IS NOT NULL;

      -- Inserts a ticket unless the tenant holds p_max tickets (0: no limit).
      -- Fast path: one conditional UPDATE of the counter row; the row lock it
      -- takes serialises concurrent creates of the tenant until commit. At
      -- the limit: delete the tenant's expired tickets (waiting for rows other
      -- transactions hold, so none is counted that is about to go), then
      -- decide on the locked counter row.
      CREATE FUNCTION ${s}.create_ticket(
        p_tenant text, p_id bytea, p_uses integer, p_expires bigint, p_created bigint, p_payload bytea,
        p_max bigint, p_now bigint
      ) RETURNS text LANGUAGE plpgsql AS $fn$
      DECLARE
        v_live bigint;
        v_freed bigint;
      BEGIN
        UPDATE ${s}.tenants SET live_tickets = live_tickets + 1
         WHERE name = p_tenant AND (p_max = 0 OR live_tickets < p_max);
        IF NOT FOUND THEN
          WITH gone AS (
            DELETE FROM ${s}.tickets WHERE id = ANY (ARRAY(
              SELECT id FROM ${s}.tickets
               WHERE tenant = p_tenant AND expires_at <= p_now
               ORDER BY expires_at LIMIT ${RECLAIM_BATCH} FOR UPDATE))
            RETURNING 1)
          SELECT count(*) INTO v_freed FROM gone;

          SELECT live_tickets INTO v_live FROM ${s}.tenants WHERE name = p_tenant FOR UPDATE;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'tenant % does not exist', p_tenant;
          END IF;
          v_live := v_live - v_freed;
          IF p_max <> 0 AND v_live >= p_max THEN
            IF v_freed > 0 THEN
              UPDATE ${s}.tenants SET live_tickets = v_live WHERE name = p_tenant;
            END IF;
            RETURN 'limit';
          END IF;
          UPDATE ${s}.tenants SET live_tickets = v_live + 1 WHERE name = p_tenant;
        END IF;
        INSERT INTO ${s}.tickets (id, tenant, uses_left, expires_at, created_at, payload)
        VALUES (p_id, p_tenant, p_uses, p_expires, p_created, p_payload);
        RETURN 'created';
      END
      $fn$;

      -- Takes one use of a live ticket. The row lock (FOR UPDATE) makes
      -- concurrent uses of one ticket queue up; each sees the uses the one
      -- before it left, and a waiter finds no row once the ticket is gone.
      -- No row: unknown, expired, used up, deleted, or another tenant's.
      CREATE FUNCTION ${s}.use_ticket(p_tenant text, p_id bytea, p_now bigint)
      RETURNS TABLE (left_uses integer, sealed bytea) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_uses integer;
        v_payload bytea;
      BEGIN
        SELECT t.uses_left, t.payload INTO v_uses, v_payload FROM ${s}.tickets t
         WHERE t.id = p_id AND t.tenant = p_tenant AND (t.expires_at IS NULL OR t.expires_at > p_now)
         FOR UPDATE;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        IF v_uses IS NULL THEN
          NULL; -- unlimited
        ELSIF v_uses > 1 THEN
          v_uses := v_uses - 1;
          UPDATE ${s}.tickets SET uses_left = v_uses WHERE id = p_id;
        ELSE
          v_uses := 0;
          DELETE FROM ${s}.tickets WHERE id = p_id;
          UPDATE ${s}.tenants SET live_tickets = live_tickets - 1 WHERE name = p_tenant;
        END IF;
        left_uses := v_uses;
        sealed := v_payload;
        RETURN NEXT;
      END
      $fn$;

      -- Removes up to p_limit expired tickets, oldest expiry first, through
      -- tickets_expiry; the ids are collected first (ARRAY(...)) so that the
      -- DELETE finds them through the primary key, never by a scan (an
      -- "id IN (subquery)" may be planned as a hash join over the whole
      -- table). SKIP LOCKED: concurrent purgers take disjoint rows and
      -- never wait for each other or for a use in flight. Counters are then
      -- lowered one tenant at a time in name order.
      CREATE FUNCTION ${s}.purge_tickets(p_now bigint, p_limit integer)
      RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        v_tenants text[];
        v_counts bigint[];
      BEGIN
        WITH gone AS (
          DELETE FROM ${s}.tickets WHERE id = ANY (ARRAY(
            SELECT id FROM ${s}.tickets WHERE expires_at <= p_now
             ORDER BY expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED))
          RETURNING tenant),
        per_tenant AS (SELECT tenant, count(*) AS n FROM gone GROUP BY tenant)
        SELECT array_agg(tenant ORDER BY tenant), array_agg(n ORDER BY tenant)
          INTO v_tenants, v_counts FROM per_tenant;
        IF v_tenants IS NULL THEN
          RETURN 0;
        END IF;
        FOR i IN 1 .. array_length(v_tenants, 1) LOOP
          UPDATE ${s}.tenants SET live_tickets = live_tickets - v_counts[i] WHERE name = v_tenants[i];
        END LOOP;
        RETURN (SELECT sum(n) FROM unnest(v_counts) AS n);
      END
      $fn$;
    `,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
