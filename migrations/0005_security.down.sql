-- Undo 0005: policies, RLS and privileges (roles themselves stay; see 0001).
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN
        SELECT policyname, tablename FROM pg_policies
        WHERE schemaname = 'public' AND tablename = ANY (ARRAY['stores', 'contacts', 'store_schedules', 'messages', 'appointments', 'processing_templates', 'data_mappings', 'document_imports', 'import_history', 'import_jobs', 'audit_log'])
    LOOP
        EXECUTE format('DROP POLICY %I ON public.%I', p.policyname, p.tablename);
    END LOOP;
END
$$;

ALTER TABLE public.stores DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.store_schedules DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.messages DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.appointments DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.processing_templates DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.data_mappings DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.document_imports DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.import_history DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.import_jobs DISABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log DISABLE ROW LEVEL SECURITY;

REVOKE ALL ON public.stores, public.contacts, public.store_schedules, public.messages, public.appointments, public.processing_templates, public.data_mappings, public.document_imports, public.import_history, public.import_jobs, public.audit_log FROM authenticated, service_role, pharmacy_ingest_worker;
REVOKE ALL ON SEQUENCE public.import_history_id_seq, public.audit_log_id_seq FROM authenticated, service_role, pharmacy_ingest_worker;
ALTER TABLE public._sqlx_migrations DISABLE ROW LEVEL SECURITY;
