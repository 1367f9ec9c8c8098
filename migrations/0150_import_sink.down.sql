ALTER TABLE public.import_history DROP COLUMN IF EXISTS code;
ALTER TABLE public.document_imports
    DROP COLUMN IF EXISTS reprocess_of,
    DROP COLUMN IF EXISTS requested_store_number,
    DROP COLUMN IF EXISTS requested_template;
DROP INDEX IF EXISTS public.store_schedules_contact_id_idx;
ALTER TABLE public.store_schedules DROP COLUMN IF EXISTS contact_id;
DROP INDEX IF EXISTS public.contacts_name_key_idx;
DROP INDEX IF EXISTS public.contacts_phone_e164_idx;
DROP FUNCTION IF EXISTS public.pharmacy_name_key(text);
DROP FUNCTION IF EXISTS public.pharmacy_phone_e164(text);
DROP TABLE IF EXISTS public.import_files;
