-- Teams (issue 16, docs/auth.md): accounts, API tokens, browser sessions, the
-- audit log, and who started each execution. Times are RFC 3339 UTC text with
-- milliseconds (as in 0001) except where a column says unix milliseconds.

-- An account. The password is an argon2id PHC string; the plain text is never stored.
create table users (
    name            text primary key,
    role            text not null check (role in ('viewer', 'operator', 'admin')),
    password_hash   text not null,
    created_at      text not null,
    last_sign_in_at text
) strict;

-- An API token. Only the SHA-256 of its secret is kept: a token is 256 random
-- bits, so a fast hash cannot be searched (unlike a password, docs/auth.md).
-- `user_name` is null for the bootstrap token printed at first start in `users`
-- mode, which exists only until the first admin does.
create table tokens (
    id            text primary key,             -- uuid
    name          text not null,
    user_name     text references users (name) on delete cascade,
    role          text not null check (role in ('viewer', 'operator', 'admin')),
    secret_sha256 text not null unique,         -- hex
    created_at    text not null,
    expires_at    text,
    last_used_at  text,
    revoked_at    text
) strict;

create index tokens_by_user on tokens (user_name);

-- A signed-in browser. The cookie holds the secret; only its SHA-256 is kept.
create table sessions (
    secret_sha256 text primary key,
    user_name     text not null references users (name) on delete cascade,
    csrf_token    text not null,                -- sent back in x-csrf-token
    created_at    text not null,
    expires_at    integer not null              -- unix milliseconds
) strict;

-- Every state-changing request, accepted or refused. Append-only: the API has
-- no way to change it, and these triggers refuse anyone who tries in SQL.
create table audit (
    id        integer primary key autoincrement,
    at        text    not null,
    actor     text    not null,                 -- alice, alice (token ci), local:ana, anonymous
    address   text    not null,
    action    text    not null,                 -- the use case: execute, stop-execution, sign-in…
    target    text,
    status    integer not null,
    outcome   text    not null check (outcome in ('accepted', 'refused'))
) strict;

create index audit_by_actor on audit (actor, id);
create index audit_by_action on audit (action, id);

create trigger audit_no_update before update on audit
begin
    select raise(abort, 'the audit log is append-only');
end;

create trigger audit_no_delete before delete on audit
begin
    select raise(abort, 'the audit log is append-only');
end;

-- Who started an execution (a user, a token, local:<os-user>, schedule:<id>);
-- `started_by` keeps the channel (cli, ui, api, schedule). Null for executions
-- stored before this migration: their channel is all that is known.
alter table executions add column actor text;
