-- Back to 0003's claim index.
DROP INDEX IF EXISTS public.import_jobs_claim_idx;
CREATE INDEX import_jobs_claim_idx ON public.import_jobs (state, priority DESC, run_at)
    WHERE state IN ('available', 'retryable');
