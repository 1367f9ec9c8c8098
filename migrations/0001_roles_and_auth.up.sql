-- Roles and the `auth.jwt()` function, so the same schema runs on plain PostgreSQL and on
-- Supabase. Roles are cluster-wide: they are created when absent and never dropped by a down
-- migration (other databases of the cluster may use them). Everything is guarded so that a
-- Supabase project, where these roles and `auth.jwt()` already exist, is left as it is.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role', 'pharmacy_ingest_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                -- another session created it concurrently (roles are cluster-wide)
                NULL;
            END;
        END IF;
    END LOOP;
    -- On Supabase service_role bypasses RLS; mirror that when we are allowed to.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper)
       AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role' AND rolbypassrls) THEN
        ALTER ROLE service_role BYPASSRLS;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth') THEN
        CREATE SCHEMA auth;
        COMMENT ON SCHEMA auth IS 'created by pharmacy-ingest';
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'auth' AND p.proname = 'jwt'
    ) THEN
        -- Same contract as Supabase: the request's JWT claims as jsonb, from the
        -- `request.jwt.claims` setting (PostgREST sets it per request).
        EXECUTE $f$
            CREATE FUNCTION auth.jwt() RETURNS jsonb
            LANGUAGE sql STABLE
            AS $body$
                SELECT coalesce(
                    nullif(current_setting('request.jwt.claim', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')
                )::jsonb
            $body$
        $f$;
        COMMENT ON FUNCTION auth.jwt() IS 'created by pharmacy-ingest';
    END IF;
END
$$;

GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, pharmacy_ingest_worker;
GRANT EXECUTE ON FUNCTION auth.jwt() TO anon, authenticated, service_role, pharmacy_ingest_worker;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role, pharmacy_ingest_worker;

-- Claims the row-level policies use. A manager is a JWT with `role` = `manager` (also accepted
-- from `app_metadata.role`, where Supabase keeps custom roles); an employee is identified by
-- the JWT's `phone` claim.
CREATE FUNCTION public.jwt_phone() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT nullif(auth.jwt() ->> 'phone', '') $$;

CREATE FUNCTION public.jwt_is_manager() RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(auth.jwt() ->> 'role' = 'manager', false)
        OR coalesce(auth.jwt() -> 'app_metadata' ->> 'role' = 'manager', false)
$$;

-- Keeps `updated_at` current on every table that has one.
CREATE FUNCTION public.set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
