-- enqueue_import with clear errors for bad arguments: base64 that is not base64 (the
-- character and its position, URL-safe alphabet, missing padding, white space and a `data:`
-- prefix accepted), null or out-of-range mode/force/priority/source, a store number that
-- cannot be one, an empty template name. Same signature, so grants stay as 0100 set them.

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
    b64 text;
    job_id uuid;
BEGIN
    IF enqueue_import.file_base64 IS NOT NULL THEN
        IF bytes IS NOT NULL THEN
            RAISE EXCEPTION 'enqueue_import: give file_bytes or file_base64, not both'
                USING ERRCODE = '22023';
        END IF;
        b64 := regexp_replace(enqueue_import.file_base64, '^data:[^,]*;base64,', '');
        b64 := translate(b64, E'-_ \t\r\n', '+/');
        IF b64 ~ '[^A-Za-z0-9+/=]' THEN
            RAISE EXCEPTION 'enqueue_import: file_base64 is not base64: it holds % at character %',
                    quote_literal(substring(b64 FROM '[^A-Za-z0-9+/=]')),
                    position(substring(b64 FROM '[^A-Za-z0-9+/=]') IN b64)
                USING ERRCODE = '22023',
                      HINT = 'encode the file''s bytes with standard base64 (RFC 4648), or send them as file_bytes';
        END IF;
        b64 := rtrim(b64, '=');
        IF length(b64) % 4 = 1 THEN
            RAISE EXCEPTION 'enqueue_import: file_base64 is cut short (% base64 characters cannot be whole bytes)', length(b64)
                USING ERRCODE = '22023',
                      HINT = 'send the whole base64 text of the file';
        END IF;
        b64 := b64 || repeat('=', (4 - length(b64) % 4) % 4);
        bytes := decode(b64, 'base64');
    END IF;
    IF bytes IS NULL AND enqueue_import.file_path IS NULL THEN
        RAISE EXCEPTION 'enqueue_import: give the file as bytes or as a path'
            USING ERRCODE = '22023';
    END IF;
    IF coalesce(btrim(enqueue_import.file_name), '') = '' OR enqueue_import.file_name ~ '[/\\]' THEN
        RAISE EXCEPTION 'enqueue_import: file_name must be a bare file name (no folders)'
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.mode IS NULL OR enqueue_import.mode NOT IN ('replace', 'append') THEN
        RAISE EXCEPTION 'enqueue_import: mode must be replace or append, not %', coalesce(quote_literal(enqueue_import.mode), 'null')
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.source IS NULL OR enqueue_import.source NOT IN ('sql', 'cli', 'inbox', 'reprocess') THEN
        RAISE EXCEPTION 'enqueue_import: source must be sql, cli, inbox or reprocess'
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.force IS NULL THEN
        RAISE EXCEPTION 'enqueue_import: force must be true or false, not null'
            USING ERRCODE = '22023';
    END IF;
    IF enqueue_import.priority IS NULL OR enqueue_import.priority NOT BETWEEN -32768 AND 32767 THEN
        RAISE EXCEPTION 'enqueue_import: priority must be a whole number from -32768 to 32767, not %',
                coalesce(enqueue_import.priority::text, 'null')
            USING ERRCODE = '22023', HINT = 'higher runs first; 0 is the default';
    END IF;
    IF enqueue_import.store_number IS NOT NULL AND enqueue_import.store_number <= 0 THEN
        RAISE EXCEPTION 'enqueue_import: store_number must be a positive store number, not %', enqueue_import.store_number
            USING ERRCODE = '22023', HINT = 'leave it null to take the store from the file';
    END IF;
    IF enqueue_import.template IS NOT NULL AND btrim(enqueue_import.template) = '' THEN
        RAISE EXCEPTION 'enqueue_import: template must be a template name or null (auto-detect), not empty'
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
