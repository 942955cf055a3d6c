//! Which database the store opens: an SQLite file (the default) or a
//! PostgreSQL server, chosen by the one setting `TEST_COORDINATOR_DATABASE`
//! (`--database`): a `postgres://` or `postgresql://` URL, or a file path.

use std::{
    fmt,
    path::{Path, PathBuf},
};

/// The database a coordinator stores its history in.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database, shared by any number of coordinators.
    Postgres(PostgresUrl),
}

/// A `postgres://` URL. Shown (`Display`, `Debug`) with its password replaced,
/// so it can be logged and printed in errors.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(url::Url);

/// Which kind of database, for `/health` and the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`, as `/health` and the metrics name it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A database setting that starts like a PostgreSQL URL but is not one.
#[derive(Debug, thiserror::Error)]
#[error("the database {shown:?} is not a valid PostgreSQL URL ({reason}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
pub struct DatabaseUrlError {
    shown: String,
    reason: String,
}

impl Database {
    /// Reads the setting: a `postgres://` or `postgresql://` URL, else a path.
    pub fn from_setting(setting: &Path) -> Result<Self, DatabaseUrlError> {
        let Some(text) = setting.to_str() else {
            return Ok(Self::Sqlite(setting.to_owned()));
        };
        let lower = text.to_ascii_lowercase();
        if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
            return Ok(Self::Sqlite(setting.to_owned()));
        }
        let invalid = |reason: String| DatabaseUrlError {
            // Never the password, even of a URL that did not parse.
            shown: text.split('@').next_back().unwrap_or_default().to_owned(),
            reason,
        };
        let url = url::Url::parse(text).map_err(|e| invalid(e.to_string()))?;
        // A Unix socket is named by `?host=/run/postgresql` with no host part.
        let socket = url.query_pairs().any(|(key, _)| key == "host");
        if url.host_str().is_none_or(str::is_empty) && !socket {
            return Err(invalid("no host".into()));
        }
        Ok(Self::Postgres(PostgresUrl(url)))
    }

    /// Which kind of database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

impl PostgresUrl {
    /// The URL with its password, to connect with. Never log it.
    #[must_use]
    pub fn secret(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            // Cannot fail: the URL has a host (checked when it was read).
            let _ = shown.set_password(Some("****"));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Postgres(url) => write!(f, "Postgres({url})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_an_sqlite_file_and_a_url_is_postgres() {
        let file = Database::from_setting(Path::new("data/test-coordinator.db")).unwrap();
        assert_eq!(file, Database::Sqlite("data/test-coordinator.db".into()));
        assert_eq!(file.backend(), Backend::Sqlite);
        for url in [
            "postgres://tc:pw@db:5432/coordinator",
            "postgresql://tc:pw@db/coordinator",
            "POSTGRES://tc@127.0.0.1:5433/x",
            "postgres:///coordinator?host=/run/postgresql",
        ] {
            let db = Database::from_setting(Path::new(url)).unwrap();
            assert_eq!(db.backend(), Backend::Postgres, "{url}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let db = Database::from_setting(Path::new("postgres://tc:s3cr3t@db:5432/coord")).unwrap();
        for shown in [db.to_string(), format!("{db:?}")] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(
                shown.contains("postgres://tc:****@db:5432/coord"),
                "{shown}"
            );
        }
        let Database::Postgres(url) = &db else {
            panic!("{db:?}")
        };
        assert!(url.secret().contains("s3cr3t"));
        let error = Database::from_setting(Path::new("postgres://tc:s3cr3t@")).unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
        assert!(
            error.to_string().contains("not a valid PostgreSQL URL"),
            "{error}"
        );
    }
}
