-- Privileges and Row Level Security.
--
-- Who is who:
--   anon                     nothing at all (no privileges, no policies).
--   authenticated            an API user. An employee (JWT claim `phone`) sees their own
--                            contact, schedule, message and appointment rows and the store
--                            list; a manager (JWT claim `role` = `manager`) sees and edits all
--                            seed tables and reads the import tables and the audit trail.
--   service_role             everything (BYPASSRLS on Supabase; explicit policies here too).
--   pharmacy_ingest_worker   the importer's least-privilege role (NOLOGIN; grant it to the
--                            worker's login role). Reads stores and contacts, writes schedules,
--                            imports, history, jobs, templates and mappings, nothing else.
--                            It gets explicit permissive policies rather than BYPASSRLS:
--                            BYPASSRLS can only be granted by a superuser (not available on
--                            Supabase) and would also open messages/appointments to it.
-- Table owners (the role that ran the migrations) bypass RLS as usual in PostgreSQL.
-- Policies use `(SELECT fn())` so the claim is read once per statement, not once per row.

REVOKE ALL ON public.stores, public.contacts, public.store_schedules, public.messages, public.appointments, public.processing_templates, public.data_mappings, public.document_imports, public.import_history, public.import_jobs, public.audit_log FROM PUBLIC, anon;
REVOKE ALL ON SEQUENCE public.import_history_id_seq, public.audit_log_id_seq FROM PUBLIC, anon;

GRANT SELECT, INSERT, UPDATE, DELETE ON public.stores, public.contacts, public.store_schedules, public.messages, public.appointments TO authenticated;
GRANT SELECT ON public.processing_templates, public.data_mappings, public.document_imports, public.import_history, public.import_jobs, public.audit_log TO authenticated;
GRANT INSERT ON public.audit_log TO authenticated;
GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO authenticated;

GRANT ALL ON public.stores, public.contacts, public.store_schedules, public.messages, public.appointments, public.processing_templates, public.data_mappings, public.document_imports, public.import_history, public.import_jobs, public.audit_log TO service_role;
GRANT USAGE, SELECT ON SEQUENCE public.import_history_id_seq, public.audit_log_id_seq TO service_role;

GRANT SELECT ON public.stores, public.contacts TO pharmacy_ingest_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.store_schedules, public.processing_templates, public.data_mappings, public.document_imports, public.import_history, public.import_jobs TO pharmacy_ingest_worker;
GRANT INSERT ON public.audit_log TO pharmacy_ingest_worker;
GRANT USAGE, SELECT ON SEQUENCE public.import_history_id_seq, public.audit_log_id_seq TO pharmacy_ingest_worker;

ALTER TABLE public.stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.store_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.processing_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.data_mappings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.document_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.import_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.import_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;

-- stores
CREATE POLICY stores_service_role ON public.stores FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY stores_manager ON public.stores FOR ALL TO authenticated
    USING ((SELECT public.jwt_is_manager()))
    WITH CHECK ((SELECT public.jwt_is_manager()));
CREATE POLICY stores_authenticated_read ON public.stores FOR SELECT TO authenticated
    USING (true);
CREATE POLICY stores_worker_read ON public.stores FOR SELECT TO pharmacy_ingest_worker
    USING (true);

-- contacts
CREATE POLICY contacts_service_role ON public.contacts FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY contacts_manager ON public.contacts FOR ALL TO authenticated
    USING ((SELECT public.jwt_is_manager()))
    WITH CHECK ((SELECT public.jwt_is_manager()));
CREATE POLICY contacts_own ON public.contacts FOR SELECT TO authenticated
    USING (phone = (SELECT public.jwt_phone()));
CREATE POLICY contacts_worker_read ON public.contacts FOR SELECT TO pharmacy_ingest_worker
    USING (true);

-- store_schedules
CREATE POLICY store_schedules_service_role ON public.store_schedules FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY store_schedules_manager ON public.store_schedules FOR ALL TO authenticated
    USING ((SELECT public.jwt_is_manager()))
    WITH CHECK ((SELECT public.jwt_is_manager()));
CREATE POLICY store_schedules_own ON public.store_schedules FOR SELECT TO authenticated
    USING (employee_phone = (SELECT public.jwt_phone()));
CREATE POLICY store_schedules_worker ON public.store_schedules FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- messages
CREATE POLICY messages_service_role ON public.messages FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY messages_manager ON public.messages FOR ALL TO authenticated
    USING ((SELECT public.jwt_is_manager()))
    WITH CHECK ((SELECT public.jwt_is_manager()));
CREATE POLICY messages_own ON public.messages FOR SELECT TO authenticated
    USING (contact_id IN (SELECT c.id FROM public.contacts c WHERE c.phone = (SELECT public.jwt_phone())));

-- appointments
CREATE POLICY appointments_service_role ON public.appointments FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY appointments_manager ON public.appointments FOR ALL TO authenticated
    USING ((SELECT public.jwt_is_manager()))
    WITH CHECK ((SELECT public.jwt_is_manager()));
CREATE POLICY appointments_own ON public.appointments FOR SELECT TO authenticated
    USING (contact_id IN (SELECT c.id FROM public.contacts c WHERE c.phone = (SELECT public.jwt_phone())));

-- processing_templates
CREATE POLICY processing_templates_service_role ON public.processing_templates FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY processing_templates_manager_read ON public.processing_templates FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
CREATE POLICY processing_templates_worker ON public.processing_templates FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- data_mappings
CREATE POLICY data_mappings_service_role ON public.data_mappings FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY data_mappings_manager_read ON public.data_mappings FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
CREATE POLICY data_mappings_worker ON public.data_mappings FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- document_imports
CREATE POLICY document_imports_service_role ON public.document_imports FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY document_imports_manager_read ON public.document_imports FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
CREATE POLICY document_imports_worker ON public.document_imports FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- import_history
CREATE POLICY import_history_service_role ON public.import_history FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY import_history_manager_read ON public.import_history FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
CREATE POLICY import_history_worker ON public.import_history FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- import_jobs
CREATE POLICY import_jobs_service_role ON public.import_jobs FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY import_jobs_manager_read ON public.import_jobs FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
CREATE POLICY import_jobs_worker ON public.import_jobs FOR ALL TO pharmacy_ingest_worker
    USING (true)
    WITH CHECK (true);

-- audit_log
CREATE POLICY audit_log_service_role ON public.audit_log FOR ALL TO service_role
    USING (true)
    WITH CHECK (true);
CREATE POLICY audit_log_manager_read ON public.audit_log FOR SELECT TO authenticated
    USING ((SELECT public.jwt_is_manager()));
-- Rows come only from the audit trigger, attributed to the role that made the change.
CREATE POLICY audit_log_trigger_insert ON public.audit_log FOR INSERT TO authenticated, pharmacy_ingest_worker
    WITH CHECK (pg_trigger_depth() > 0 AND db_user = current_user);
-- sqlx's bookkeeping table: only its owner (the role running migrations) needs it, and on
-- Supabase the API roles get default grants in public.
ALTER TABLE public._sqlx_migrations ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public._sqlx_migrations FROM PUBLIC, anon, authenticated;
