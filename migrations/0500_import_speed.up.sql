-- Two costs of an import that grew with its rows (issue 13).
--
-- 1. The phone key, computed once per call. 0150's SQL function could not be inlined
-- (its body has a FROM), so every call ran a small query: about 8 us, and linking a file of
-- 14,000 employees spent 230 ms in it. The same expression in PL/pgSQL takes about 2 us and
-- returns the same value for every input (an IMMUTABLE function may change body, not
-- results: contacts_phone_e164_idx stays valid).
CREATE OR REPLACE FUNCTION public.pharmacy_phone_e164(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    d text := regexp_replace(
                  regexp_replace(lower(p), '\s*(x|ext\.?|extension)\s*\d+\s*$', ''),
                  '\D', '', 'g');
BEGIN
    RETURN CASE
        WHEN length(d) = 10 THEN '+1' || d
        WHEN length(d) = 11 AND left(d, 1) = '1' THEN '+' || d
        WHEN left(d, 2) = '00' AND length(d) BETWEEN 10 AND 17 THEN '+' || substr(d, 3)
        WHEN left(btrim(p), 1) = '+' AND length(d) BETWEEN 8 AND 15 THEN '+' || d
        ELSE NULL
    END;
END
$$;

-- 2. The shift's import and contact, checked once per statement. `store_schedules.import_id`
-- and `contact_id` referenced `document_imports` and `contacts` with foreign keys, which
-- PostgreSQL checks row by row (a query and a row lock per shift and key): 350 ms of copying
-- 100,000 shifts with their import (`\copy`, same rows, 2.9-3.2 s against 3.3-3.5 s), and as
-- much again when the employees are linked to contacts. The same rules are kept by statement
-- triggers: new or changed shifts must name an existing import and contact (locked against
-- deletion, then counted, like a foreign key's check, once per distinct value), and deleting
-- or truncating imports or contacts clears their shifts' reference (the keys' ON DELETE SET
-- NULL).
ALTER TABLE public.store_schedules DROP CONSTRAINT IF EXISTS store_schedules_import_id_fkey;
ALTER TABLE public.store_schedules DROP CONSTRAINT IF EXISTS store_schedules_contact_id_fkey;

CREATE FUNCTION public.store_schedules_check_references() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    wanted bigint;
    locked bigint;
BEGIN
    -- Lock first, then count, as a foreign key's check does: a lock waits for a concurrent
    -- delete and then finds the row gone, so a counted row cannot be deleted under the shifts.
    SELECT count(*) INTO wanted FROM (
        SELECT import_id FROM new_rows WHERE import_id IS NOT NULL GROUP BY import_id) n;
    IF wanted > 0 THEN
        SELECT count(*) INTO locked FROM (
            SELECT 1 FROM public.document_imports d
            WHERE d.id IN (SELECT import_id FROM new_rows WHERE import_id IS NOT NULL)
            FOR KEY SHARE OF d) l;
        IF locked < wanted THEN
            RAISE EXCEPTION 'insert or update on table "store_schedules" violates its reference to "document_imports"'
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = 'A shift names an import_id that is not an import.';
        END IF;
    END IF;
    SELECT count(*) INTO wanted FROM (
        SELECT contact_id FROM new_rows WHERE contact_id IS NOT NULL GROUP BY contact_id) n;
    IF wanted > 0 THEN
        SELECT count(*) INTO locked FROM (
            SELECT 1 FROM public.contacts c
            WHERE c.id IN (SELECT contact_id FROM new_rows WHERE contact_id IS NOT NULL)
            FOR KEY SHARE OF c) l;
        IF locked < wanted THEN
            RAISE EXCEPTION 'insert or update on table "store_schedules" violates its reference to "contacts"'
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = 'A shift names a contact_id that is not a contact.';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER store_schedules_references_on_insert
    AFTER INSERT ON public.store_schedules REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_check_references();
CREATE TRIGGER store_schedules_references_on_update
    AFTER UPDATE ON public.store_schedules REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_check_references();

-- Deleting (or truncating) imports or contacts: their shifts stay, without the reference.
CREATE FUNCTION public.store_schedules_release_references() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'document_imports' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE public.store_schedules SET import_id = NULL WHERE import_id IS NOT NULL;
        ELSE
            UPDATE public.store_schedules s SET import_id = NULL
            FROM old_rows o WHERE s.import_id = o.id;
        END IF;
    ELSIF TG_TABLE_NAME = 'contacts' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE public.store_schedules SET contact_id = NULL WHERE contact_id IS NOT NULL;
        ELSE
            UPDATE public.store_schedules s SET contact_id = NULL
            FROM old_rows o WHERE s.contact_id = o.id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER store_schedules_release_on_import_delete
    AFTER DELETE ON public.document_imports REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_release_references();
CREATE TRIGGER store_schedules_release_on_import_truncate
    AFTER TRUNCATE ON public.document_imports
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_release_references();
CREATE TRIGGER store_schedules_release_on_contact_delete
    AFTER DELETE ON public.contacts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_release_references();
CREATE TRIGGER store_schedules_release_on_contact_truncate
    AFTER TRUNCATE ON public.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION public.store_schedules_release_references();

REVOKE ALL ON FUNCTION public.store_schedules_check_references() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.store_schedules_release_references() FROM PUBLIC;
