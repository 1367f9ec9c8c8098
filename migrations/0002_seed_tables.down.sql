DROP TABLE IF EXISTS public.appointments;
DROP TABLE IF EXISTS public.messages;
DROP TABLE IF EXISTS public.store_schedules;
DROP TABLE IF EXISTS public.contacts;
DROP TABLE IF EXISTS public.stores;
