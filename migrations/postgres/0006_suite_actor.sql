-- Who started a suite (a user, a token, local:<os-user>), as executions have
-- since 0005; `started_by` keeps the channel. Null for suites stored before.
alter table suites add column actor text collate "C";
