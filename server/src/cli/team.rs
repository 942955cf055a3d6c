//! `test-coordinator users …` and `tokens …` (docs/auth.md): accounts and API
//! tokens managed on this machine against the configured database, with no
//! server running, e.g. to create the first admin. They call the same use
//! cases as `POST /api/v1/users` and the rest (`service::auth`), as the local
//! OS user with the admin role (`local:<os-user>`), and append each change to
//! the audit log, accepted or refused, with the status the API would answer
//! and the address `cli`.

use std::{io::Read, path::PathBuf, process::ExitCode, sync::Arc};

use app::api::{
    auth::{NewToken, NewUser, Principal, Role, TokenInfo, UserInfo},
    ApiError,
};
use clap::{Args, Subcommand};
use serde_json::json;

use super::{recover::Orphans, Context};
use crate::{
    auth::secret::new_secret,
    engine::Engine,
    service::{auth::AuditRecord, Coordinator},
    startup::build_engine,
};

/// The address the audit log records for changes made here.
pub const CLI_ADDRESS: &str = "cli";

/// `users …`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// The coordinator's SQLite file (overrides TEST_COORDINATOR_DATABASE and the config file).
    #[arg(long, global = true, value_name = "FILE")]
    pub database: Option<PathBuf>,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create an account; prints a generated password once (or reads one with --password-stdin).
    Add {
        /// Sign-in name: 1-64 characters of a-z, 0-9, '.', '_', '-', '@'.
        name: String,
        /// viewer, operator or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password (12-1024 characters) from standard input, up to the first newline.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account with its tokens and sessions (never the last admin).
    Remove {
        /// The account's name.
        name: String,
    },
}

/// `tokens …`.
#[derive(Debug, Args)]
pub struct TokensArgs {
    /// The coordinator's SQLite file (overrides TEST_COORDINATOR_DATABASE and the config file).
    #[arg(long, global = true, value_name = "FILE")]
    pub database: Option<PathBuf>,
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Create an API token for a user; prints its secret once (alone on standard output).
    Create {
        /// A name for people: 1-64 characters of a-z, 0-9, '.', '_', '-'.
        name: String,
        /// The user it acts for.
        #[arg(long)]
        user: String,
        /// Its role, at most the user's (default: the user's).
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// How long it works, from 1m to 365d (e.g. 30d; default: until revoked).
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    /// List the tokens (never their secrets), newest first.
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once and stays listed.
    Revoke {
        /// Its id (`tokens list`).
        id: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("expected viewer, operator or admin, not {text:?}"))
}

/// The use cases over the configured database, as the local OS user (admin).
struct Offline {
    coordinator: Coordinator,
    engine: Engine,
    caller: Principal,
}

impl Offline {
    /// Opens (creating and migrating as `serve` does) the configured database.
    async fn open(context: &Context) -> anyhow::Result<Self> {
        let store = context.open_store_with(Orphans::Leave).await?;
        // The use cases come with an engine; these commands never run one.
        let engine = build_engine(&context.config, &store, "users");
        let coordinator = Coordinator::new(Arc::new(context.config.clone()), store, engine.clone());
        Ok(Self {
            coordinator,
            engine,
            caller: crate::auth::local_principal(),
        })
    }

    async fn close(self) {
        self.engine.shutdown().await;
        self.coordinator.store.close().await;
    }

