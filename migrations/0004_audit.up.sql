-- Audit trail of every change to stores, contacts and store_schedules, written by trigger so
-- manual edits are as traceable as imports. Who: the database role (`current_user`) plus the
-- JWT `sub` and `phone` claims when the change came through an API request.

CREATE TABLE public.audit_log (
    id          bigserial PRIMARY KEY,
    table_name  text NOT NULL,
    operation   text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    row_id      uuid,
    db_user     text NOT NULL DEFAULT current_user,
    jwt_sub     text,
    jwt_phone   text,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    old_row     jsonb,
    new_row     jsonb,
    -- For an UPDATE, the columns whose value changed (updated_at excluded).
    changed_columns text[]
);
CREATE INDEX audit_log_table_row_idx ON public.audit_log (table_name, row_id);
CREATE INDEX audit_log_changed_at_idx ON public.audit_log (changed_at);

-- Statement-level triggers with transition tables: a bulk import of thousands of shifts costs
-- one trigger call, not one per row. SECURITY INVOKER on purpose: `current_user` must be the
-- role that made the change. Other roles may insert into audit_log only from inside a trigger
-- (see the policy in 0005_security). An UPDATE that changes a row's `id` is not supported
-- (ids are never updated).
CREATE FUNCTION public.audit_row_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    claims jsonb;
BEGIN
    BEGIN
        claims := auth.jwt();
    EXCEPTION WHEN others THEN
        claims := NULL; -- a malformed claims setting must not block the change
    END;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, n.id, current_user, claims ->> 'sub', claims ->> 'phone',
               NULL, to_jsonb(n)
        FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row)
        SELECT TG_TABLE_NAME, TG_OP, o.id, current_user, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), NULL
        FROM old_rows o;
    ELSE
        INSERT INTO public.audit_log
            (table_name, operation, row_id, db_user, jwt_sub, jwt_phone, old_row, new_row,
             changed_columns)
        SELECT TG_TABLE_NAME, TG_OP, n.id, current_user, claims ->> 'sub', claims ->> 'phone',
               to_jsonb(o), to_jsonb(n), ch.cols
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            SELECT array_agg(e.key ORDER BY e.key) AS cols
            FROM jsonb_each(to_jsonb(n)) e
            WHERE e.key <> 'updated_at' AND e.value IS DISTINCT FROM to_jsonb(o) -> e.key
        ) ch
        WHERE ch.cols IS NOT NULL; -- nothing but updated_at changed: nothing to record
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER stores_audit_insert AFTER INSERT ON public.stores
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER stores_audit_update AFTER UPDATE ON public.stores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER stores_audit_delete AFTER DELETE ON public.stores
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER contacts_audit_insert AFTER INSERT ON public.contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER contacts_audit_update AFTER UPDATE ON public.contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER contacts_audit_delete AFTER DELETE ON public.contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER store_schedules_audit_insert AFTER INSERT ON public.store_schedules
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER store_schedules_audit_update AFTER UPDATE ON public.store_schedules
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
CREATE TRIGGER store_schedules_audit_delete AFTER DELETE ON public.store_schedules
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
