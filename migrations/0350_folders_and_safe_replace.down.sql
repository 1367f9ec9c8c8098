DROP INDEX IF EXISTS public.document_imports_reprocess_of_idx;
DROP INDEX IF EXISTS public.document_imports_unfixed_idx;
ALTER TABLE public.document_imports
    DROP COLUMN IF EXISTS replace_summary,
    DROP COLUMN IF EXISTS approved_by,
    DROP COLUMN IF EXISTS fixed_at,
    DROP COLUMN IF EXISTS fixed_by,
    DROP COLUMN IF EXISTS filed_path;
-- A held import wrote nothing: it becomes a failed one.
UPDATE public.document_imports SET status = 'failed' WHERE status = 'held';
ALTER TABLE public.document_imports DROP CONSTRAINT IF EXISTS document_imports_status_check;
ALTER TABLE public.document_imports ADD CONSTRAINT document_imports_status_check
    CHECK (status IN ('processing', 'succeeded', 'partial', 'failed', 'duplicate', 'reverted'));
