-- Test Coordinator's first schema (DESIGN.md §5): scenarios with their versions,
-- executions, and the append-only event log every execution writes.
-- Never edit this file once applied: add 0002_*.sql instead (migrations/README.md).
-- Times are RFC 3339 UTC text with milliseconds, so they sort as text.

-- A scenario of the library or one uploaded by a user; its text lives in versions.
create table scenarios (
    id          text primary key,          -- slug: metadata.name for both kinds
    name        text not null,
    kind        text not null check (kind in ('scenario', 'template')),
    source      text not null check (source in ('library', 'custom')),
    category    text,
    description text,
    created_at  text not null,
    updated_at  text not null,
    archived_at text                        -- custom scenarios are archived, never lost
) strict;

-- Every saved version of a scenario, kept for history and diffs.
create table scenario_versions (
    scenario_id text    not null references scenarios (id) on delete cascade,
    version     integer not null check (version >= 1),
    definition  text    not null,           -- the YAML exactly as saved
    created_at  text    not null,
    primary key (scenario_id, version)
) strict;

-- One run of a plan. The definition and plan are copied so that a report of an
-- old execution is made from what actually ran.
create table executions (
    id               text primary key,      -- uuid
    scenario_id      text references scenarios (id) on delete set null,
    scenario_version integer,
    scenario_name    text not null,
    definition       text not null,         -- rendered YAML that ran
    parameters       text,                  -- template parameters, JSON
    plan             text not null,         -- the Plan, JSON
    options          text not null,         -- speed, dry_run, continue_on_failure, repeat: JSON
    status           text not null check (status in
                       ('queued', 'running', 'paused', 'completed', 'failed',
                        'stopped', 'timed_out', 'interrupted')),
    verdict          text,                  -- success criteria outcome, JSON
    started_by       text not null check (started_by in ('cli', 'ui', 'api', 'schedule')),
    created_at       text not null,
    started_at       text,
    finished_at      text
) strict;

create index executions_by_created on executions (created_at desc);
create index executions_by_status on executions (status);
create index executions_by_scenario on executions (scenario_name, created_at desc);

-- Append-only: one row per step, written by the engine's single recorder.
create table events (
    execution_id text    not null references executions (id) on delete cascade,
    seq          integer not null check (seq >= 0),
    at           text    not null,          -- wall-clock time recorded
    offset_ms    integer,                   -- actual offset from the execution start
    planned_ms   integer,                   -- planned offset, for timing skew
    kind         text    not null,
    phase        integer,                   -- phase index, null for execution-level events
    payload      text    not null,          -- JSON
    primary key (execution_id, seq)
) strict, without rowid;
