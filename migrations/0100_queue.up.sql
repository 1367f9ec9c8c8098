-- The job queue's SQL side (owned by src/queue): the roots a file may be named under,
-- `enqueue_import(...)` for upstream services and PostgREST RPC, the NOTIFY that wakes workers,
-- and the indexes the claim and the rescuer use. `import_jobs` itself is created earlier.

-- Folders under which `enqueue_import(file_path => ...)` may name a file. Each worker writes its
-- configured roots (and its own `processing/` folders) here at start-up, keyed by host.
CREATE TABLE public.queue_path_roots (
    host text NOT NULL,
    root text NOT NULL CHECK (root ~ '^/.*[^/]$' AND root !~ '(^|/)\.\.?(/|$)' AND root !~ '//'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, root)
);
COMMENT ON TABLE public.queue_path_roots IS
    'Folders under which enqueue_import() accepts a file path; written by pharmacy-ingest workers at start-up.';

ALTER TABLE public.queue_path_roots ENABLE ROW LEVEL SECURITY;
CREATE POLICY queue_path_roots_worker ON public.queue_path_roots
    TO pharmacy_ingest_worker USING (true) WITH CHECK (true);
CREATE POLICY queue_path_roots_service ON public.queue_path_roots
    FOR SELECT TO service_role USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.queue_path_roots TO pharmacy_ingest_worker;
GRANT SELECT ON public.queue_path_roots TO service_role;

-- The claim and the rescuer use import_jobs_claim_idx and import_jobs_running_lease_idx
-- (created with the table); the pruner looks for old finished jobs.
CREATE INDEX import_jobs_queue_finished_idx ON public.import_jobs (finished_at)
    WHERE state IN ('succeeded', 'failed', 'cancelled');
-- One unfinished job per inbox file: two workers watching one folder cannot both queue it.
CREATE UNIQUE INDEX import_jobs_queue_inbox_path_key ON public.import_jobs (file_path)
    WHERE source = 'inbox' AND state IN ('available', 'running', 'retryable');

-- Queue a file for import. Give the file as bytes (`file_bytes`, or `file_base64` for JSON
-- clients such as PostgREST) or as an absolute path under one of the roots in
-- `queue_path_roots`; given both, the bytes are the content and the path (still checked) is
-- where the file sits (the watched folder's `processing/` copy). Runs in the caller's transaction: the job (and the wake-up) exist only
-- once the caller commits. Returns the job id.
CREATE FUNCTION public.enqueue_import(
    file_name text,
    file_bytes bytea DEFAULT NULL,
    file_path text DEFAULT NULL,
    template text DEFAULT NULL,
    store_number integer DEFAULT NULL,
    mode text DEFAULT 'replace',
    force boolean DEFAULT false,
    priority integer DEFAULT 0,
    run_at timestamptz DEFAULT NULL,
    source text DEFAULT 'sql',
    file_base64 text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    bytes bytea := enqueue_import.file_bytes;
    job_id uuid;
BEGIN
    IF enqueue_import.file_base64 IS NOT NULL THEN
        IF bytes IS NOT NULL THEN
            RAISE EXCEPTION 'enqueue_import: give file_bytes or file_base64, not both'
                USING ERRCODE = '22023';
        END IF;
        bytes := decode(enqueue_import.file_base64, 'base64');
    END IF;
    IF bytes IS NULL AND enqueue_import.file_path IS NULL THEN
        RAISE EXCEPTION 'enqueue_import: give the file as bytes or as a path'
            USING ERRCODE = '22023';
    END IF;
    IF coalesce(btrim(enqueue_import.file_name), '') = '' OR enqueue_import.file_name ~ '[/\\]' THEN
        RAISE EXCEPTION 'enqueue_import: file_name must be a bare file name (no folders)'
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.mode NOT IN ('replace', 'append') THEN
        RAISE EXCEPTION 'enqueue_import: mode must be replace or append, not %', enqueue_import.mode
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.source NOT IN ('sql', 'cli', 'inbox', 'reprocess') THEN
        RAISE EXCEPTION 'enqueue_import: source must be sql, cli, inbox or reprocess'
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.file_path IS NOT NULL THEN
        IF enqueue_import.file_path !~ '^/' OR enqueue_import.file_path ~ '(^|/)\.\.?(/|$)'
           OR enqueue_import.file_path ~ '//' THEN
            RAISE EXCEPTION 'enqueue_import: file_path must be an absolute path without . or .. parts'
                USING ERRCODE = '22023';
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM public.queue_path_roots r
            WHERE left(enqueue_import.file_path, length(r.root) + 1) = r.root || '/'
        ) THEN
            RAISE EXCEPTION 'enqueue_import: % is not under a configured import root', enqueue_import.file_path
                USING ERRCODE = '42501',
                      HINT = 'add its folder to [worker] path_roots of a worker, or send the bytes';
        END IF;
    END IF;

    INSERT INTO public.import_jobs
        (state, priority, run_at, file_name, file_path, file_bytes, file_sha256, template,
         store_number, mode, force, source)
    VALUES
        ('available', enqueue_import.priority, coalesce(enqueue_import.run_at, now()),
         enqueue_import.file_name, enqueue_import.file_path, bytes,
         CASE WHEN bytes IS NULL THEN NULL ELSE encode(sha256(bytes), 'hex') END,
         enqueue_import.template, enqueue_import.store_number, enqueue_import.mode,
         enqueue_import.force, enqueue_import.source)
    RETURNING id INTO job_id;
    RETURN job_id;
END
$$;

REVOKE ALL ON FUNCTION public.enqueue_import(text, bytea, text, text, integer, text, boolean, integer, timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.enqueue_import(text, bytea, text, text, integer, text, boolean, integer, timestamptz, text, text) FROM anon, authenticated;
GRANT EXECUTE ON FUNCTION public.enqueue_import(text, bytea, text, text, integer, text, boolean, integer, timestamptz, text, text)
    TO service_role, pharmacy_ingest_worker;

-- Wake sleeping workers when a job becomes available (inserted, or retried by an operator).
-- The notification is delivered when the enqueuing transaction commits.
CREATE FUNCTION public.import_jobs_wake() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('pharmacy_ingest_jobs', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER import_jobs_wake_on_insert
    AFTER INSERT ON public.import_jobs
    FOR EACH ROW WHEN (NEW.state = 'available')
    EXECUTE FUNCTION public.import_jobs_wake();
CREATE TRIGGER import_jobs_wake_on_available
    AFTER UPDATE OF state ON public.import_jobs
    FOR EACH ROW WHEN (NEW.state = 'available' AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION public.import_jobs_wake();
