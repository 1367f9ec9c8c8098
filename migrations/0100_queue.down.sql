DROP TRIGGER IF EXISTS import_jobs_wake_on_available ON public.import_jobs;
DROP TRIGGER IF EXISTS import_jobs_wake_on_insert ON public.import_jobs;
DROP FUNCTION IF EXISTS public.import_jobs_wake();
DROP FUNCTION IF EXISTS public.enqueue_import(text, bytea, text, text, integer, text, boolean, integer, timestamptz, text, text);
DROP INDEX IF EXISTS public.import_jobs_queue_inbox_path_key;
DROP INDEX IF EXISTS public.import_jobs_queue_finished_idx;
DROP TABLE IF EXISTS public.queue_path_roots;
