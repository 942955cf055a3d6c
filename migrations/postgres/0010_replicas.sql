-- Replicas (issue 21, docs/scale-out.md): several coordinators on one
-- database. Work a process does outside executions records its owner too, so
-- that a starting replica settles only what a dead one left, never what a
-- live one is doing. Null for rows stored before: nobody owns them.

-- The owner that claimed a firing and is submitting it.
alter table schedule_firings add column claimed_by text collate "C";

-- The owner whose process captures a recording.
alter table recordings add column owner_id text collate "C";
