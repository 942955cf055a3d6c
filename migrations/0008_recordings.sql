-- Recordings and replays (issue 19). A recording captures the chaos on the
-- configured services while it runs; each event is one row, numbered from 0.
-- Times the code compares are integer milliseconds since the Unix epoch.

create table recordings (
    id              text    primary key,          -- uuid
    name            text    not null,
    services        text    not null,             -- JSON array of service names ([] = all)
    state           text    not null check (state in ('recording', 'stopped', 'interrupted', 'imported')),
    max_events      integer not null check (max_events > 0),
    started_ms      integer not null,
    ended_ms        integer,
    event_count     integer not null default 0 check (event_count >= 0),
    dropped_events  integer not null default 0 check (dropped_events >= 0),
    created_by      text    not null,
    created_at      text    not null
) strict;

-- At most one recording captures at a time.
create unique index recordings_one_active on recordings (state) where state = 'recording';
create index recordings_newest on recordings (started_ms desc);

create table recording_events (
    recording_id  text    not null references recordings (id) on delete cascade,
    seq           integer not null check (seq >= 0),
    at_ms         integer not null,
    payload       text    not null,                -- RecordedEvent JSON
    primary key (recording_id, seq)
) strict, without rowid;

-- A replay is an execution of the scenario a recording becomes.
create table replays (
    execution_id   text    primary key,
    recording_id   text    not null references recordings (id) on delete cascade,
    speed          text    not null,              -- `realtime`, `fast`, `×2`
    iterations     integer not null check (iterations > 0),
    total_events   integer not null check (total_events >= 0),
    created_at     text    not null
) strict;

create index replays_by_recording on replays (recording_id);
