-- Back to 0450: the foreign keys on store_schedules.import_id and contact_id, and 0150's
-- phone key.
DROP TRIGGER IF EXISTS store_schedules_release_on_contact_truncate ON public.contacts;
DROP TRIGGER IF EXISTS store_schedules_release_on_contact_delete ON public.contacts;
DROP TRIGGER IF EXISTS store_schedules_release_on_import_truncate ON public.document_imports;
DROP TRIGGER IF EXISTS store_schedules_release_on_import_delete ON public.document_imports;
DROP FUNCTION IF EXISTS public.store_schedules_release_references();
DROP TRIGGER IF EXISTS store_schedules_references_on_update ON public.store_schedules;
DROP TRIGGER IF EXISTS store_schedules_references_on_insert ON public.store_schedules;
DROP FUNCTION IF EXISTS public.store_schedules_check_references();
UPDATE public.store_schedules s SET import_id = NULL
WHERE import_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM public.document_imports d WHERE d.id = s.import_id);
UPDATE public.store_schedules s SET contact_id = NULL
WHERE contact_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM public.contacts c WHERE c.id = s.contact_id);
ALTER TABLE public.store_schedules ADD CONSTRAINT store_schedules_import_id_fkey
    FOREIGN KEY (import_id) REFERENCES public.document_imports (id) ON DELETE SET NULL;
ALTER TABLE public.store_schedules ADD CONSTRAINT store_schedules_contact_id_fkey
    FOREIGN KEY (contact_id) REFERENCES public.contacts (id) ON DELETE SET NULL;

CREATE OR REPLACE FUNCTION public.pharmacy_phone_e164(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN length(d) = 10 THEN '+1' || d
        WHEN length(d) = 11 AND left(d, 1) = '1' THEN '+' || d
        WHEN left(d, 2) = '00' AND length(d) BETWEEN 10 AND 17 THEN '+' || substr(d, 3)
        WHEN left(btrim(p), 1) = '+' AND length(d) BETWEEN 8 AND 15 THEN '+' || d
        ELSE NULL
    END
    FROM (SELECT regexp_replace(
                     regexp_replace(lower(p), '\s*(x|ext\.?|extension)\s*\d+\s*$', ''),
                     '\D', '', 'g') AS d) AS s
$$;
