-- Least privilege as Supabase runs it (issue 11) and an audit trail no API role can forge
-- (issue 9, finding 10).
--
-- 1. The audit trail is written by `pharmacy_ingest_private.audit_row_change()`, a SECURITY
--    DEFINER trigger function owned by `pharmacy_ingest_audit` (NOLOGIN), the only role that
--    may insert into `audit_log`. No API role (anon, authenticated, service_role) and not the
--    worker role holds INSERT on it any more, so neither a direct INSERT, COPY, a function of
--    their own nor a trigger on a temporary table can add a row; the function itself can be
--    used by no one else's trigger (EXECUTE revoked, and it refuses any table but the three it
--    audits). The actor is the session's role (`SET ROLE` target, else the login role), which
--    is what `current_user` was under the old SECURITY INVOKER trigger.
-- 2. Phones are compared in E.164 on both sides: Supabase Auth puts `15556078617` in the JWT,
--    contacts may hold `(555) 607-8617`.
-- 3. A `manager` database role under `authenticated`, so a JWT with `role: manager` works
--    through PostgREST (which switches to the role the claim names); granted to
--    `authenticator` when that role exists.
-- 4. Table privileges of the API roles are cut to what their policies use, whatever the
--    platform's default privileges granted (Supabase grants ALL, TRUNCATE included, on new
--    tables): `pharmacy_ingest_tighten_grants()` runs here and after every `migrate`.
--    service_role may read, not write, the queue and the audit trail (it enqueues through
--    `enqueue_import`).
-- 5. The worker role may read `_sqlx_migrations` (its start-up schema check) and no longer
--    needs the `auth` schema (Supabase's `postgres` cannot grant it).

-- Roles (cluster-wide: created when absent, never dropped).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['pharmacy_ingest_audit', 'manager'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by another database's migration
            END;
        END IF;
    END LOOP;
    -- The migrating role must be able to act as the audit role to give it the function.
    IF NOT pg_has_role(current_user, 'pharmacy_ingest_audit', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT pharmacy_ingest_audit TO %I', current_user);
        EXCEPTION WHEN unique_violation OR internal_error THEN
            NULL; -- granted concurrently ("tuple concurrently updated")
        END;
    END IF;
    BEGIN
        IF NOT pg_has_role('manager', 'authenticated', 'MEMBER') THEN
            GRANT authenticated TO manager;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator')
           AND NOT pg_has_role('authenticator', 'manager', 'MEMBER') THEN
            GRANT manager TO authenticator;
        END IF;
    EXCEPTION
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'pharmacy-ingest: cannot grant the manager role (%); managers are still recognised by app_metadata.role', SQLERRM;
        WHEN unique_violation OR internal_error THEN
            NULL; -- granted concurrently
    END;
END
$$;

-- 1. The audit trail.
CREATE SCHEMA pharmacy_ingest_private AUTHORIZATION pharmacy_ingest_audit;
COMMENT ON SCHEMA pharmacy_ingest_private IS 'created by pharmacy-ingest: the audit trigger function';
REVOKE ALL ON SCHEMA pharmacy_ingest_private FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pharmacy_ingest_audit;

CREATE FUNCTION pharmacy_ingest_private.audit_row_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claims jsonb;
    actor text := CASE WHEN current_setting('role') = 'none' THEN session_user
                       ELSE current_setting('role') END;
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_RELID NOT IN
       ('public.stores'::regclass, 'public.contacts'::regclass, 'public.store_schedules'::regclass) THEN
        RAISE EXCEPTION 'audit_row_change() audits public.stores, contacts and store_schedules only'
            USING ERRCODE = '42501';
    END IF;
    BEGIN
        -- what auth.jwt() returns, read directly: this role needs no access to `auth`
        claims := coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                           nullif(current_setting('request.jwt.claims', true), ''))::jsonb;
    EXCEPTION WHEN others THEN
        claims := NULL; -- a malformed claims setting must not block the change
    END;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, n.id, actor, claims ->> 'sub', claims ->> 'phone',
               NULL, to_jsonb(n)
        FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, o.id, actor, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), NULL
        FROM old_rows o;
    ELSE
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row,
             changed_columns)
        SELECT TG_TABLE_NAME, TG_OP, n.id, actor, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), to_jsonb(n), ch.cols
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            SELECT array_agg(e.key ORDER BY e.key) AS cols
            FROM jsonb_each(to_jsonb(n)) e
            WHERE e.key <> 'updated_at' AND e.value IS DISTINCT FROM to_jsonb(o) -> e.key
        ) ch
        WHERE ch.cols IS NOT NULL; -- nothing but updated_at changed: nothing to record
    END IF;
    RETURN NULL;
