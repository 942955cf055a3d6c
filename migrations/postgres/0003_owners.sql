-- Owners (issue 13): every process that runs executions (`serve`, a local
-- `execute`, `recover`) is an owner with a lease it renews every few seconds.
-- An execution belongs to one owner; only the owner writes its events, and an
-- unfinished execution is taken over (recovered) only once its owner's lease
-- has run out. docs/engine.md, "Owners", says why a lease and not a pid.

create table owners (
    id          text collate "C"    primary key,        -- uuid, one per process
    command     text collate "C"    not null,           -- serve, execute, recover, …
    host        text collate "C"    not null,           -- for people (and a later same-host check)
    pid         bigint not null,
    lease_until bigint not null,           -- unix time in ms; the owner is gone after it
    created_at  text collate "C"    not null
);

-- Null for executions stored before owners existed: nobody owns them.
alter table executions add column owner_id text collate "C";

create index executions_by_owner on executions (owner_id);
