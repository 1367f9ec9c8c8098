-- Back to 0260's size check and 0600's unconditional outcome trigger on insert.
CREATE OR REPLACE FUNCTION public.import_jobs_check_size() RETURNS trigger
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

DROP TRIGGER import_jobs_set_outcome_on_insert ON public.import_jobs;
CREATE TRIGGER import_jobs_set_outcome_on_insert
    BEFORE INSERT ON public.import_jobs
    FOR EACH ROW EXECUTE FUNCTION public.import_jobs_set_outcome();
