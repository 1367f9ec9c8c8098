-- Triggers that ran for nothing on every queue job (issue 13). Seen with auto_explain's
-- trigger times on 300 one-shift jobs: each job paid for three trigger calls that changed
-- nothing.
--
-- 1. The audit trigger returns at once for a statement that changed no row. It is a
--    statement trigger, so it ran for every replace of days that held no shifts yet (the
--    replace's DELETE found nothing): it entered its claims block (a subtransaction) and ran
--    an INSERT of no rows, 0.07-0.18 ms a job. Same function otherwise (0200).
-- 2. The job's outcome trigger runs on an UPDATE only when there is an outcome to set or to
--    clear: the claim (available -> running, no outcome yet) no longer calls it. Inserts
--    keep the unconditional trigger (a job queued already finished gets its outcome).
-- 3. The outcome trigger keeps an outcome the statement gives when it ends a running job:
--    the worker now completes its job in the import's last statement (`import::write`), where
--    the import's finished row is not visible to the trigger's lookup (a sibling CTE's
--    change), so the statement sets the outcome and counts from the values it writes to the
--    import. Any other ending (a failure, a cancel, a retry) is still derived as before.
-- 4. `updated_at` of a job is set by the trigger only when the statement did not set it:
--    the worker's claim, heartbeat and completion set it themselves.

CREATE OR REPLACE FUNCTION pharmacy_ingest_private.audit_row_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claims jsonb;
    actor text := CASE WHEN current_setting('role') = 'none' THEN session_user
                       ELSE current_setting('role') END;
BEGIN
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'STATEMENT' OR TG_RELID NOT IN
       ('public.stores'::regclass, 'public.contacts'::regclass, 'public.store_schedules'::regclass) THEN
        RAISE EXCEPTION 'audit_row_change() audits public.stores, contacts and store_schedules only'
            USING ERRCODE = '42501';
    END IF;
    -- A statement that changed no row leaves nothing to record.
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
    BEGIN
        -- what auth.jwt() returns, read directly: this role needs no access to `auth`
        claims := coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                           nullif(current_setting('request.jwt.claims', true), ''))::jsonb;
    EXCEPTION WHEN others THEN
        claims := NULL; -- a malformed claims setting must not block the change
    END;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, n.id, actor, claims ->> 'sub', claims ->> 'phone',
               NULL, to_jsonb(n)
        FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, o.id, actor, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), NULL
        FROM old_rows o;
    ELSE
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row,
             changed_columns)
        SELECT TG_TABLE_NAME, TG_OP, n.id, actor, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), to_jsonb(n), ch.cols
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            SELECT array_agg(e.key ORDER BY e.key) AS cols
            FROM jsonb_each(to_jsonb(n)) e
            WHERE e.key <> 'updated_at' AND e.value IS DISTINCT FROM to_jsonb(o) -> e.key
        ) ch
        WHERE ch.cols IS NOT NULL; -- nothing but updated_at changed: nothing to record
    END IF;
    RETURN NULL;
END
$$;

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
    -- The worker's completion gives the outcome and counts itself: it finishes the job in the
    -- statement that finishes the import, whose new row this lookup would not see yet.
    IF TG_OP = 'UPDATE' AND OLD.outcome IS NULL AND NEW.outcome IS NOT NULL
       AND NEW.state IN ('succeeded', 'failed') THEN
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

DROP TRIGGER import_jobs_set_outcome ON public.import_jobs;
CREATE TRIGGER import_jobs_set_outcome_on_insert
    BEFORE INSERT ON public.import_jobs
    FOR EACH ROW EXECUTE FUNCTION public.import_jobs_set_outcome();
CREATE TRIGGER import_jobs_set_outcome
    BEFORE UPDATE OF state, import_id ON public.import_jobs
    FOR EACH ROW
    WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled') OR NEW.outcome IS NOT NULL
          OR NEW.rows_imported IS NOT NULL OR NEW.rows_rejected IS NOT NULL
          OR NEW.rows_replaced IS NOT NULL OR NEW.warnings IS NOT NULL)
    EXECUTE FUNCTION public.import_jobs_set_outcome();

DROP TRIGGER import_jobs_set_updated_at ON public.import_jobs;
CREATE TRIGGER import_jobs_set_updated_at
    BEFORE UPDATE ON public.import_jobs
    FOR EACH ROW WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at)
    EXECUTE FUNCTION public.set_updated_at();
