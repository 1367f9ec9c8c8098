-- Back to 0100's enqueue_import.

CREATE OR REPLACE FUNCTION public.enqueue_import(
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
