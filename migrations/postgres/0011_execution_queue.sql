-- The shared queue (docs/scale-out.md, "Queue"): an execution submitted
-- through any replica waits here, owned by nobody, until a replica with a free
-- slot claims it (`for update skip locked`).
create table execution_queue (
    execution_id text collate "C" primary key references executions (id) on delete cascade,
    enqueued_ms  bigint not null
);

create index execution_queue_in_order on execution_queue (enqueued_ms, execution_id);
