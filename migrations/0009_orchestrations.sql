-- Orchestrations (issue 19): seed 001's documents of steps, stored with every
-- version like uploaded scenarios, and run as suites whose members are the
-- steps' executions (one member per step and iteration).

create table orchestrations (
    id          text primary key,           -- the document's `name`
    description text,
    tags        text not null,              -- JSON list
    created_at  text not null,
    created_by  text not null,
    updated_at  text not null,
    archived_at text                        -- removed ones are archived, never lost
) strict;

create table orchestration_versions (
    orchestration_id text    not null references orchestrations (id) on delete cascade,
    version          integer not null check (version >= 1),
    source           text    not null,      -- the YAML or JSON exactly as imported
    created_at       text    not null,
    created_by       text    not null,
    primary key (orchestration_id, version)
) strict;

-- A suite may now be paused and stopped (both by hand), and may be an
-- orchestration's run. SQLite cannot change a check constraint in place, so
-- both tables are rebuilt: the members' copy first points at the new suites
-- table, the old tables are dropped (members first, so no cascade fires), and
-- the renames carry the foreign key along.
create table suites_v9 (
    id                    text    primary key,
    mode                  text    not null check (mode in ('sequential', 'random')),
    parallel              integer not null check (parallel in (0, 1)),
    seed                  integer,
    options               text    not null,
    status                text    not null check (status in
                            ('running', 'paused', 'completed', 'failed', 'stopped', 'interrupted')),
    started_by            text    not null check (started_by in ('cli', 'ui', 'api', 'schedule')),
    created_at            text    not null,
    finished_at           text,
    owner_id              text,
    actor                 text,
    orchestration_id      text,             -- an orchestration's run: which one
    orchestration_version integer,          -- and its version (null when run inline)
    orchestration_name    text              -- its `name`, also for inline runs
) strict;

insert into suites_v9 (id, mode, parallel, seed, options, status, started_by, created_at,
                       finished_at, owner_id, actor)
    select id, mode, parallel, seed, options, status, started_by, created_at,
           finished_at, owner_id, actor
    from suites;

create table suite_members_v9 (
    suite_id     text    not null references suites_v9 (id) on delete cascade,
    position     integer not null check (position >= 0),
    execution_id text    not null unique,
    scenario     text    not null,
    created_at   text    not null,
    step         text,                      -- an orchestration's step name
    iteration    integer check (iteration >= 1),
    outcome      text check (outcome in ('time_boxed', 'skipped')),
    primary key (suite_id, position)
) strict;

insert into suite_members_v9 (suite_id, position, execution_id, scenario, created_at)
    select suite_id, position, execution_id, scenario, created_at from suite_members;

drop table suite_members;
drop table suites;
alter table suites_v9 rename to suites;
alter table suite_members_v9 rename to suite_members;

create index suites_by_created on suites (created_at desc);
create index suites_by_orchestration on suites (orchestration_id, created_at desc)
    where orchestration_id is not null;
