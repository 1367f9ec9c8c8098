-- Back to the server's default compression for stored files (values compressed with lz4 stay
-- readable).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'default_toast_compression') THEN
        ALTER TABLE public.import_files ALTER COLUMN bytes SET COMPRESSION default;
        ALTER TABLE public.import_jobs ALTER COLUMN file_bytes SET COMPRESSION default;
    END IF;
END
$$;
