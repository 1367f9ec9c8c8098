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
