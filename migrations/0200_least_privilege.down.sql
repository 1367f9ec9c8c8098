-- Undo 0200: back to 0005's audit trigger, policies and grants (roles stay; see 0001).
-- Grants 0001 made on a foreign (Supabase's) `auth` are not restored: revert leaves nothing
-- behind on objects this project did not create.

DROP FUNCTION public.pharmacy_ingest_tighten_grants();

DROP POLICY _sqlx_migrations_worker_read ON public._sqlx_migrations;
REVOKE SELECT ON public._sqlx_migrations FROM pharmacy_ingest_worker;

ALTER POLICY contacts_own ON public.contacts
    USING (phone = (SELECT public.jwt_phone()));
ALTER POLICY store_schedules_own ON public.store_schedules
    USING (employee_phone = (SELECT public.jwt_phone()));
ALTER POLICY messages_own ON public.messages
    USING (contact_id IN (SELECT c.id FROM public.contacts c WHERE c.phone = (SELECT public.jwt_phone())));
ALTER POLICY appointments_own ON public.appointments
    USING (contact_id IN (SELECT c.id FROM public.contacts c WHERE c.phone = (SELECT public.jwt_phone())));
DROP INDEX public.store_schedules_phone_e164_idx;
CREATE OR REPLACE FUNCTION public.jwt_phone() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT nullif(auth.jwt() ->> 'phone', '') $$;

DROP POLICY import_jobs_service_role_read ON public.import_jobs;
CREATE POLICY import_jobs_service_role ON public.import_jobs FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
GRANT ALL ON public.import_jobs TO service_role;

DROP POLICY audit_log_writer ON public.audit_log;
DROP POLICY audit_log_service_role_read ON public.audit_log;
CREATE POLICY audit_log_service_role ON public.audit_log FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY audit_log_trigger_insert ON public.audit_log FOR INSERT TO authenticated, pharmacy_ingest_worker
    WITH CHECK (pg_trigger_depth() > 0 AND db_user = current_user);
REVOKE ALL ON public.audit_log FROM pharmacy_ingest_audit;
REVOKE ALL ON SEQUENCE public.audit_log_id_seq FROM pharmacy_ingest_audit;
GRANT SELECT, INSERT ON public.audit_log TO authenticated;
GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO authenticated;
GRANT ALL ON public.audit_log TO service_role;
GRANT USAGE, SELECT ON SEQUENCE public.audit_log_id_seq TO service_role, pharmacy_ingest_worker;
GRANT INSERT ON public.audit_log TO pharmacy_ingest_worker;

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
                'EXECUTE FUNCTION public.audit_row_change()',
                t || '_audit_' || op, upper(op), t,
                CASE op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                        WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                        ELSE 'OLD TABLE AS old_rows' END);
        END LOOP;
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION public.audit_row_change() TO PUBLIC;

DROP FUNCTION pharmacy_ingest_private.audit_row_change();
DROP SCHEMA pharmacy_ingest_private;
REVOKE USAGE ON SCHEMA public FROM pharmacy_ingest_audit;
