-- Processing templates, imports with their row-by-row history, and the job queue.

CREATE TABLE public.processing_templates (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text UNIQUE NOT NULL,
    description  text,
    layout       text NOT NULL CHECK (layout IN ('rows', 'grid')),
    definition   jsonb NOT NULL,
    source       text NOT NULL DEFAULT 'database' CHECK (source IN ('file', 'database')),
    checksum     text,
    priority     integer NOT NULL DEFAULT 0,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Column mappings of a template: which header aliases feed which target field.
CREATE TABLE public.data_mappings (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id   uuid NOT NULL REFERENCES public.processing_templates (id) ON DELETE CASCADE,
    target_field  text NOT NULL,
    aliases       text[] NOT NULL DEFAULT '{}',
    position      integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (template_id, target_field)
);

-- One row per file processed.
CREATE TABLE public.document_imports (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file_name      text NOT NULL,
    file_size      bigint,
    sha256         text NOT NULL,
    format         text,
    source         text NOT NULL CHECK (source IN ('inbox', 'cli', 'sql', 'reprocess')),
    template       text,
    mode           text NOT NULL DEFAULT 'replace' CHECK (mode IN ('replace', 'append')),
    status         text NOT NULL
                   CHECK (status IN ('processing', 'succeeded', 'partial', 'failed', 'duplicate', 'reverted')),
    rows_total     integer DEFAULT 0,
    rows_imported  integer DEFAULT 0,
    rows_rejected  integer DEFAULT 0,
    rows_replaced  integer DEFAULT 0,
    warnings       integer DEFAULT 0,
    error          text,
    store_numbers  integer[],
    date_from      date,
    date_to        date,
    job_id         uuid,
    created_by     text,
    created_at     timestamptz DEFAULT now(),
    finished_at    timestamptz,
    reverted_at    timestamptz,
    reverted_by    text
);
CREATE INDEX document_imports_sha256_idx ON public.document_imports (sha256);
CREATE INDEX document_imports_created_at_idx ON public.document_imports (created_at);

-- What each processing attempt did, row by row.
CREATE TABLE public.import_history (
    id           bigserial PRIMARY KEY,
    import_id    uuid NOT NULL REFERENCES public.document_imports (id) ON DELETE CASCADE,
    attempt      integer NOT NULL DEFAULT 1,
    action       text NOT NULL
                 CHECK (action IN ('inserted', 'replaced', 'skipped', 'rejected', 'warning', 'reverted', 'duplicate')),
    cell_ref     text,
    message      text,
    schedule_id  uuid,
    before       jsonb,
    after        jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_history_import_id_idx ON public.import_history (import_id);

-- The job queue (River-style states, lease and attempts).
CREATE TABLE public.import_jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    state         text NOT NULL DEFAULT 'available'
                  CHECK (state IN ('available', 'running', 'retryable', 'succeeded', 'failed', 'cancelled')),
    priority      smallint NOT NULL DEFAULT 0,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempt       integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5,
    lease_token   uuid,
    leased_until  timestamptz,
    heartbeat_at  timestamptz,
    worker_id     text,
    file_name     text NOT NULL,
    file_path     text,
    file_bytes    bytea,
    file_sha256   text,
    template      text,
    store_number  integer,
    mode          text NOT NULL DEFAULT 'replace' CHECK (mode IN ('replace', 'append')),
    force         boolean NOT NULL DEFAULT false,
    source        text NOT NULL DEFAULT 'sql',
    stage         text,
    rows_done     integer NOT NULL DEFAULT 0,
    rows_total    integer,
    last_error    text,
    errors        jsonb NOT NULL DEFAULT '[]',
    import_id     uuid REFERENCES public.document_imports (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX import_jobs_claim_idx ON public.import_jobs (state, priority DESC, run_at)
    WHERE state IN ('available', 'retryable');
CREATE INDEX import_jobs_running_lease_idx ON public.import_jobs (leased_until)
    WHERE state = 'running';
CREATE INDEX import_jobs_import_id_idx ON public.import_jobs (import_id);

ALTER TABLE public.store_schedules
    ADD COLUMN import_id uuid REFERENCES public.document_imports (id) ON DELETE SET NULL;
CREATE INDEX store_schedules_import_id_idx ON public.store_schedules (import_id);
CREATE INDEX store_schedules_store_date_idx ON public.store_schedules (store_id, schedule_date);

CREATE TRIGGER processing_templates_set_updated_at BEFORE UPDATE ON public.processing_templates
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER data_mappings_set_updated_at BEFORE UPDATE ON public.data_mappings
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER import_jobs_set_updated_at BEFORE UPDATE ON public.import_jobs
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
