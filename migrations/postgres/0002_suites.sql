-- Suites (issue 9): several scenarios run as one — in order, shuffled with a
-- seed, or side by side — and summarised like N1V1's chaos_summary.json.
-- Each member is an ordinary execution; this only groups them.

create table suites (
    id          text collate "C"    primary key,        -- uuid
    mode        text collate "C"    not null check (mode in ('sequential', 'random')),
    parallel    bigint not null check (parallel in (0, 1)),
    seed        bigint,                    -- random mode: the shuffle's seed (u64 bits)
    options     text collate "C"    not null,           -- speed, dry_run, continue_on_failure: JSON
    status      text collate "C"    not null check (status in ('running', 'completed', 'failed', 'interrupted')),
    started_by  text collate "C"    not null check (started_by in ('cli', 'ui', 'api', 'schedule')),
    created_at  text collate "C"    not null,
    finished_at text collate "C"
);

create index suites_by_created on suites (created_at desc);

-- The members in run order. The execution id is reserved when the suite is
-- created; its executions row appears when the member is submitted (all at once
-- when parallel, in its turn otherwise), so it cannot be a foreign key.
create table suite_members (
    suite_id     text collate "C"    not null references suites (id) on delete cascade,
    position     bigint not null check (position >= 0),
    execution_id text collate "C"    not null unique,
    scenario     text collate "C"    not null,          -- the scenario's metadata.name
    created_at   text collate "C"    not null,
    primary key (suite_id, position)
);
