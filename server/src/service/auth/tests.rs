//! The teams use cases on a real database: an SQLite file, or PostgreSQL
//! when the store's tests run there (`store::testing`).

use super::*;
use crate::{startup::build_engine, store::Store};
use std::sync::Arc;

struct Setup {
    dir: tempfile::TempDir,
    _database: crate::store::testing::Guard,
    coordinator: Coordinator,
}

impl Setup {
    fn store(&self) -> &Store {
        &self.coordinator.store
    }

    async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(self.store().pool()).await.unwrap();
    }
}

/// The teams use cases on a fresh database of the backend under test.
async fn setup(mode: AuthMode) -> Setup {
    let (guard, database) = crate::store::testing::database().await;
    setup_on(mode, guard, database).await
}

/// On an SQLite file in `Setup::dir`, whatever the backend under test.
async fn setup_sqlite(mode: AuthMode) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::store::Database::Sqlite(dir.path().join("coordinator.db"));
    let mut setup = setup_on(mode, crate::store::testing::Guard::default(), database).await;
    setup.dir = dir;
    setup
}

async fn setup_on(
    mode: AuthMode,
    guard: crate::store::testing::Guard,
    database: crate::store::Database,
) -> Setup {
    let mut config = crate::config::Settings::default().validate().unwrap();
    config.database = database;
    config.auth.mode = mode;
    let store = Store::connect(&config.database).await.unwrap();
    let engine = build_engine(&config, &store, "test");
    let coordinator = Coordinator::new(Arc::new(config), store, engine);
    Setup {
        dir: tempfile::tempdir().unwrap(),
        _database: guard,
        coordinator,
    }
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        password: format!("{name}-long-password"),
    }
}

fn token(name: &str) -> NewToken {
    NewToken {
        name: name.into(),
        role: None,
        user: None,
        expires_in: None,
    }
}

/// A token `name` of role `role`.
fn token_as(name: &str, role: Role) -> NewToken {
    NewToken {
        role: Some(role),
        ..token(name)
    }
}

/// A token `name` for `user`.
fn token_of(name: &str, user: &str) -> NewToken {
    NewToken {
        user: Some(user.into()),
        ..token(name)
    }
}

/// A token `name` that works for `life`.
fn token_lasting(name: &str, life: &str) -> NewToken {
    NewToken {
        expires_in: Some(life.into()),
        ..token(name)
    }
}

fn session_of(name: &str, role: Role) -> Principal {
    Principal::new(name, role, Via::Session)
}

#[track_caller]
fn assert_error(result: Result<impl std::fmt::Debug, ApiError>, kind: ErrorKind, text: &str) {
    let error = result.unwrap_err();
    assert_eq!(error.kind, kind, "{error:?}");
    assert!(
        error.message.contains(text),
        "{:?} lacks {text:?}",
        error.message
    );
}

#[tokio::test]
async fn passwords_are_stored_only_as_argon2id_hashes() {
    // The database's bytes on disk are read back: an SQLite file.
    let s = setup_sqlite(AuthMode::Users).await;
    let password = "Plain-Text-Secret-4417";
    s.coordinator
        .add_user(NewUser {
            name: "alice".into(),
            role: Role::Admin,
            password: password.into(),
        })
        .await
        .unwrap();
    let hash = s
        .store()
        .fetch_user("alice")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    s.store().close().await;
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        // The -wal and -shm files may go away as the last connection closes.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "the password is in the database file"
        );
        seen.extend(bytes);
    }
    // The scan reads what was stored: the hash is there.
    assert!(seen.windows(hash.len()).any(|w| w == hash.as_bytes()));
}

