-- A result for every job: the final outcome and counts on `import_jobs`, one
-- `NOTIFY pharmacy_ingest_job_done` per end state (delivered at commit), and
-- `import_job_result(job_id)` for upstream services (PostgREST RPC).
--
-- Both are triggers on `import_jobs`, so every way a job ends (the worker's completion inside
-- the import transaction, a permanent failure, the rescuer's last attempt, an operator's or a
-- service's cancel) records its outcome and announces it, with no code path able to forget.

ALTER TABLE public.import_jobs
    ADD COLUMN outcome text
        CHECK (outcome IN ('imported', 'partial', 'duplicate', 'failed', 'cancelled')),
    ADD COLUMN rows_imported integer,
    ADD COLUMN rows_rejected integer,
    ADD COLUMN rows_replaced integer,
    ADD COLUMN warnings integer,
    ADD COLUMN file_moved_to text;
COMMENT ON COLUMN public.import_jobs.file_moved_to IS
    'Where an inbox job''s file went when the job ended (processed/…, failed/…); file_path keeps where it was read.';
COMMENT ON COLUMN public.import_jobs.outcome IS
    'How a finished job ended: imported, partial (some rows rejected), duplicate (same content already imported), failed, cancelled. NULL while unfinished.';

-- The outcome of a finished job from its state and its import's status. NULL while the job
-- is unfinished (a retried job loses its previous outcome).
CREATE FUNCTION public.import_jobs_set_outcome() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    imp record;
BEGIN
    IF NEW.state NOT IN ('succeeded', 'failed', 'cancelled') THEN
        NEW.outcome := NULL;
        NEW.rows_imported := NULL;
        NEW.rows_rejected := NULL;
        NEW.rows_replaced := NULL;
        NEW.warnings := NULL;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.state = NEW.state AND NEW.outcome IS NOT NULL
       AND NEW.import_id IS NOT DISTINCT FROM OLD.import_id THEN
        RETURN NEW;
    END IF;
    SELECT d.status, d.rows_imported, d.rows_rejected, d.rows_replaced, d.warnings
      INTO imp
      FROM public.document_imports d WHERE d.id = NEW.import_id;
    NEW.outcome := CASE
        WHEN NEW.state = 'cancelled' THEN 'cancelled'
        WHEN NEW.state = 'failed' THEN 'failed'
        WHEN imp.status = 'partial' THEN 'partial'
        WHEN imp.status = 'duplicate' THEN 'duplicate'
        WHEN imp.status = 'failed' THEN 'failed'
        ELSE 'imported'
    END;
    NEW.rows_imported := coalesce(imp.rows_imported, 0);
    NEW.rows_rejected := coalesce(imp.rows_rejected, 0);
    NEW.rows_replaced := coalesce(imp.rows_replaced, 0);
    NEW.warnings := coalesce(imp.warnings, 0);
    RETURN NEW;
END
$$;

CREATE TRIGGER import_jobs_set_outcome
    BEFORE INSERT OR UPDATE OF state, import_id ON public.import_jobs
    FOR EACH ROW EXECUTE FUNCTION public.import_jobs_set_outcome();

-- One notification per end state, delivered when the ending transaction commits (the import
-- transaction for completed jobs). Payload: JSON with ids, the outcome and counts only.
CREATE FUNCTION public.import_jobs_announce_done() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('pharmacy_ingest_job_done', json_build_object(
        'job_id', NEW.id,
        'outcome', NEW.outcome,
        'import_id', NEW.import_id,
        'rows_imported', NEW.rows_imported,
        'rows_rejected', NEW.rows_rejected,
        'rows_replaced', NEW.rows_replaced,
        'warnings', NEW.warnings)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER import_jobs_announce_done
    AFTER UPDATE OF state ON public.import_jobs
    FOR EACH ROW
    WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION public.import_jobs_announce_done();
CREATE TRIGGER import_jobs_announce_done_on_insert
    AFTER INSERT ON public.import_jobs
    FOR EACH ROW WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION public.import_jobs_announce_done();

-- The result of one job, for upstream services (PostgREST: POST /rpc/import_job_result with
-- {"job_id": "..."}). `finished` false: still queued or running (`outcome` is null). After
-- the job was pruned, the result comes from its import record. Unknown id: SQLSTATE P0002
-- (PostgREST answers 404).
CREATE FUNCTION public.import_job_result(job_id uuid) RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    j record;
    d record;
BEGIN
    IF import_job_result.job_id IS NULL THEN
        RAISE EXCEPTION 'import_job_result: give the job id that enqueue_import returned'
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO j FROM public.import_jobs ij WHERE ij.id = import_job_result.job_id;
    IF FOUND THEN
        RETURN jsonb_build_object(
            'job_id', j.id,
            'state', j.state,
            'finished', j.state IN ('succeeded', 'failed', 'cancelled'),
            'outcome', j.outcome,
            'import_id', j.import_id,
            'attempt', j.attempt,
            'max_attempts', j.max_attempts,
            'rows_imported', j.rows_imported,
            'rows_rejected', j.rows_rejected,
            'rows_replaced', j.rows_replaced,
            'warnings', j.warnings,
            'error', CASE WHEN j.state IN ('failed', 'cancelled', 'retryable') THEN j.last_error END,
            'finished_at', j.finished_at);
    END IF;
    SELECT * INTO d FROM public.document_imports di
     WHERE di.job_id = import_job_result.job_id
     ORDER BY di.created_at DESC LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object(
            'job_id', import_job_result.job_id,
            'state', CASE WHEN d.status = 'failed' THEN 'failed' ELSE 'succeeded' END,
            'finished', true,
            'outcome', CASE d.status WHEN 'partial' THEN 'partial' WHEN 'duplicate' THEN 'duplicate'
                                     WHEN 'failed' THEN 'failed' ELSE 'imported' END,
            'import_id', d.id,
            'rows_imported', d.rows_imported,
            'rows_rejected', d.rows_rejected,
            'rows_replaced', d.rows_replaced,
            'warnings', d.warnings,
            'error', d.error,
            'finished_at', d.finished_at,
            'reverted', d.status = 'reverted');
    END IF;
    RAISE EXCEPTION 'import_job_result: no job %', import_job_result.job_id
        USING ERRCODE = 'P0002',
              HINT = 'finished jobs are deleted after worker.prune_after_hours; cancelled jobs that never ran leave no import record';
END
$$;

REVOKE ALL ON FUNCTION public.import_job_result(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.import_job_result(uuid) FROM anon, authenticated;
GRANT EXECUTE ON FUNCTION public.import_job_result(uuid) TO service_role, pharmacy_ingest_worker;
REVOKE ALL ON FUNCTION public.import_jobs_set_outcome() FROM PUBLIC;