END
$$;
ALTER FUNCTION pharmacy_ingest_private.audit_row_change() OWNER TO pharmacy_ingest_audit;
REVOKE ALL ON FUNCTION pharmacy_ingest_private.audit_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.audit_row_change() FROM PUBLIC;

DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stores', 'contacts', 'store_schedules'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format('DROP TRIGGER %I ON public.%I', t || '_audit_' || op, t);
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON public.%I REFERENCING %s FOR EACH STATEMENT '
                'EXECUTE FUNCTION pharmacy_ingest_private.audit_row_change()',
                t || '_audit_' || op, upper(op), t,
                CASE op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                        WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                        ELSE 'OLD TABLE AS old_rows' END);
        END LOOP;
    END LOOP;
END
$$;

DROP POLICY audit_log_trigger_insert ON public.audit_log;
DROP POLICY audit_log_service_role ON public.audit_log;
CREATE POLICY audit_log_service_role_read ON public.audit_log FOR SELECT TO service_role
    USING (true);
CREATE POLICY audit_log_writer ON public.audit_log FOR INSERT TO pharmacy_ingest_audit
    WITH CHECK (true);
REVOKE ALL ON public.audit_log FROM PUBLIC, anon, authenticated, service_role, pharmacy_ingest_worker;
REVOKE ALL ON SEQUENCE public.audit_log_id_seq FROM PUBLIC, anon, authenticated, service_role, pharmacy_ingest_worker;
GRANT SELECT ON public.audit_log TO authenticated, service_role;
GRANT INSERT ON public.audit_log TO pharmacy_ingest_audit;
GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO pharmacy_ingest_audit;

-- The queue is written through enqueue_import() and by the worker only.
DROP POLICY import_jobs_service_role ON public.import_jobs;
CREATE POLICY import_jobs_service_role_read ON public.import_jobs FOR SELECT TO service_role
    USING (true);

-- 2. Phones in E.164 on both sides. A claim of bare digits (Supabase Auth's format) is an
-- international number without its '+'.
CREATE OR REPLACE FUNCTION public.jwt_phone() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT public.pharmacy_phone_e164(CASE WHEN p ~ '^[0-9]{8,15}$' THEN '+' || p ELSE p END)
    FROM (SELECT nullif(btrim(auth.jwt() ->> 'phone'), '') AS p) AS c
$$;

CREATE INDEX store_schedules_phone_e164_idx
    ON public.store_schedules (public.pharmacy_phone_e164(employee_phone));

ALTER POLICY contacts_own ON public.contacts
    USING (public.pharmacy_phone_e164(phone) = (SELECT public.jwt_phone()));
ALTER POLICY store_schedules_own ON public.store_schedules
    USING (public.pharmacy_phone_e164(employee_phone) = (SELECT public.jwt_phone()));
ALTER POLICY messages_own ON public.messages
    USING (contact_id IN (SELECT c.id FROM public.contacts c
                          WHERE public.pharmacy_phone_e164(c.phone) = (SELECT public.jwt_phone())));
ALTER POLICY appointments_own ON public.appointments
    USING (contact_id IN (SELECT c.id FROM public.contacts c
                          WHERE public.pharmacy_phone_e164(c.phone) = (SELECT public.jwt_phone())));

-- 5. The worker's start-up check reads the applied versions; it needs nothing in `auth`.
GRANT SELECT ON public._sqlx_migrations TO pharmacy_ingest_worker;
CREATE POLICY _sqlx_migrations_worker_read ON public._sqlx_migrations FOR SELECT
    TO pharmacy_ingest_worker USING (true);
DO $$
DECLARE
    r text;
BEGIN
    IF coalesce(obj_description('auth.jwt()'::regprocedure, 'pg_proc'), '') <> 'created by pharmacy-ingest' THEN
        IF EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                   WHERE p.oid = 'auth.jwt()'::regprocedure
                     AND a.grantee = 'pharmacy_ingest_worker'::regrole) THEN
            REVOKE EXECUTE ON FUNCTION auth.jwt() FROM pharmacy_ingest_worker;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a
                   WHERE n.nspname = 'auth' AND a.grantee = 'pharmacy_ingest_worker'::regrole) THEN
            REVOKE USAGE ON SCHEMA auth FROM pharmacy_ingest_worker;
        END IF;
        -- 0001 granted EXECUTE to the API roles; on Supabase they hold it through PUBLIC
        -- already, and a grant of ours on Supabase's function must not outlive a revert.
        IF has_function_privilege('public', 'auth.jwt()', 'EXECUTE') THEN
            FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
                IF EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                           WHERE p.oid = 'auth.jwt()'::regprocedure
                             AND a.grantee = r::regrole) THEN
                    EXECUTE format('REVOKE EXECUTE ON FUNCTION auth.jwt() FROM %I', r);
                END IF;
            END LOOP;
        END IF;
    END IF;
