DROP FUNCTION IF EXISTS public.import_job_result(uuid);
DROP TRIGGER IF EXISTS import_jobs_announce_done_on_insert ON public.import_jobs;
DROP TRIGGER IF EXISTS import_jobs_announce_done ON public.import_jobs;
DROP FUNCTION IF EXISTS public.import_jobs_announce_done();
DROP TRIGGER IF EXISTS import_jobs_set_outcome ON public.import_jobs;
DROP FUNCTION IF EXISTS public.import_jobs_set_outcome();
ALTER TABLE public.import_jobs
    DROP COLUMN IF EXISTS file_moved_to,
    DROP COLUMN IF EXISTS warnings,
    DROP COLUMN IF EXISTS rows_replaced,
    DROP COLUMN IF EXISTS rows_rejected,
    DROP COLUMN IF EXISTS rows_imported,
    DROP COLUMN IF EXISTS outcome;
