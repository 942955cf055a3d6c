-- Orchestrations (issue 19): seed 001's documents of steps, stored with every
-- version like uploaded scenarios, and run as suites whose members are the
-- steps' executions (one member per step and iteration).

create table orchestrations (
    id          text collate "C" primary key,           -- the document's `name`
    description text collate "C",
    tags        text collate "C" not null,              -- JSON list
    created_at  text collate "C" not null,
    created_by  text collate "C" not null,
    updated_at  text collate "C" not null,
    archived_at text collate "C"                        -- removed ones are archived, never lost
);

create table orchestration_versions (
    orchestration_id text collate "C"    not null references orchestrations (id) on delete cascade,
    version          bigint not null check (version >= 1),
    source           text collate "C"    not null,      -- the YAML or JSON exactly as imported
    created_at       text collate "C"    not null,
    created_by       text collate "C"    not null,
    primary key (orchestration_id, version)
);

-- A suite may now be paused and stopped (both by hand), and may be an
-- orchestration's run. (SQLite rebuilds both tables; PostgreSQL changes them
-- in place to the same shape.)
alter table suites drop constraint suites_status_check;
alter table suites add constraint suites_status_check check (status in
    ('running', 'paused', 'completed', 'failed', 'stopped', 'interrupted'));
alter table suites add column orchestration_id text collate "C";      -- an orchestration's run: which one
alter table suites add column orchestration_version bigint;          -- and its version (null when run inline)
alter table suites add column orchestration_name text collate "C";    -- its `name`, also for inline runs

alter table suite_members add column step text collate "C";            -- an orchestration's step name
alter table suite_members add column iteration bigint check (iteration >= 1);
alter table suite_members add column outcome text collate "C" check (outcome in ('time_boxed', 'skipped'));

create index suites_by_orchestration on suites (orchestration_id, created_at desc)
    where orchestration_id is not null;