    /// `result` of the change `action` on `target`, after appending its audit
    /// row: `accepted` (the status the API answers) or the error's status.
    async fn audited<T>(
        &self,
        action: &str,
        target: &str,
        accepted: u16,
        result: Result<T, ApiError>,
    ) -> anyhow::Result<T> {
        let status = match &result {
            Ok(_) => accepted,
            Err(error) => error.status_code(),
        };
        let record = AuditRecord {
            actor: self.caller.actor(),
            address: CLI_ADDRESS.to_owned(),
            action: action.to_owned(),
            target: Some(target.to_owned()),
            status,
        };
        if let Err(error) = self.coordinator.record_audit(record).await {
            eprintln!("warning: cannot append to the audit log: {}", error.message);
        }
        result.map_err(|error| anyhow::anyhow!("{}", error.message))
    }
}

/// Runs `users …`.
pub async fn users(context: Context, args: UsersArgs) -> anyhow::Result<ExitCode> {
    let offline = Offline::open(&context).await?;
    let result = run_users(&offline, args.command).await;
    offline.close().await;
    result
}

/// Runs `tokens …`.
pub async fn tokens(context: Context, args: TokensArgs) -> anyhow::Result<ExitCode> {
    let offline = Offline::open(&context).await?;
    let result = run_tokens(&offline, args.command).await;
    offline.close().await;
    result
}

async fn run_users(offline: &Offline, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let c = &offline.coordinator;
    match command {
        UsersCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                (read_password()?, false)
            } else {
                // 256 random bits in hex: strong, and easy to paste.
                (new_secret(""), true)
            };
            let user = NewUser {
                name: name.clone(),
                role,
                password: password.clone(),
            };
            let added = offline
                .audited("add-user", &name, 201, c.add_user(user).await)
                .await?;
            if generated {
                eprintln!(
                    "added {} ({}); their password, shown this once:",
                    added.name, added.role
                );
                println!("{password}");
            } else {
                println!("added {} ({})", added.name, added.role);
            }
        }
        UsersCommand::List { json } => {
            let users = c.list_users().await.map_err(message)?;
            print_users(&users, json)?;
        }
        UsersCommand::Remove { name } => {
            offline
                .audited("remove-user", &name, 204, c.remove_user(&name).await)
                .await?;
            println!("removed {name}, with their tokens and sessions");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_tokens(offline: &Offline, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let c = &offline.coordinator;
    match command {
        TokensCommand::Create {
            name,
            user,
            role,
            expires,
        } => {
            let request = NewToken {
                name: name.clone(),
                role,
                user: Some(user),
                expires_in: expires,
            };
            let created = c.create_token(&offline.caller, request).await;
            let created = offline.audited("create-token", &name, 201, created).await?;
            let info = &created.info;
            eprintln!(
                "token {} (id {}) for {}, role {}, {}; its secret, shown this once:",
                info.name,
                info.id,
                info.user,
                info.role,
                info.expires_at
                    .as_deref()
                    .map_or("until revoked".to_owned(), |at| format!("until {at}"))
            );
            println!("{}", created.token);
        }
        TokensCommand::List { user, json } => {
            let mut tokens = c.list_tokens(&offline.caller).await.map_err(message)?;
            if let Some(user) = &user {
                tokens.retain(|t| &t.user == user);
            }
            print_tokens(&tokens, json)?;
        }
        TokensCommand::Revoke { id } => {
            let revoked = c.revoke_token(&offline.caller, &id).await;
            let revoked = offline.audited("revoke-token", &id, 204, revoked).await?;
            println!(
                "revoked token {} (id {}) of {}",
                revoked.name, revoked.id, revoked.user
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password on standard input, up to the first newline.
fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    // Bounded: a password is at most 1,024 characters (4 bytes each at most).
    std::io::stdin()
        .take(8 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| anyhow::anyhow!("cannot read the password from standard input: {e}"))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn message(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", error.message)
}

/// `items` as `{"<key>": [...]}` with `--json`, else a table of `headers`
/// with a row per item.
fn print_list<T: serde::Serialize>(
    key: &str,
    items: &[T],
    json: bool,
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ key: items }))?);
    } else {
        print_table(headers, items.iter().map(row).collect());
    }
    Ok(())
}

fn print_users(users: &[UserInfo], json: bool) -> anyhow::Result<()> {
    print_list(
        "users",
        users,
        json,
        &["NAME", "ROLE", "CREATED", "LAST SIGN-IN"],
        |u| {
            vec![
                u.name.clone(),
                u.role.to_string(),
                u.created_at.clone(),
                dash(&u.last_sign_in_at),
            ]
        },
    )
}

fn print_tokens(tokens: &[TokenInfo], json: bool) -> anyhow::Result<()> {
    print_list(
        "tokens",
        tokens,
        json,
        &[
            "ID",
            "NAME",
            "USER",
            "ROLE",
            "EXPIRES",
            "LAST USED",
            "REVOKED",
        ],
        |t| {
            vec![
                t.id.clone(),
                t.name.clone(),
                t.user.clone(),
                t.role.to_string(),
                dash(&t.expires_at),
                dash(&t.last_used_at),
                dash(&t.revoked_at),
            ]
        },
    )
}

/// A time, or "-" for none.
fn dash(at: &Option<String>) -> String {
    at.clone().unwrap_or_else(|| "-".into())
}

/// `rows` under `headers`, in columns as wide as their widest cell.
fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row);
    }
}