END
$$;

-- 4. API roles and the worker role get exactly the privileges their policies use. A table is ours when it is one
-- of the seed's or the audit's, or when a policy names the worker or audit role (every table a
-- later migration adds for the worker). Per API role and command, a privilege stays only when
-- a permissive policy for that role (or PUBLIC) and command exists (the worker's
-- grants of 0005 and later each come with such a policy, so only platform defaults go); TRUNCATE (which ignores
-- RLS), REFERENCES and TRIGGER are revoked from every role but the owner. Sequences of those
-- tables are usable only by roles that may insert into the table.
CREATE FUNCTION public.pharmacy_ingest_tighten_grants() RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t oid;
    r text;
    priv text;
    cmd "char";
    s oid;
    tables integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND (c.relname = ANY (ARRAY['stores', 'contacts', 'store_schedules', 'messages',
                                      'appointments', 'audit_log', '_sqlx_migrations'])
               OR EXISTS (SELECT 1 FROM pg_policy pol JOIN pg_roles ro ON ro.oid = ANY (pol.polroles)
                          WHERE pol.polrelid = c.oid
                            AND ro.rolname IN ('pharmacy_ingest_worker', 'pharmacy_ingest_audit')))
    LOOP
        tables := tables + 1;
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', t::regclass);
        EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON %s FROM anon, authenticated, service_role, pharmacy_ingest_worker',
                       t::regclass);
        FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role', 'pharmacy_ingest_worker'] LOOP
            FOREACH priv IN ARRAY ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] LOOP
                cmd := CASE priv WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                                 WHEN 'UPDATE' THEN 'w' ELSE 'd' END;
                IF NOT EXISTS (
                    SELECT 1 FROM pg_policy pol
                    WHERE pol.polrelid = t AND pol.polpermissive AND pol.polcmd IN (cmd, '*')
                      AND (0::oid = ANY (pol.polroles)
                           OR (SELECT oid FROM pg_roles WHERE rolname = r) = ANY (pol.polroles))
                ) THEN
                    EXECUTE format('REVOKE %s ON %s FROM %I', priv, t::regclass, r);
                END IF;
            END LOOP;
        END LOOP;
        FOR s IN
            SELECT d.objid FROM pg_depend d JOIN pg_class sc ON sc.oid = d.objid
            WHERE d.refobjid = t AND d.classid = 'pg_class'::regclass AND sc.relkind = 'S'
        LOOP
            EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC, anon, authenticated, service_role',
                           s::regclass);
            FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
                IF has_table_privilege(r, t, 'INSERT') THEN
                    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', s::regclass, r);
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN tables;
END
$$;
REVOKE ALL ON FUNCTION public.pharmacy_ingest_tighten_grants() FROM PUBLIC, anon, authenticated, service_role;

SELECT public.pharmacy_ingest_tighten_grants();
