-- Recordings and replays (issue 19). A recording captures the chaos on the
-- configured services while it runs; each event is one row, numbered from 0.
-- Times the code compares are integer milliseconds since the Unix epoch.

create table recordings (
    rowid           bigint generated always as identity,  -- insertion order, as SQLite's rowid
    id              text collate "C"    primary key,          -- uuid
    name            text collate "C"    not null,
    services        text collate "C"    not null,             -- JSON array of service names ([] = all)
    state           text collate "C"    not null check (state in ('recording', 'stopped', 'interrupted', 'imported')),
    max_events      bigint not null check (max_events > 0),
    started_ms      bigint not null,
    ended_ms        bigint,
    event_count     bigint not null default 0 check (event_count >= 0),
    dropped_events  bigint not null default 0 check (dropped_events >= 0),
    created_by      text collate "C"    not null,
    created_at      text collate "C"    not null
);

-- At most one recording captures at a time.
create unique index recordings_one_active on recordings (state) where state = 'recording';
create index recordings_newest on recordings (started_ms desc);

create table recording_events (
    recording_id  text collate "C"    not null references recordings (id) on delete cascade,
    seq           bigint not null check (seq >= 0),
    at_ms         bigint not null,
    payload       text collate "C"    not null,                -- RecordedEvent JSON
    primary key (recording_id, seq)
);

-- A replay is an execution of the scenario a recording becomes.
create table replays (
    rowid          bigint generated always as identity,  -- insertion order, as SQLite's rowid
    execution_id   text collate "C"    primary key,
    recording_id   text collate "C"    not null references recordings (id) on delete cascade,
    speed          text collate "C"    not null,              -- `realtime`, `fast`, `×2`
    iterations     bigint not null check (iterations > 0),
    total_events   bigint not null check (total_events >= 0),
    created_at     text collate "C"    not null
);

create index replays_by_recording on replays (recording_id);
