-- The shared queue (issue 21, docs/scale-out.md, "Queue"): on PostgreSQL an execution
-- submitted through any replica waits here, owned by nobody, until a replica
-- with a free slot claims it (`for update skip locked`). Unused on SQLite,
-- where one process runs what it was given; kept so both schemas are alike.
create table execution_queue (
    execution_id text    primary key references executions (id) on delete cascade,
    enqueued_ms  integer not null
) strict;

create index execution_queue_in_order on execution_queue (enqueued_ms, execution_id);
