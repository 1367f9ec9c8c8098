DROP INDEX IF EXISTS public.store_schedules_store_date_idx;
DROP INDEX IF EXISTS public.store_schedules_import_id_idx;
ALTER TABLE public.store_schedules DROP COLUMN IF EXISTS import_id;
DROP TABLE IF EXISTS public.import_jobs;
DROP TABLE IF EXISTS public.import_history;
DROP TABLE IF EXISTS public.document_imports;
DROP TABLE IF EXISTS public.data_mappings;
DROP TABLE IF EXISTS public.processing_templates;