#[tokio::test]
async fn signing_in_opens_a_session_that_resolves_until_signed_out() {
    let s = setup(AuthMode::Users).await;
    s.coordinator
        .add_user(new_user("alice", Role::Operator))
        .await
        .unwrap();
    let wrong = |name: &str, password: &str| Credentials {
        name: name.into(),
        password: password.into(),
    };
    let c = &s.coordinator;
    assert_error(
        c.sign_in(wrong("alice", "not-her-password")).await,
        ErrorKind::Unauthorized,
        "wrong name or password",
    );
    assert_error(
        c.sign_in(wrong("nobody", "alice-long-password")).await,
        ErrorKind::Unauthorized,
        "wrong name or password",
    );
    assert!(c
        .store
        .fetch_user("alice")
        .await
        .unwrap()
        .unwrap()
        .info
        .last_sign_in_at
        .is_none());

    let opened = c
        .sign_in(wrong("alice", "alice-long-password"))
        .await
        .unwrap();
    assert!(opened.secret.starts_with("tcs_"));
    assert_eq!(opened.principal, session_of("alice", Role::Operator));
    assert!(c
        .store
        .fetch_user("alice")
        .await
        .unwrap()
        .unwrap()
        .info
        .last_sign_in_at
        .is_some());
    let (principal, csrf) = c.principal_for_session(&opened.secret).await.unwrap();
    assert_eq!(principal, opened.principal);
    assert_eq!(csrf, opened.csrf);
    assert_ne!(opened.csrf, opened.secret);

    // The role is the user's current one.
    s.exec("update users set role = 'viewer' where name = 'alice'")
        .await;
    let (principal, _) = c.principal_for_session(&opened.secret).await.unwrap();
    assert_eq!(principal.role, Role::Viewer);

    c.sign_out(&opened.secret).await.unwrap();
    assert_error(
        c.principal_for_session(&opened.secret).await,
        ErrorKind::Unauthorized,
        "not signed in",
    );
    c.sign_out("tcs_unknown").await.unwrap();
    assert_error(
        c.principal_for_session("tcs_unknown").await,
        ErrorKind::Unauthorized,
        "not signed in",
    );
}

#[tokio::test]
async fn a_session_slides_and_then_expires() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("alice", Role::Viewer)).await.unwrap();
    let opened = c
        .sign_in(Credentials {
            name: "alice".into(),
            password: "alice-long-password".into(),
        })
        .await
        .unwrap();
    // Nearly over: a request moves its end a full ttl ahead.
    let soon = now_ms() + 5_000;
    s.exec(&format!("update sessions set expires_at = {soon}"))
        .await;
    c.principal_for_session(&opened.secret).await.unwrap();
    let end: i64 = sqlx::query_scalar("select expires_at from sessions")
        .fetch_one(s.store().pool())
        .await
        .unwrap();
    let ttl = duration_ms(c.config.auth.session_ttl);
    assert!(end >= now_ms() + ttl - 60_000, "{end}");

    s.exec("update sessions set expires_at = 1").await;
    assert_error(
        c.principal_for_session(&opened.secret).await,
        ErrorKind::Unauthorized,
        "session expired",
    );
    // An expired session is gone: the next try is simply not signed in.
    assert_error(
        c.principal_for_session(&opened.secret).await,
        ErrorKind::Unauthorized,
        "not signed in",
    );
}

#[tokio::test]
async fn a_token_resolves_to_its_user_until_revoked_or_expired() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("alice", Role::Operator)).await.unwrap();
    let alice = session_of("alice", Role::Operator);
    let created = c.create_token(&alice, token("ci")).await.unwrap();
    assert!(created.token.starts_with("tct_"));
    assert_eq!(
        created.info.role,
        Role::Operator,
        "the owner's role by default"
    );
    assert_eq!(created.info.user, "alice");
    assert!(created.info.last_used_at.is_none());

    let principal = c.principal_for_token(&created.token).await.unwrap();
    assert_eq!(
        principal,
        Principal::with_token("alice", Role::Operator, "ci")
    );
    assert_eq!(principal.actor(), "alice (token ci)");
    let listed = c.list_tokens(&alice).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "{listed:?}");

    assert_error(
        c.principal_for_token("tct_0000").await,
        ErrorKind::Unauthorized,
        "unknown token",
    );
    assert_error(
        c.principal_for_token(&"x".repeat(10_000)).await,
        ErrorKind::Unauthorized,
        "unknown token",
    );

    let expiring = c
        .create_token(&alice, token_lasting("short", "1h"))
        .await
        .unwrap();
    assert!(expiring.info.expires_at.is_some());
    c.principal_for_token(&expiring.token).await.unwrap();
    s.exec("update tokens set expires_at = '2020-01-01T00:00:00Z' where name = 'short'")
        .await;
    assert_error(
        c.principal_for_token(&expiring.token).await,
        ErrorKind::Unauthorized,
        "token expired",
    );

    let revoked = c.revoke_token(&alice, &created.info.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_error(
        c.principal_for_token(&created.token).await,
        ErrorKind::Unauthorized,
        "token revoked",
    );
}

