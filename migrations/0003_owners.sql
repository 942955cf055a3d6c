-- Owners (issue 13): every process that runs executions (`serve`, a local
-- `execute`, `recover`) is an owner with a lease it renews every few seconds.
-- An execution belongs to one owner; only the owner writes its events, and an
-- unfinished execution is taken over (recovered) only once its owner's lease
-- has run out. docs/engine.md, "Owners", says why a lease and not a pid.

create table owners (
    id          text    primary key,        -- uuid, one per process
    command     text    not null,           -- serve, execute, recover, …
    host        text    not null,           -- for people (and a later same-host check)
    pid         integer not null,
    lease_until integer not null,           -- unix time in ms; the owner is gone after it
    created_at  text    not null
) strict;

-- Null for executions stored before owners existed: nobody owns them.
alter table executions add column owner_id text;

create index executions_by_owner on executions (owner_id);
