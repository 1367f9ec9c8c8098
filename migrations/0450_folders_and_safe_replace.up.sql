-- Truthful folders and safe replaces (issue 12).
--
-- `held`: an import that would have replaced shifts in a risky way (a staffed day left with
-- nobody, an employee gone from the week) and waits for an operator's `imports approve`;
-- nothing of it was written to store_schedules. `filed_path`: where the worker left the
-- file (in failed/, needs-attention/ or processed/), so a later import that fixes it can move
-- it and its reports on; `fixed_by` / `fixed_at`: that later import. `replace_summary`: what
-- a replace removed, per store and day, and the employees it left out.
ALTER TABLE public.document_imports DROP CONSTRAINT IF EXISTS document_imports_status_check;
ALTER TABLE public.document_imports ADD CONSTRAINT document_imports_status_check
    CHECK (status IN ('processing', 'succeeded', 'partial', 'failed', 'duplicate', 'reverted', 'held'));
ALTER TABLE public.document_imports
    ADD COLUMN filed_path text,
    ADD COLUMN fixed_by uuid REFERENCES public.document_imports (id) ON DELETE SET NULL,
    ADD COLUMN fixed_at timestamptz,
    ADD COLUMN approved_by text,
    ADD COLUMN replace_summary jsonb;
-- The sweep looks for filed files that are not fixed yet.
CREATE INDEX document_imports_unfixed_idx ON public.document_imports (filed_path)
    WHERE filed_path IS NOT NULL AND fixed_by IS NULL;
CREATE INDEX document_imports_reprocess_of_idx ON public.document_imports (reprocess_of)
    WHERE reprocess_of IS NOT NULL;

-- A job whose import was held ends with the outcome `held` (0300 knew five outcomes): the
-- job's outcome trigger and `import_job_result` (also for pruned jobs) say so.
ALTER TABLE public.import_jobs DROP CONSTRAINT IF EXISTS import_jobs_outcome_check;
ALTER TABLE public.import_jobs ADD CONSTRAINT import_jobs_outcome_check
    CHECK (outcome IN ('imported', 'partial', 'duplicate', 'held', 'failed', 'cancelled'));

CREATE OR REPLACE FUNCTION public.import_jobs_set_outcome() RETURNS trigger
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
        WHEN imp.status = 'held' THEN 'held'
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

CREATE OR REPLACE FUNCTION public.import_job_result(job_id uuid) RETURNS jsonb
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
                                     WHEN 'failed' THEN 'failed' WHEN 'held' THEN 'held'
                                     ELSE 'imported' END,
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