#[tokio::test]
async fn a_token_never_does_more_than_its_user_may_now() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("root", Role::Admin)).await.unwrap();
    c.add_user(new_user("bob", Role::Operator)).await.unwrap();
    let bob = session_of("bob", Role::Operator);
    assert_error(
        c.create_token(&bob, token_as("up", Role::Admin)).await,
        ErrorKind::InsufficientRole,
        "role",
    );
    let created = c.create_token(&bob, token("ci")).await.unwrap();
    s.exec("update users set role = 'viewer' where name = 'bob'")
        .await;
    let principal = c.principal_for_token(&created.token).await.unwrap();
    assert_eq!(
        principal.role,
        Role::Viewer,
        "capped by the user's current role"
    );

    // A viewer token of an admin cannot mint a stronger one.
    let root = session_of("root", Role::Admin);
    let weak = c
        .create_token(&root, token_as("weak", Role::Viewer))
        .await
        .unwrap();
    let weak = c.principal_for_token(&weak.token).await.unwrap();
    assert_eq!(weak.role, Role::Viewer);
    assert_error(
        c.create_token(&weak, token_as("strong", Role::Admin)).await,
        ErrorKind::InsufficientRole,
        "at most viewer",
    );
    assert_eq!(
        c.create_token(&weak, token("same"))
            .await
            .unwrap()
            .info
            .role,
        Role::Viewer
    );
}

#[tokio::test]
async fn only_an_admin_handles_other_users_tokens() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("root", Role::Admin)).await.unwrap();
    c.add_user(new_user("bob", Role::Operator)).await.unwrap();
    c.add_user(new_user("eve", Role::Operator)).await.unwrap();
    let (root, bob, eve) = (
        session_of("root", Role::Admin),
        session_of("bob", Role::Operator),
        session_of("eve", Role::Operator),
    );
    assert_error(
        c.create_token(&eve, token_of("x", "bob")).await,
        ErrorKind::InsufficientRole,
        "only an admin",
    );
    let for_bob = c.create_token(&root, token_of("ci", "bob")).await.unwrap();
    assert_eq!(for_bob.info.user, "bob");
    assert_eq!(
        for_bob.info.role,
        Role::Operator,
        "the owner's role, not the admin's"
    );
    assert_error(
        c.create_token(&root, token_of("x", "ghost")).await,
        ErrorKind::NotFound,
        "no user ghost",
    );
    c.create_token(&eve, token("mine")).await.unwrap();

    assert_eq!(c.list_tokens(&bob).await.unwrap().len(), 1);
    assert_eq!(c.list_tokens(&root).await.unwrap().len(), 2);
    // Eve cannot learn that bob's token exists.
    assert_error(
        c.revoke_token(&eve, &for_bob.info.id).await,
        ErrorKind::NotFound,
        "no token",
    );
    assert_error(
        c.revoke_token(&eve, "no-such-id").await,
        ErrorKind::NotFound,
        "no token",
    );
    assert!(c.principal_for_token(&for_bob.token).await.is_ok());
    c.revoke_token(&root, &for_bob.info.id).await.unwrap();
    assert!(c.principal_for_token(&for_bob.token).await.is_err());
}

