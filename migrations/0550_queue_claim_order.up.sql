-- The claim's index in the claim's order (issue 13).
--
-- 0003's import_jobs_claim_idx led with `state`, and the claim asks for two states
-- ('available', 'retryable') ordered by priority, then run_at, then created_at: the index
-- could find the due jobs but not hand them out in order, so every claim read and sorted the
-- whole backlog (EXPLAIN: a bitmap scan of 2,000 rows and a sort, 1.1 ms, for LIMIT 1; with a
-- backlog of 100,000 jobs, every claim sorts 100,000 rows). Led by the claim's own order, the
-- scan stops at the first due job it can lock. The same shape as River's
-- (priority, scheduled_at, id) WHERE state = 'available'.
DROP INDEX IF EXISTS public.import_jobs_claim_idx;
CREATE INDEX import_jobs_claim_idx ON public.import_jobs (priority DESC, run_at, created_at)
    WHERE state IN ('available', 'retryable');
