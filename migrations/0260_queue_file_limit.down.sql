DROP TRIGGER IF EXISTS import_jobs_check_size ON public.import_jobs;
DROP FUNCTION IF EXISTS public.import_jobs_check_size();
DROP FUNCTION IF EXISTS public.queue_max_file_bytes();
DROP TABLE IF EXISTS public.queue_file_limits;