#[tokio::test]
async fn a_user_has_at_most_a_hundred_live_tokens() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("bob", Role::Viewer)).await.unwrap();
    let bob = session_of("bob", Role::Viewer);
    let mut first = None;
    for i in 0..MAX_LIVE_TOKENS {
        let created = c.create_token(&bob, token(&format!("t{i}"))).await.unwrap();
        first.get_or_insert(created.info.id);
    }
    assert_error(
        c.create_token(&bob, token("extra")).await,
        ErrorKind::Conflict,
        "100 live tokens",
    );
    c.revoke_token(&bob, &first.unwrap()).await.unwrap();
    c.create_token(&bob, token("extra")).await.unwrap();
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    c.add_user(new_user("root", Role::Admin)).await.unwrap();
    c.add_user(new_user("bob", Role::Viewer)).await.unwrap();
    let bob_token = c
        .create_token(&session_of("bob", Role::Viewer), token("ci"))
        .await
        .unwrap();
    assert_error(
        c.remove_user("root").await,
        ErrorKind::Conflict,
        "last admin",
    );
    assert_error(
        c.remove_user("ghost").await,
        ErrorKind::NotFound,
        "no user ghost",
    );
    c.add_user(new_user("second", Role::Admin)).await.unwrap();
    c.remove_user("root").await.unwrap();
    assert_error(
        c.remove_user("second").await,
        ErrorKind::Conflict,
        "last admin",
    );
    // Removing a user removes their tokens.
    c.remove_user("bob").await.unwrap();
    assert_error(
        c.principal_for_token(&bob_token.token).await,
        ErrorKind::Unauthorized,
        "unknown token",
    );
    let names: Vec<String> = c
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["second"]);
}

#[tokio::test]
async fn the_bootstrap_token_lives_until_the_first_admin() {
    let local = setup(AuthMode::Local).await;
    assert_eq!(
        local.coordinator.ensure_bootstrap_token().await.unwrap(),
        None
    );

    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    let first = c.ensure_bootstrap_token().await.unwrap().unwrap();
    let second = c.ensure_bootstrap_token().await.unwrap().unwrap();
    assert_error(
        c.principal_for_token(&first).await,
        ErrorKind::Unauthorized,
        "token revoked",
    );
    let principal = c.principal_for_token(&second).await.unwrap();
    assert_eq!(principal.name, "bootstrap");
    assert_eq!(principal.role, Role::Admin);
    assert!(is_bootstrap(&principal));
    assert_error(
        c.create_token(&principal, token("x")).await,
        ErrorKind::InsufficientRole,
        "create the first admin with POST /api/v1/users",
    );
    // An operator is not enough; the first admin ends it.
    c.add_user(new_user("bob", Role::Operator)).await.unwrap();
    assert!(c.principal_for_token(&second).await.is_ok());
    c.add_user(new_user("root", Role::Admin)).await.unwrap();
    assert_error(
        c.principal_for_token(&second).await,
        ErrorKind::Unauthorized,
        "token revoked",
    );
    assert_eq!(c.ensure_bootstrap_token().await.unwrap(), None);
}

#[tokio::test]
async fn bad_names_passwords_and_lifetimes_are_refused_naming_the_field() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    for name in [
        "",
        "Alice",
        "a b",
        "ä",
        &"a".repeat(65),
        "bootstrap",
        "anonymous",
        "x:y",
    ] {
        assert_error(
            c.add_user(NewUser {
                name: name.into(),
                ..new_user("x", Role::Viewer)
            })
            .await,
            ErrorKind::InvalidRequest,
            "name",
        );
    }
    for password in ["short", "elevenchars", &"p".repeat(1025)] {
        assert_error(
            c.add_user(NewUser {
                password: password.into(),
                ..new_user("x", Role::Viewer)
            })
            .await,
            ErrorKind::InvalidRequest,
            "password: expected 12 to 1024",
        );
    }
    c.add_user(NewUser {
        name: "a.b_c-d@e".into(),
        ..new_user("x", Role::Viewer)
    })
    .await
    .unwrap();
    assert_error(
        c.add_user(new_user("a.b_c-d@e", Role::Viewer)).await,
        ErrorKind::Conflict,
        "already exists",
    );
    let owner = session_of("a.b_c-d@e", Role::Viewer);
    for name in ["", "CI", "a@b", &"t".repeat(65)] {
        assert_error(
            c.create_token(&owner, token(name)).await,
            ErrorKind::InvalidRequest,
            "name",
        );
    }
    for life in ["30s", "366d", "soon", "-1d", ""] {
        assert_error(
            c.create_token(&owner, token_lasting("t", life)).await,
            ErrorKind::InvalidRequest,
            "expires_in",
        );
    }
    c.create_token(&owner, token_lasting("t", "365d"))
        .await
        .unwrap();
    c.create_token(&owner, token_lasting("t", "1m"))
        .await
        .unwrap();
}

