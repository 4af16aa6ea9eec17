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
 * The ticket count of a tenant (live and expired-but-unpurged tickets) is
 *   tenants.ticket_count + sum(ticket_count_slots.delta) over its SLOTS rows.
 * Creates under a limit change `tenants.ticket_count`: its row lock is what
 * serialises them, so the limit holds exactly. Everything else (uses that
 * remove a ticket, deletes, purges, creates without a limit) changes one
 * slot row, picked by the ticket id, so that concurrent uses of different
 * tickets do not queue up on one row per tenant. Reading the count is a sum
 * over SLOTS rows: O(1).
 *
 * Lock order, which keeps the functions free of deadlocks: ticket rows first,
 * then the tenant's row, then slot rows (several tenants in name order).
 * Nobody waits for a ticket row while holding a tenant or slot row, and
 * nobody waits for a tenant row while holding a slot row (one exception,
 * delete_tenant of version 2, is described there). The profile tables of
 * version 2: session rows (login tickets, persistent logins) before profile
 * rows. The Oz tables of version 3: grant rows before app rows, and Oz rows
 * after every other kind (only delete_tenant holds others when it takes them).
 */
export interface Migration {
  version: number;
  sql: (s: string) => string;
}

/** How many expired tickets of a tenant at its limit one create reclaims at most. */
export const RECLAIM_BATCH = 1000;

/** Counter slots per tenant. */
export const SLOTS = 16;

