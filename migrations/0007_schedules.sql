-- Schedules (issue 18): a scenario or a suite run once, after a delay, every N
-- seconds or on a cron calendar. `request` keeps the accepted ScheduleRequest
-- (source, timing, options, policies) as JSON; the columns are what the
-- scheduler reads and writes at every firing. Times the scheduler compares are
-- integer milliseconds since the Unix epoch.

create table schedules (
    id                text    primary key,        -- uuid
    name              text    not null,
    request           text    not null,           -- ScheduleRequest JSON
    enabled           integer not null check (enabled in (0, 1)),
    next_due_ms       integer,                    -- null: it will not fire again
    ended             text,                       -- why it will not fire again
    execution_count   integer not null default 0 check (execution_count >= 0),
    last_run          text,                       -- its previous execution or suite id
    created_by        text    not null,
    created_ms        integer not null,
    created_at        text    not null
) strict;

-- The scheduler's one question each tick: the earliest enabled due time.
create index schedules_due on schedules (next_due_ms)
    where enabled = 1 and next_due_ms is not null;

-- Every due time decided, claimed before its execution is submitted. A due
-- time is decided once (the unique index); manual triggers are outside it.
create table schedule_firings (
    id            integer primary key,
    schedule_id   text    not null references schedules (id) on delete cascade,
    due_ms        integer not null,
    fired_ms      integer not null,
    manual        integer not null check (manual in (0, 1)),
    result        text    not null check (result in ('claimed', 'submitted', 'skipped', 'failed')),
    execution_id  text,
    suite_id      text,
    reason        text,
    created_at    text    not null
) strict;

create unique index schedule_firings_once on schedule_firings (schedule_id, due_ms)
    where manual = 0;
create index schedule_firings_by_schedule on schedule_firings (schedule_id, id);
create index schedule_firings_claimed on schedule_firings (result)
    where result = 'claimed';
