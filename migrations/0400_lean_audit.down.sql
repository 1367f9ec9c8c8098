-- Back to one `inserted` history row per shift: imports written with the lean audit get
-- theirs back from the shifts they still hold (what the older revert deletes by), then the
-- per-import store-days and the shift's cell column go.
INSERT INTO public.import_history (import_id, attempt, action, cell_ref, schedule_id, after)
SELECT s.import_id, 1, 'inserted', s.source_cell, s.id, to_jsonb(s) - 'source_cell'
FROM public.store_schedules s
WHERE s.import_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM public.import_history h
      WHERE h.import_id = s.import_id AND h.action = 'inserted' AND h.schedule_id = s.id);
DROP TABLE IF EXISTS public.import_store_dates;
ALTER TABLE public.store_schedules DROP COLUMN IF EXISTS source_cell;