/** The slot of a ticket, as an SQL expression of its id (ids are SHA-256: uniform bytes). */
export const slotOf = (id: string) => `get_byte(${id}, 0) % ${SLOTS}`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.tenants (
        name          text PRIMARY KEY,
        settings      jsonb NOT NULL,
        created_at    bigint NOT NULL,
        -- the part of the ticket count kept by creates under a limit (see above)
        ticket_count  bigint NOT NULL DEFAULT 0
      ) WITH (fillfactor = 50);

      -- the rest of the ticket count, spread over ${SLOTS} rows per tenant (created by putTenant)
      CREATE TABLE ${s}.ticket_count_slots (
        tenant  text NOT NULL,
        slot    smallint NOT NULL,
        delta   bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, slot)
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
      -- Without a limit: one slot row changes. Under a limit, fast path: one
      -- conditional UPDATE of the tenant row (the O(1) check; its row lock
      -- serialises the tenant's limited creates until commit). At the limit:
      -- delete the tenant's expired tickets (waiting for rows other
      -- transactions hold, so that none is counted that is about to go), then
      -- decide again on the locked tenant row with a fresh look at the slots.
      CREATE FUNCTION ${s}.create_ticket(
        p_tenant text, p_id bytea, p_uses integer, p_expires bigint, p_created bigint, p_payload bytea,
        p_max bigint, p_now bigint
      ) RETURNS text LANGUAGE plpgsql AS $fn$
      DECLARE
        v_base bigint;
        v_delta bigint;
        v_freed bigint;
      BEGIN
        IF p_max = 0 THEN
          UPDATE ${s}.ticket_count_slots SET delta = delta + 1
           WHERE tenant = p_tenant AND slot = ${slotOf('p_id')};
          IF NOT FOUND THEN
            RAISE EXCEPTION 'tenant % does not exist', p_tenant;
          END IF;
        ELSE
          UPDATE ${s}.tenants SET ticket_count = ticket_count + 1
           WHERE name = p_tenant
             AND ticket_count + (SELECT coalesce(sum(delta), 0) FROM ${s}.ticket_count_slots WHERE tenant = p_tenant)
                 < p_max;
          IF NOT FOUND THEN
            WITH gone AS (
              DELETE FROM ${s}.tickets WHERE id = ANY (ARRAY(
                SELECT id FROM ${s}.tickets
                 WHERE tenant = p_tenant AND expires_at <= p_now
                 ORDER BY expires_at LIMIT ${RECLAIM_BATCH} FOR UPDATE))
              RETURNING 1)
            SELECT count(*) INTO v_freed FROM gone;

            SELECT ticket_count INTO v_base FROM ${s}.tenants WHERE name = p_tenant FOR UPDATE;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'tenant % does not exist', p_tenant;
            END IF;
            SELECT coalesce(sum(delta), 0) INTO v_delta FROM ${s}.ticket_count_slots WHERE tenant = p_tenant;
            v_base := v_base - v_freed;
            IF v_base + v_delta >= p_max THEN
              IF v_freed > 0 THEN
                UPDATE ${s}.tenants SET ticket_count = v_base WHERE name = p_tenant;
              END IF;
              RETURN 'limit';
            END IF;
            UPDATE ${s}.tenants SET ticket_count = v_base + 1 WHERE name = p_tenant;
          END IF;
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
          UPDATE ${s}.ticket_count_slots SET delta = delta - 1
           WHERE tenant = p_tenant AND slot = ${slotOf('p_id')};
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
      -- table). SKIP LOCKED: concurrent purgers take disjoint rows and never
      -- wait for each other or for a use in flight. Then one slot row per
      -- tenant is lowered, tenants in name order.
      CREATE FUNCTION ${s}.purge_tickets(p_now bigint, p_limit integer)
      RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        v_tenants text[];
        v_counts bigint[];
        v_slot smallint := floor(random() * ${SLOTS});
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
          UPDATE ${s}.ticket_count_slots SET delta = delta - v_counts[i]
           WHERE tenant = v_tenants[i] AND slot = v_slot;
        END LOOP;
        RETURN (SELECT sum(n) FROM unnest(v_counts) AS n);
      END
      $fn$;
    `,
  },
  {
    // The profile surface (parts/profiles.ts). Times are epoch ms (bigint),
    // hashed ids 32-byte bytea, JSON values jsonb (as json.ts encodes them),
    // meta values UTF-8 bytea (text cannot hold U+0000). No foreign keys, as
    // on the other backends: the deletes below name every table they clear.
    version: 2,
    sql: (s) => `
      CREATE TABLE ${s}.profiles (
        id                     text PRIMARY KEY,
        tenant                 text NOT NULL,
        -- "C": usernames compare and sort by their bytes, whatever the database's collation
        username               text COLLATE "C" NOT NULL,
        email                  text NOT NULL,
        password_hash          text,
        enabled                boolean NOT NULL,
        verified               boolean NOT NULL,
        roles                  jsonb NOT NULL,
        attributes             jsonb NOT NULL,
        created_on             bigint NOT NULL,
        last_modified          bigint NOT NULL,
        failed_login_attempts  integer NOT NULL DEFAULT 0,
        last_failed_login      bigint,
        locked_until           bigint
      ) WITH (fillfactor = 90); -- room for HOT updates of the lockout counters
      -- usernames are unique per tenant (createProfile and renames rely on it);
      -- also lists a tenant's profiles by username and serves deleteTenant
      CREATE UNIQUE INDEX profiles_tenant_username ON ${s}.profiles (tenant, username);

      CREATE TABLE ${s}.login_tickets (
        id                 bytea PRIMARY KEY,
        tenant             text NOT NULL,
        profile_id         text NOT NULL,
        last_request_time  bigint NOT NULL,
        expires_at         bigint NOT NULL
      );
      CREATE INDEX login_tickets_expiry ON ${s}.login_tickets (expires_at);
      CREATE INDEX login_tickets_profile ON ${s}.login_tickets (profile_id);
      CREATE INDEX login_tickets_tenant ON ${s}.login_tickets (tenant);

      CREATE TABLE ${s}.persistent_logins (
        id          bytea PRIMARY KEY,
        tenant      text NOT NULL,
        profile_id  text NOT NULL,
        token       bytea NOT NULL,
        timestamp   bigint NOT NULL,
        expires_at  bigint NOT NULL
      );
      CREATE INDEX persistent_logins_expiry ON ${s}.persistent_logins (expires_at);
      CREATE INDEX persistent_logins_profile ON ${s}.persistent_logins (profile_id);
      CREATE INDEX persistent_logins_tenant ON ${s}.persistent_logins (tenant);

      CREATE TABLE ${s}.access_tokens (
        id                  bytea PRIMARY KEY,
        id_prefix           text NOT NULL,
        application         text NOT NULL,
        master              boolean NOT NULL,
        tenant_permissions  jsonb NOT NULL,
        expires_on          bigint,
        created_on          bigint NOT NULL
      );

      CREATE TABLE ${s}.meta (
        key    text PRIMARY KEY,
        value  bytea NOT NULL
      );

      -- deleteTenant finds a tenant's opaque tickets without a scan
      -- (tickets_tenant_expiry only holds those that expire)
      CREATE INDEX tickets_tenant ON ${s}.tickets (tenant);

      -- Removes a profile with its sessions: sessions first, then the profile
      -- row, the order delete_tenant takes them in too.
      CREATE FUNCTION ${s}.delete_profile(p_id text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM ${s}.login_tickets WHERE profile_id = p_id;
        DELETE FROM ${s}.persistent_logins WHERE profile_id = p_id;
        DELETE FROM ${s}.profiles WHERE id = p_id;
        RETURN FOUND;
      END
      $fn$;

      -- Removes a tenant with everything of it, in one transaction, taking
      -- locks in the order of the ticket functions (ticket rows, the tenant's
      -- row, slot rows). A create of a ticket holds the tenant's row (under a
      -- limit) or one of its slot rows (without) from before its INSERT until
      -- it commits, so once both are deleted here no create of this tenant is
      -- in flight and none can start (each finds no row and raises): the
      -- second DELETE of tickets, with a fresh snapshot, takes those that
      -- committed meanwhile, and no ticket of the tenant outlives it (a later
      -- tenant of the same name starts with no stray ticket and right counters).
      -- That second DELETE is the one place that may wait for a ticket row
      -- while holding slot rows: only for a ticket created while this ran,
      -- used at the same moment down to 0 (its use then waits for a slot row);
      -- the server aborts one of the two as a deadlock and the store runs it
      -- again. Each statement goes through an index on tenant.
      CREATE FUNCTION ${s}.delete_tenant(p_name text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        v_found boolean;
      BEGIN
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.tenants WHERE name = p_name;
        v_found := FOUND;
        DELETE FROM ${s}.ticket_count_slots WHERE tenant = p_name;
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.login_tickets WHERE tenant = p_name;
        DELETE FROM ${s}.persistent_logins WHERE tenant = p_name;
        DELETE FROM ${s}.profiles WHERE tenant = p_name;
        RETURN v_found;
      END
      $fn$;

      -- Sets a meta value unless the key has one and returns the key's value.
      -- ON CONFLICT DO NOTHING waits for a concurrent insert of the key to
      -- commit; the SELECT then runs with a fresh snapshot (a plpgsql
      -- statement in READ COMMITTED) and sees the winner. In one statement
      -- (a CTE) it could not: the statement's snapshot predates the winner.
      CREATE FUNCTION ${s}.put_meta_if_absent(p_key text, p_value bytea) RETURNS bytea LANGUAGE plpgsql AS $fn$
      DECLARE
        v_value bytea;
      BEGIN
        INSERT INTO ${s}.meta (key, value) VALUES (p_key, p_value)
        ON CONFLICT (key) DO NOTHING
        RETURNING value INTO v_value;
        IF NOT FOUND THEN
          SELECT value INTO v_value FROM ${s}.meta WHERE key = p_key;
        END IF;
        RETURN v_value;
      END
      $fn$;
    `,
  },
  {
    // The Oz surface (parts/apps.ts, grants.ts, nonces.ts). Ids compare and sort
    // by their bytes (COLLATE "C"), as listApps and the tie-break of
    // listGrants need. Nonces are kept as the SHA-256 of the credential id and
    // of the nonce: both come from a Hawk header (a sealed ticket id runs to
    // hundreds of characters, and either may hold U+0000, which text cannot),
    // so the key is 64 bytes whatever the client sent.
    version: 3,
    sql: (s) => `
      CREATE TABLE ${s}.oz_apps (
        id              text COLLATE "C" PRIMARY KEY,
        tenant          text NOT NULL,
        key             text NOT NULL,
        algorithm       text NOT NULL,
        scope           jsonb NOT NULL,
        delegate        boolean NOT NULL,
        ext_attributes  jsonb NOT NULL,
        created_on      bigint NOT NULL
      );
      -- listApps of one tenant, in id order; deleteTenant
      CREATE INDEX oz_apps_tenant ON ${s}.oz_apps (tenant, id);

      CREATE TABLE ${s}.oz_grants (
        id          text COLLATE "C" PRIMARY KEY,
        tenant      text NOT NULL,
        app         text COLLATE "C" NOT NULL,
        user_id     text NOT NULL,
        scope       jsonb NOT NULL,
        exp         bigint NOT NULL,
        session     bytea,
        created_on  bigint NOT NULL
      );
      -- purgeGrants: oldest exp first
      CREATE INDEX oz_grants_exp ON ${s}.oz_grants (exp);
      -- listGrants newest first (created_on DESC, id DESC), by app or by
      -- user; deleteApp and deleteGrantsOfUser find the grants through them
      CREATE INDEX oz_grants_app ON ${s}.oz_grants (app, created_on, id);
      CREATE INDEX oz_grants_user ON ${s}.oz_grants (user_id, created_on, id);
      -- listGrants without a filter
      CREATE INDEX oz_grants_created ON ${s}.oz_grants (created_on, id);

      CREATE TABLE ${s}.oz_nonces (
        credential_id  bytea NOT NULL,  -- SHA-256 of the Hawk credentials id
        nonce          bytea NOT NULL,  -- SHA-256 of the nonce
        expires_at     bigint NOT NULL,
        PRIMARY KEY (credential_id, nonce)
      );
      -- purgeNonces: oldest expiry first
      CREATE INDEX oz_nonces_expiry ON ${s}.oz_nonces (expires_at);

      -- delete_tenant of version 2, now also removing the tenant's Oz apps
      -- with their grants (through oz_apps_tenant and oz_grants_app), last:
      -- no other operation takes an Oz row and then a ticket, tenant or
      -- profile row, so the lock order stays free of cycles.
      CREATE OR REPLACE FUNCTION ${s}.delete_tenant(p_name text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        v_found boolean;
      BEGIN
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.tenants WHERE name = p_name;
        v_found := FOUND;
        DELETE FROM ${s}.ticket_count_slots WHERE tenant = p_name;
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.login_tickets WHERE tenant = p_name;
        DELETE FROM ${s}.persistent_logins WHERE tenant = p_name;
        DELETE FROM ${s}.profiles WHERE tenant = p_name;
        DELETE FROM ${s}.oz_grants WHERE app IN (SELECT id FROM ${s}.oz_apps WHERE tenant = p_name);
        DELETE FROM ${s}.oz_apps WHERE tenant = p_name;
        RETURN v_found;
      END
      $fn$;
    `,
  },
  {
    // purge_tickets of version 1, answering per tenant (the console's live
    // view counts expired tickets per tenant). Version 1's function stays
    // for instances still running an earlier ticketd.
    version: 4,
    sql: (s) => `
      CREATE FUNCTION ${s}.purge_tickets_by_tenant(p_now bigint, p_limit integer)
      RETURNS TABLE (tenant text, n bigint) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_tenants text[];
        v_counts bigint[];
        v_slot smallint := floor(random() * ${SLOTS});
      BEGIN
        WITH gone AS (
          DELETE FROM ${s}.tickets WHERE id = ANY (ARRAY(
            SELECT id FROM ${s}.tickets WHERE expires_at <= p_now
             ORDER BY expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED))
          RETURNING tickets.tenant),
        per_tenant AS (SELECT gone.tenant, count(*) AS n FROM gone GROUP BY gone.tenant)
        SELECT array_agg(per_tenant.tenant ORDER BY per_tenant.tenant), array_agg(per_tenant.n ORDER BY per_tenant.tenant)
          INTO v_tenants, v_counts FROM per_tenant;
        IF v_tenants IS NULL THEN
          RETURN;
        END IF;
        FOR i IN 1 .. array_length(v_tenants, 1) LOOP
          UPDATE ${s}.ticket_count_slots SET delta = delta - v_counts[i]
           WHERE ticket_count_slots.tenant = v_tenants[i] AND slot = v_slot;
          tenant := v_tenants[i];
          n := v_counts[i];
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    // One table for both kinds of profile session (parts/sessions.ts), with
    // the time each was created; the two tables of version 2 move into it,
    // and delete_profile and delete_tenant clear it instead. Instances of an
    // earlier ticketd cannot serve sessions once this ran: stop them first.
    version: 5,
    sql: (s) => `
      CREATE TABLE ${s}.sessions (
        id          bytea PRIMARY KEY,
        kind        text NOT NULL,
        tenant      text NOT NULL,
        profile_id  text NOT NULL,
        token       bytea,
        created_at  bigint NOT NULL,
        touched_at  bigint NOT NULL,
        expires_at  bigint NOT NULL
      );
      CREATE INDEX sessions_expiry ON ${s}.sessions (expires_at);
      CREATE INDEX sessions_profile ON ${s}.sessions (profile_id);
      CREATE INDEX sessions_tenant ON ${s}.sessions (tenant);
      INSERT INTO ${s}.sessions (id, kind, tenant, profile_id, token, created_at, touched_at, expires_at)
        SELECT id, 'login', tenant, profile_id, NULL, last_request_time, last_request_time, expires_at
          FROM ${s}.login_tickets;
      INSERT INTO ${s}.sessions (id, kind, tenant, profile_id, token, created_at, touched_at, expires_at)
        SELECT id, 'persistent', tenant, profile_id, token, timestamp, timestamp, expires_at
          FROM ${s}.persistent_logins;
      DROP TABLE ${s}.login_tickets;
      DROP TABLE ${s}.persistent_logins;

      CREATE OR REPLACE FUNCTION ${s}.delete_profile(p_id text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM ${s}.sessions WHERE profile_id = p_id;
        DELETE FROM ${s}.profiles WHERE id = p_id;
        RETURN FOUND;
      END
      $fn$;

      -- delete_tenant of version 3 (see there for its lock order), on the sessions table.
      CREATE OR REPLACE FUNCTION ${s}.delete_tenant(p_name text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        v_found boolean;
      BEGIN
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.tenants WHERE name = p_name;
        v_found := FOUND;
        DELETE FROM ${s}.ticket_count_slots WHERE tenant = p_name;
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.sessions WHERE tenant = p_name;
        DELETE FROM ${s}.profiles WHERE tenant = p_name;
        DELETE FROM ${s}.oz_grants WHERE app IN (SELECT id FROM ${s}.oz_apps WHERE tenant = p_name);
        DELETE FROM ${s}.oz_apps WHERE tenant = p_name;
        RETURN v_found;
      END
      $fn$;
    `,
  },
  {
    // Failed logins of usernames with no profile (parts/lockouts.ts), by digest.
    version: 6,
    sql: (s) => `
      CREATE TABLE ${s}.lockouts (
        key           bytea PRIMARY KEY,
        failed        integer NOT NULL,
        locked_until  bigint,
        expires_at    bigint NOT NULL
      );
      CREATE INDEX lockouts_expiry ON ${s}.lockouts (expires_at);
      -- Windows of the optional rate limits (parts/rate-limits.ts).
      CREATE TABLE ${s}.rate_limits (
        key       text PRIMARY KEY,
        count     integer NOT NULL,
        reset_at  bigint NOT NULL
      );
      CREATE INDEX rate_limits_reset ON ${s}.rate_limits (reset_at);
    `,
  },
  {
    // Batches (batch.ts): the creates and uses of one event-loop turn in one
    // statement and one commit. Lock order as above: ticket rows first (the
    // caller sorts a batch by id, so concurrent batches lock them in one
    // order), then slot rows, one per tenant (any slot may carry any part of
    // the count: one picked at random per batch keeps concurrent batches
    // apart), tenants in name order. Only creates without a ticket limit are
    // batched; a limited create keeps create_ticket and its tenant row.
    version: 7,
    sql: (s) => `
      -- One index per ticket fewer to maintain on every create and use: the
      -- tenant's tickets (deleteTenant) and its expired ones (reclaim at the
      -- limit) are both ranges of (tenant, expires_at).
      DROP INDEX ${s}.tickets_tenant_expiry;
      DROP INDEX ${s}.tickets_tenant;
      CREATE INDEX tickets_tenant ON ${s}.tickets (tenant, expires_at);

      CREATE FUNCTION ${s}.create_tickets(
        p_tenants text[], p_ids bytea[], p_uses integer[], p_expires bigint[], p_created bigint[], p_payloads bytea[]
      ) RETURNS integer LANGUAGE plpgsql AS $fn$
      DECLARE
        v_slot smallint := floor(random() * ${SLOTS});
        r record;
      BEGIN
        INSERT INTO ${s}.tickets (id, tenant, uses_left, expires_at, created_at, payload)
          SELECT * FROM unnest(p_ids, p_tenants, p_uses, p_expires, p_created, p_payloads);
        FOR r IN SELECT x AS tenant, count(*) AS n FROM unnest(p_tenants) AS x GROUP BY x ORDER BY x LOOP
          UPDATE ${s}.ticket_count_slots SET delta = delta + r.n WHERE tenant = r.tenant AND slot = v_slot;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'tenant % does not exist', r.tenant;
          END IF;
        END LOOP;
        RETURN coalesce(array_length(p_ids, 1), 0);
      END
      $fn$;

      -- p_counts[i] uses of ticket p_ids[i] (a batch may use one ticket
      -- several times): the ticket loses them all, or is removed when they
      -- reach its uses. Answers each live ticket's uses before the batch
      -- (NULL: unlimited) and its payload; the caller hands the uses out in
      -- the order the calls came. No row: unknown, expired, used up, deleted,
      -- or another tenant's.
      CREATE FUNCTION ${s}.use_tickets(p_tenants text[], p_ids bytea[], p_counts integer[], p_nows bigint[])
      RETURNS TABLE (ord integer, uses_before integer, sealed bytea) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_n integer := coalesce(array_length(p_ids, 1), 0);
        v_done boolean[] := array_fill(false, ARRAY[v_n]);
        v_uses integer;
        v_payload bytea;
        v_gone text[] := '{}';
        v_slot smallint := floor(random() * ${SLOTS});
        r record;
      BEGIN
        -- The common case for the whole batch in one statement: the batch
        -- takes a ticket's last uses. A row another transaction holds is
        -- decided on its newest version (uses only go down: still last, or gone).
        FOR r IN
          DELETE FROM ${s}.tickets t
           USING unnest(p_ids, p_tenants, p_counts, p_nows) WITH ORDINALITY AS b(id, tenant, n, now, i)
           WHERE t.id = b.id AND t.tenant = b.tenant AND (t.expires_at IS NULL OR t.expires_at > b.now)
             AND t.uses_left <= b.n
          RETURNING b.i::integer AS i, t.uses_left, t.payload, t.tenant
        LOOP
          v_done[r.i] := true;
          v_gone := v_gone || r.tenant;
          ord := r.i;
          uses_before := r.uses_left;
          sealed := r.payload;
          RETURN NEXT;
        END LOOP;
        -- The rest (more uses than the batch takes, unlimited, or none): decided on the locked row.
        FOR i IN 1 .. v_n LOOP
          CONTINUE WHEN v_done[i];
          SELECT t.uses_left, t.payload INTO v_uses, v_payload FROM ${s}.tickets t
           WHERE t.id = p_ids[i] AND t.tenant = p_tenants[i] AND (t.expires_at IS NULL OR t.expires_at > p_nows[i])
           FOR UPDATE;
          CONTINUE WHEN NOT FOUND;
          IF v_uses IS NOT NULL THEN
            IF v_uses > p_counts[i] THEN
              UPDATE ${s}.tickets SET uses_left = v_uses - p_counts[i] WHERE id = p_ids[i];
            ELSE
              DELETE FROM ${s}.tickets WHERE id = p_ids[i];
              v_gone := v_gone || p_tenants[i];
            END IF;
          END IF;
          ord := i;
          uses_before := v_uses;
          sealed := v_payload;
          RETURN NEXT;
        END LOOP;
        FOR r IN SELECT x AS tenant, count(*) AS n FROM unnest(v_gone) AS x GROUP BY x ORDER BY x LOOP
          UPDATE ${s}.ticket_count_slots SET delta = delta - r.n
           WHERE ticket_count_slots.tenant = r.tenant AND slot = v_slot;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    // Webhook endpoints (parts/webhooks.ts) and the outbox (parts/outbox.ts); delete_tenant of version 5
    // also removes a tenant's endpoints, last.
    version: 8,
    sql: (s) => `
      CREATE TABLE ${s}.webhook_endpoints (
        id              text PRIMARY KEY,
        tenant          text NOT NULL,
        url             text NOT NULL,
        events          jsonb NOT NULL,
        description     text NOT NULL,
        enabled         boolean NOT NULL,
        secret          text NOT NULL,
        previous_secret text,
        previous_until  bigint,
        created_on      bigint NOT NULL,
        updated_on      bigint NOT NULL
      );
      CREATE INDEX webhook_endpoints_tenant ON ${s}.webhook_endpoints (tenant, created_on, id);
      -- The outbox (parts/outbox.ts): events in the order written, then one delivery per endpoint.
      CREATE TABLE ${s}.outbox_events (
        seq         bigserial PRIMARY KEY,
        id          text NOT NULL,
        tenant      text NOT NULL,
        type        text NOT NULL,
        body        text NOT NULL,
        created_at  bigint NOT NULL
      );
      CREATE TABLE ${s}.webhook_deliveries (
        event_id     text NOT NULL,
        endpoint_id  text NOT NULL,
        tenant       text NOT NULL,
        type         text NOT NULL,
        body         text NOT NULL,
        status       text NOT NULL,
        attempts     integer NOT NULL,
        next_at      bigint NOT NULL,
        last_status  integer,
        last_error   text,
        created_at   bigint NOT NULL,
        updated_at   bigint NOT NULL,
        PRIMARY KEY (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON ${s}.webhook_deliveries (next_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_endpoint ON ${s}.webhook_deliveries (endpoint_id, created_at);
      CREATE INDEX webhook_deliveries_done ON ${s}.webhook_deliveries (updated_at) WHERE status <> 'pending';
      -- The audit log (parts/audit.ts): ids sort as written.
      CREATE TABLE ${s}.audit_log (
        id       text PRIMARY KEY,
        at       bigint NOT NULL,
        actor    text NOT NULL,
        address  text,
        action   text NOT NULL,
        tenant   text,
        target   text,
        outcome  text NOT NULL
      );
      CREATE INDEX audit_log_at ON ${s}.audit_log (at);

      CREATE OR REPLACE FUNCTION ${s}.delete_tenant(p_name text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        v_found boolean;
      BEGIN
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.tenants WHERE name = p_name;
        v_found := FOUND;
        DELETE FROM ${s}.ticket_count_slots WHERE tenant = p_name;
        DELETE FROM ${s}.tickets WHERE tenant = p_name;
        DELETE FROM ${s}.sessions WHERE tenant = p_name;
        DELETE FROM ${s}.profiles WHERE tenant = p_name;
        DELETE FROM ${s}.oz_grants WHERE app IN (SELECT id FROM ${s}.oz_apps WHERE tenant = p_name);
        DELETE FROM ${s}.oz_apps WHERE tenant = p_name;
        DELETE FROM ${s}.webhook_endpoints WHERE tenant = p_name;
        RETURN v_found;
      END
      $fn$;
    `,
  },
  {
    // The purge of version 4, answering each ticket it removed (their ticket.expired events, docs/events.md).
    version: 9,
    sql: (s) => `
      CREATE FUNCTION ${s}.purge_expired_tickets(p_now bigint, p_limit integer)
      RETURNS TABLE (tenant text, id bytea, expires_at bigint) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_slot smallint := floor(random() * ${SLOTS});
        v_tenants text[];
        v_ids bytea[];
        v_expires bigint[];
        r record;
      BEGIN
        WITH gone AS (
          DELETE FROM ${s}.tickets WHERE tickets.id = ANY (ARRAY(
            SELECT t.id FROM ${s}.tickets t WHERE t.expires_at <= p_now
             ORDER BY t.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED))
          RETURNING tickets.tenant, tickets.id, tickets.expires_at)
        SELECT array_agg(gone.tenant), array_agg(gone.id), array_agg(gone.expires_at)
          INTO v_tenants, v_ids, v_expires FROM gone;
        IF v_tenants IS NULL THEN
          RETURN;
        END IF;
        FOR r IN SELECT x AS tenant, count(*) AS n FROM unnest(v_tenants) AS x GROUP BY x ORDER BY x LOOP
          UPDATE ${s}.ticket_count_slots SET delta = delta - r.n
           WHERE ticket_count_slots.tenant = r.tenant AND slot = v_slot;
        END LOOP;
        RETURN QUERY SELECT * FROM unnest(v_tenants, v_ids, v_expires);
      END
      $fn$;
    `,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
