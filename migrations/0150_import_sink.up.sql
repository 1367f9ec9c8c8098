-- The import sink: the content-addressed store of imported files (for `imports reprocess`),
-- the link from a shift to its contact, request details on document_imports, and the
-- normalisation functions used to link employees to contacts.

-- Every imported file, by content. Holds employee data: RLS on, no policy for anon or
-- authenticated users; only the worker role (and owners / service_role) read it.
CREATE TABLE public.import_files (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes      bytea NOT NULL,
    size       bigint NOT NULL CHECK (size = octet_length(bytes)),
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.import_files ENABLE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON public.import_files TO pharmacy_ingest_worker;
CREATE POLICY import_files_worker ON public.import_files FOR ALL TO pharmacy_ingest_worker
    USING (true) WITH CHECK (true);

-- Phone numbers compared as E.164-ish strings: '+' and digits, 10-digit numbers taken as
-- North American (+1). Extensions are dropped. NULL when no usable number remains.
CREATE FUNCTION public.pharmacy_phone_e164(p text) RETURNS text
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

-- Names compared case-insensitively with runs of white space folded.
CREATE FUNCTION public.pharmacy_name_key(n text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(regexp_replace(btrim(n), '\s+', ' ', 'g'))
$$;

CREATE INDEX contacts_phone_e164_idx ON public.contacts (pharmacy_phone_e164(phone));
CREATE INDEX contacts_name_key_idx ON public.contacts (pharmacy_name_key(name));

-- The contact an imported shift was linked to (by phone, then by name).
ALTER TABLE public.store_schedules
    ADD COLUMN contact_id uuid REFERENCES public.contacts (id) ON DELETE SET NULL;
CREATE INDEX store_schedules_contact_id_idx ON public.store_schedules (contact_id);

-- What the caller asked for (so a reprocess can ask again) and the import a reprocess redoes.
ALTER TABLE public.document_imports
    ADD COLUMN requested_template text,
    ADD COLUMN requested_store_number int,
    ADD COLUMN reprocess_of uuid REFERENCES public.document_imports (id) ON DELETE SET NULL;

-- The machine-readable code of a row issue (`unreadable_time`, `unknown_employee`, ...).
ALTER TABLE public.import_history ADD COLUMN code text;
