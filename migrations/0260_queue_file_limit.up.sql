-- The read limit at the queue's door (issue 9, finding 3): a file larger than the workers'
-- `read.max_file_bytes` is refused when it is queued, so its bytes are never stored in
-- `import_jobs`. Each worker publishes its limit at start-up (like its path roots); the largest
-- published limit applies (a file some worker can read is accepted), 200 MiB when none is.
-- A trigger, not a change to enqueue_import(), so the check also covers direct inserts and
-- leaves the function's body to its owner.

CREATE TABLE public.queue_file_limits (
    host text PRIMARY KEY,
    max_file_bytes bigint NOT NULL CHECK (max_file_bytes > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.queue_file_limits IS
    'read.max_file_bytes of each pharmacy-ingest worker host; import_jobs refuses larger files.';

ALTER TABLE public.queue_file_limits ENABLE ROW LEVEL SECURITY;
CREATE POLICY queue_file_limits_worker ON public.queue_file_limits
    TO pharmacy_ingest_worker USING (true) WITH CHECK (true);
CREATE POLICY queue_file_limits_service ON public.queue_file_limits
    FOR SELECT TO service_role USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.queue_file_limits TO pharmacy_ingest_worker;
GRANT SELECT ON public.queue_file_limits TO service_role;

-- The limit a queued file must fit.
CREATE FUNCTION public.queue_max_file_bytes() RETURNS bigint
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(max(max_file_bytes), 209715200) FROM public.queue_file_limits
$$;
REVOKE ALL ON FUNCTION public.queue_max_file_bytes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.queue_max_file_bytes() TO service_role, pharmacy_ingest_worker;

CREATE FUNCTION public.import_jobs_check_size() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    size bigint := octet_length(NEW.file_bytes);
    lim bigint := public.queue_max_file_bytes();
BEGIN
    IF size > lim THEN
        RAISE EXCEPTION 'enqueue_import: % is too large (% bytes; the limit is % bytes)',
            NEW.file_name, size, lim
            USING ERRCODE = '54000',
                  HINT = 'split the file into smaller ones, or raise read.max_file_bytes of the workers';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION public.import_jobs_check_size() FROM PUBLIC;

CREATE TRIGGER import_jobs_check_size
    BEFORE INSERT OR UPDATE OF file_bytes ON public.import_jobs
    FOR EACH ROW WHEN (NEW.file_bytes IS NOT NULL)
    EXECUTE FUNCTION public.import_jobs_check_size();