#[tokio::test]
async fn at_most_ten_thousand_accounts() {
    let s = setup(AuthMode::Users).await;
    s.exec(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000)
         insert into users (name, role, password_hash, created_at)
         select 'u' || i, 'viewer', 'x', '2026-01-01T00:00:00Z' from n",
    )
    .await;
    assert_error(
        s.coordinator
            .add_user(new_user("one-more", Role::Viewer))
            .await,
        ErrorKind::Conflict,
        "10000 accounts",
    );
}

async fn audit(c: &Coordinator, actor: &str, action: &str, status: u16) {
    c.record_audit(AuditRecord {
        actor: actor.into(),
        address: "127.0.0.1".into(),
        action: action.into(),
        target: Some("t".into()),
        status,
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_audit_log_filters_by_user_action_day_and_pages_newest_first() {
    let s = setup(AuthMode::Users).await;
    let c = &s.coordinator;
    audit(c, "alice", "sign-in", 200).await;
    audit(c, "alice (token ci)", "execute", 202).await;
    audit(c, "alicex", "execute", 403).await;
    audit(c, "bob", "execute", 201).await;
    audit(c, "anonymous", "sign-in", 401).await;

    let all = c.audit_page(AuditQuery::default()).await.unwrap();
    let actors: Vec<&str> = all.entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(
        actors,
        ["anonymous", "bob", "alicex", "alice (token ci)", "alice"]
    );
    assert_eq!(all.next_before, None);
    assert_eq!(
        all.entries[0].outcome,
        app::api::auth::AuditOutcome::Refused
    );
    assert_eq!(
        all.entries[1].outcome,
        app::api::auth::AuditOutcome::Accepted
    );
    assert_eq!(all.entries[0].status, 401);

    let query = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q
    };
    let alice = c
        .audit_page(query(|q| q.user = Some("alice".into())))
        .await
        .unwrap();
    let actors: Vec<&str> = alice.entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors, ["alice (token ci)", "alice"]);
    let executes = c
        .audit_page(query(|q| q.action = Some("execute".into())))
        .await
        .unwrap();
    assert_eq!(executes.entries.len(), 3);

    let today = OffsetDateTime::now_utc().date();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = today.format(&format).unwrap();
    let mut q = AuditQuery {
        day: Some(day),
        ..AuditQuery::default()
    };
    assert_eq!(c.audit_page(q.clone()).await.unwrap().entries.len(), 5);
    q.day = Some(today.previous_day().unwrap().format(&format).unwrap());
    assert!(c.audit_page(q).await.unwrap().entries.is_empty());

    let page = c.audit_page(query(|q| q.limit = Some(2))).await.unwrap();
    assert_eq!(page.entries.len(), 2);
    let next = page.next_before.unwrap();
    assert_eq!(next, page.entries[1].id);
    let page2 = c
        .audit_page(AuditQuery {
            before: Some(next),
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page2.entries[0].actor, "alicex");
    let page3 = c
        .audit_page(AuditQuery {
            before: page2.next_before,
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page3.entries.len(), 1);
    assert_eq!(page3.next_before, None);

    assert_error(
        c.audit_page(query(|q| q.limit = Some(0))).await,
        ErrorKind::InvalidRequest,
        "limit",
    );
    assert_error(
        c.audit_page(query(|q| q.limit = Some(501))).await,
        ErrorKind::InvalidRequest,
        "limit",
    );
    for day in ["2026-13-01", "yesterday", "2026-12-1", ""] {
        assert_error(
            c.audit_page(AuditQuery {
                day: Some(day.into()),
                ..AuditQuery::default()
            })
            .await,
            ErrorKind::InvalidRequest,
            "day",
        );
    }
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let s = setup(AuthMode::Users).await;
    audit(&s.coordinator, "alice", "sign-in", 200).await;
    for sql in ["update audit set actor = 'mallory'", "delete from audit"] {
        let error = sqlx::query(sql)
            .execute(s.store().pool())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("append-only"), "{error}");
    }
    let page = s
        .coordinator
        .audit_page(AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].actor, "alice");
}
