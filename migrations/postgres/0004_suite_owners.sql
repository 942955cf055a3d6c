-- Suites have owners too (issue 13): the process that drives a suite (a `serve`
-- or a CLI `execute --scenarios`) is its owner. At start-up a `running` suite is
-- ended `interrupted` only when its owner's lease has run out (migrations 0003),
-- so starting `serve` beside a live CLI suite leaves that suite alone.

-- Null for suites stored before owners existed: nobody drives them.
alter table suites add column owner_id text collate "C";
