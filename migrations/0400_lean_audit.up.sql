-- Lean import audit: an import no longer writes one `import_history` row per inserted shift.
-- The shift itself says where it came from (`store_schedules.import_id`, and now
-- `source_cell`), `audit_log` holds its row image, and `import_store_dates` records, once per
-- import, which store-days it changed (for revert's store locks and its "a later import
-- touched the same store-dates" check). History rows stay for replaced (with the full
-- before-image, so a revert restores them exactly), skipped, rejected and warned rows.

-- The cell (`Week!C7`, `page 2, C7`) a stored shift was read from.
ALTER TABLE public.store_schedules ADD COLUMN source_cell text;

-- The store-days an import inserted or replaced shifts on, with the counts.
CREATE TABLE public.import_store_dates (
    import_id     uuid NOT NULL REFERENCES public.document_imports (id) ON DELETE CASCADE,
    store_id      uuid NOT NULL,
    schedule_date date NOT NULL,
    inserted      integer NOT NULL DEFAULT 0,
    replaced      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, store_id, schedule_date)
);
CREATE INDEX import_store_dates_store_date_idx
    ON public.import_store_dates (store_id, schedule_date);

-- Imports written before this migration: their store-days from their history rows, and the
-- cells of the shifts they inserted.
INSERT INTO public.import_store_dates (import_id, store_id, schedule_date, inserted, replaced)
SELECT import_id, sid, d,
       count(*) FILTER (WHERE action = 'inserted'),
       count(*) FILTER (WHERE action = 'replaced')
FROM (
    SELECT import_id, action,
           (coalesce(after, before) ->> 'store_id')::uuid AS sid,
           (coalesce(after, before) ->> 'schedule_date')::date AS d
    FROM public.import_history
    WHERE action IN ('inserted', 'replaced')
      AND coalesce(after, before) ->> 'store_id' IS NOT NULL
      AND coalesce(after, before) ->> 'schedule_date' IS NOT NULL
) AS h
GROUP BY import_id, sid, d;

UPDATE public.store_schedules s SET source_cell = h.cell_ref
FROM public.import_history h
WHERE h.action = 'inserted' AND h.schedule_id = s.id AND h.import_id = s.import_id
  AND h.cell_ref IS NOT NULL;

ALTER TABLE public.import_store_dates ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.import_store_dates FROM PUBLIC, anon;
GRANT SELECT ON public.import_store_dates TO authenticated;
GRANT ALL ON public.import_store_dates TO service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.import_store_dates TO pharmacy_ingest_worker;
CREATE POLICY import_store_dates_service_role ON public.import_store_dates FOR ALL
    TO service_role USING (true) WITH CHECK (true);
CREATE POLICY import_store_dates_manager_read ON public.import_store_dates FOR SELECT
    TO authenticated USING ((SELECT public.jwt_is_manager()));
CREATE POLICY import_store_dates_worker ON public.import_store_dates FOR ALL
    TO pharmacy_ingest_worker USING (true) WITH CHECK (true);
