-- The seed tables, with the seed's columns exactly (columns may be added, never renamed).

CREATE TABLE public.stores (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_number    integer UNIQUE NOT NULL,
    address         text NOT NULL,
    city            text NOT NULL,
    state           text NOT NULL,
    zip_code        text NOT NULL,
    phone           text,
    pharmacy_hours  jsonb,
    store_hours     jsonb,
    latitude        numeric,
    longitude       numeric,
    is_active       boolean DEFAULT true,
    created_at      timestamptz DEFAULT now(),
    updated_at      timestamptz DEFAULT now()
);

CREATE TABLE public.contacts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL,
    phone               text UNIQUE NOT NULL,
    email               text UNIQUE,
    status              text DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'pending')),
    priority            text DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
    notes               text,
    total_messages      integer DEFAULT 0,
    total_appointments  integer DEFAULT 0,
    ai_enabled          boolean DEFAULT true,
    created_at          timestamptz DEFAULT now(),
    updated_at          timestamptz DEFAULT now()
);
CREATE INDEX contacts_phone_idx ON public.contacts (phone);
CREATE INDEX contacts_status_idx ON public.contacts (status);

CREATE TABLE public.store_schedules (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id        uuid REFERENCES public.stores (id) ON DELETE CASCADE,
    employee_name   text NOT NULL,
    employee_phone  text,
    schedule_date   date NOT NULL,
    shift_start     time,
    shift_end       time,
    position        text,
    notes           text,
    created_at      timestamptz DEFAULT now(),
    updated_at      timestamptz DEFAULT now()
);
CREATE INDEX store_schedules_schedule_date_idx ON public.store_schedules (schedule_date);
CREATE INDEX store_schedules_store_id_idx ON public.store_schedules (store_id);
CREATE INDEX store_schedules_employee_phone_idx ON public.store_schedules (employee_phone);

-- SMS history with a contact.
CREATE TABLE public.messages (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id           uuid NOT NULL REFERENCES public.contacts (id) ON DELETE CASCADE,
    direction            text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body                 text NOT NULL,
    provider_message_id  text,
    provider_status      text,
    sent_at              timestamptz,
    delivered_at         timestamptz,
    created_at           timestamptz DEFAULT now(),
    updated_at           timestamptz DEFAULT now()
);
CREATE INDEX messages_contact_id_idx ON public.messages (contact_id);
CREATE INDEX messages_created_at_idx ON public.messages (created_at);

CREATE TABLE public.appointments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_id  uuid NOT NULL REFERENCES public.contacts (id) ON DELETE CASCADE,
    store_id    uuid REFERENCES public.stores (id) ON DELETE SET NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    status      text NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'confirmed', 'completed', 'cancelled', 'no_show')),
    notes       text,
    created_at  timestamptz DEFAULT now(),
    updated_at  timestamptz DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);
CREATE INDEX appointments_contact_id_idx ON public.appointments (contact_id);
CREATE INDEX appointments_store_id_idx ON public.appointments (store_id);
CREATE INDEX appointments_starts_at_idx ON public.appointments (starts_at);

CREATE TRIGGER stores_set_updated_at BEFORE UPDATE ON public.stores
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER contacts_set_updated_at BEFORE UPDATE ON public.contacts
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER store_schedules_set_updated_at BEFORE UPDATE ON public.store_schedules
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER messages_set_updated_at BEFORE UPDATE ON public.messages
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER appointments_set_updated_at BEFORE UPDATE ON public.appointments
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
