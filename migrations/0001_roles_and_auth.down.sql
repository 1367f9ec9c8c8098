-- Roles are cluster-wide and stay. `auth.jwt()` and the `auth` schema are dropped only when
-- this project created them (Supabase's own are left alone).

DROP FUNCTION IF EXISTS public.set_updated_at();
DROP FUNCTION IF EXISTS public.jwt_is_manager();
DROP FUNCTION IF EXISTS public.jwt_phone();

DO $$
BEGIN
    IF obj_description('auth.jwt()'::regprocedure, 'pg_proc') = 'created by pharmacy-ingest' THEN
        DROP FUNCTION auth.jwt();
    ELSE
        REVOKE EXECUTE ON FUNCTION auth.jwt() FROM pharmacy_ingest_worker;
    END IF;
    IF (SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'auth')
           = 'created by pharmacy-ingest'
       AND NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'auth')
       AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = 'auth') THEN
        DROP SCHEMA auth;
    ELSE
        REVOKE USAGE ON SCHEMA auth FROM pharmacy_ingest_worker;
    END IF;
END
$$;

REVOKE USAGE ON SCHEMA public FROM pharmacy_ingest_worker;
