-- Test Coordinator's first schema (DESIGN.md §5): scenarios with their versions,
-- executions, and the append-only event log every execution writes.
-- Never edit this file once applied: add 0002_*.sql instead (migrations/README.md).
-- PostgreSQL's twin of ../0001_init.sql: the same tables, columns and
-- constraints; integers are bigint and text sorts byte-wise (collate "C"), as
-- in SQLite, so both backends answer every query alike.
-- Times are RFC 3339 UTC text with milliseconds, so they sort as text.

-- A scenario of the library or one uploaded by a user; its text lives in versions.
create table scenarios (
    id          text collate "C" primary key,          -- slug: metadata.name for both kinds
    name        text collate "C" not null,
    kind        text collate "C" not null check (kind in ('scenario', 'template')),
    source      text collate "C" not null check (source in ('library', 'custom')),
    category    text collate "C",
    description text collate "C",
    created_at  text collate "C" not null,
    updated_at  text collate "C" not null,
    archived_at text collate "C"                        -- custom scenarios are archived, never lost
);

-- Every saved version of a scenario, kept for history and diffs.
create table scenario_versions (
    scenario_id text collate "C"    not null references scenarios (id) on delete cascade,
    version     bigint not null check (version >= 1),
    definition  text collate "C"    not null,           -- the YAML exactly as saved
    created_at  text collate "C"    not null,
    primary key (scenario_id, version)
);

-- One run of a plan. The definition and plan are copied so that a report of an
-- old execution is made from what actually ran.
create table executions (
    id               text collate "C" primary key,      -- uuid
    scenario_id      text collate "C" references scenarios (id) on delete set null,
    scenario_version bigint,
    scenario_name    text collate "C" not null,
    definition       text collate "C" not null,         -- rendered YAML that ran
    parameters       text collate "C",                  -- template parameters, JSON
    plan             text collate "C" not null,         -- the Plan, JSON
    options          text collate "C" not null,         -- speed, dry_run, continue_on_failure, repeat: JSON
    status           text collate "C" not null check (status in
                       ('queued', 'running', 'paused', 'completed', 'failed',
                        'stopped', 'timed_out', 'interrupted')),
    verdict          text collate "C",                  -- success criteria outcome, JSON
    started_by       text collate "C" not null check (started_by in ('cli', 'ui', 'api', 'schedule')),
    created_at       text collate "C" not null,
    started_at       text collate "C",
    finished_at      text collate "C"
);

create index executions_by_created on executions (created_at desc);
create index executions_by_status on executions (status);
create index executions_by_scenario on executions (scenario_name, created_at desc);

-- Append-only: one row per step, written by the engine's single recorder.
create table events (
    execution_id text collate "C"    not null references executions (id) on delete cascade,
    seq          bigint not null check (seq >= 0),
    at           text collate "C"    not null,          -- wall-clock time recorded
    offset_ms    bigint,                   -- actual offset from the execution start
    planned_ms   bigint,                   -- planned offset, for timing skew
    kind         text collate "C"    not null,
    phase        bigint,                   -- phase index, null for execution-level events
    payload      text collate "C"    not null,          -- JSON
    primary key (execution_id, seq)
);
