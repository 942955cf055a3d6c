//! The `auth:` section (issue 16, docs/auth.md): how the server knows who is
//! asking. Raw settings, their validation, and the typed [`AuthConfig`].

use std::{collections::BTreeMap, net::IpAddr, time::Duration};

use app::api::auth::{AuthMode, Role};
use app::scenario::duration::parse_duration;
use ipnet::IpNet;
use serde::Deserialize;

use super::{invalid, ConfigError};

/// `auth:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// `local`, `users` or `proxy` (`TEST_COORDINATOR_AUTH_MODE`). Unset: `local`
    /// on a loopback address, `users` on any other.
    pub mode: Option<String>,
    /// How long a browser session lasts without a request (`12h`).
    pub session_ttl: String,
    /// Whether `/metrics` answers without a sign-in (`true`); `false` asks for a viewer.
    pub open_metrics: bool,
    /// `Secure` on cookies: `auto` (when the request came over https, as a
    /// trusted proxy's `X-Forwarded-Proto` says), `always`, `never`.
    pub secure_cookies: String,
    /// Sign-in attempts allowed per minute, per address and per user name.
    pub sign_in_per_minute: u32,
    /// `mode: proxy` settings.
    pub proxy: ProxySettings,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            mode: None,
            session_ttl: "12h".into(),
            open_metrics: true,
            secure_cookies: "auto".into(),
            sign_in_per_minute: 10,
            proxy: ProxySettings::default(),
        }
    }
}

/// `auth.proxy:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySettings {
    /// Addresses or CIDR blocks whose identity headers are believed
    /// (`127.0.0.1`, `10.0.0.0/8`). Headers from anyone else are ignored.
    pub trusted: Vec<String>,
    /// The header naming the user.
    pub user_header: String,
    /// The header with the user's e-mail, used as the name when the user header is absent.
    pub email_header: String,
    /// The header listing the user's groups, comma-separated.
    pub groups_header: String,
    /// Group name → role; a user gets the highest role of their groups.
    pub groups: BTreeMap<String, String>,
    /// The role of a user in none of `groups` (`viewer`), or `none` to refuse them.
    pub default_role: String,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            user_header: "x-forwarded-user".into(),
            email_header: "x-forwarded-email".into(),
            groups_header: "x-forwarded-groups".into(),
            groups: BTreeMap::new(),
            default_role: "viewer".into(),
        }
    }
}

/// When cookies carry `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecureCookies {
    /// When the request came over https (a trusted proxy's `X-Forwarded-Proto`).
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Validated `auth:`.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The mode in force.
    pub mode: AuthMode,
    /// Whether the mode was written (file or environment) rather than defaulted.
    pub mode_explicit: bool,
    /// Session lifetime without a request.
    pub session_ttl: Duration,
    /// Whether `/metrics` is open to anyone.
    pub open_metrics: bool,
    /// When cookies carry `Secure`.
    pub secure_cookies: SecureCookies,
    /// Sign-in attempts per minute per address and per name.
    pub sign_in_per_minute: u32,
    /// The proxy mode's settings.
    pub proxy: ProxyConfig,
}

/// Validated `auth.proxy:`.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Who may assert identities.
    pub trusted: Vec<IpNet>,
    /// Header names, lowercase.
    pub user_header: String,
    /// The e-mail header, lowercase.
    pub email_header: String,
    /// The groups header, lowercase.
    pub groups_header: String,
    /// Group → role.
    pub groups: BTreeMap<String, Role>,
    /// Role outside every group; `None` refuses such users.
    pub default_role: Option<Role>,
}

impl ProxyConfig {
    /// Whether `address` may assert identities.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        self.trusted.iter().any(|net| net.contains(&address))
    }
}

impl AuthSettings {
    /// Checks every value; `loopback` says whether the server listens on a
    /// loopback address (which decides the default mode).
    pub fn validate(self, loopback: bool) -> Result<AuthConfig, ConfigError> {
        let mode_explicit = self.mode.is_some();
        let mode = match self.mode.as_deref().map(str::trim) {
            None | Some("") if loopback => AuthMode::Local,
            None | Some("") => AuthMode::Users,
            Some("local") => AuthMode::Local,
            Some("users") => AuthMode::Users,
            Some("proxy") => AuthMode::Proxy,
            Some(other) => {
                return Err(invalid(
                    "auth.mode",
                    other,
                    "expected local, users or proxy (docs/auth.md)",
                ))
            }
        };
        let session_ttl = parse_duration(&self.session_ttl)
            .ok()
            .filter(|d| *d >= Duration::from_secs(60) && *d <= Duration::from_secs(90 * 86_400))
            .ok_or_else(|| {
                invalid(
                    "auth.session_ttl",
                    &self.session_ttl,
                    "expected a duration from 1m to 90d, such as 12h",
                )
            })?;
        let secure_cookies = match self.secure_cookies.as_str() {
            "auto" => SecureCookies::Auto,
            "always" => SecureCookies::Always,
            "never" => SecureCookies::Never,
            other => {
                return Err(invalid(
                    "auth.secure_cookies",
                    other,
                    "expected auto, always or never",
                ))
            }
        };
        if !(1..=1000).contains(&self.sign_in_per_minute) {
            return Err(invalid(
                "auth.sign_in_per_minute",
                self.sign_in_per_minute.to_string(),
                "expected 1 to 1000",
            ));
        }
        let p = self.proxy;
        let trusted = p
            .trusted
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        invalid(
                            "auth.proxy.trusted",
                            entry,
                            "expected an IP address or a CIDR block such as 10.0.0.0/8",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if mode == AuthMode::Proxy && trusted.is_empty() {
            return Err(invalid(
                "auth.proxy.trusted",
                "[]",
                "proxy mode needs the addresses of the proxies whose headers are believed",
            ));
        }
        let role = |key: String, name: &str| {
            Role::parse(name.trim())
                .ok_or_else(|| invalid(key, name, "expected viewer, operator or admin"))
        };
        let groups = p
            .groups
            .iter()
            .map(|(group, name)| {
                Ok((
                    group.clone(),
                    role(format!("auth.proxy.groups.{group}"), name)?,
                ))
            })
            .collect::<Result<BTreeMap<_, _>, ConfigError>>()?;
        let default_role = match p.default_role.trim() {
            "none" => None,
            name => Some(role("auth.proxy.default_role".into(), name)?),
        };
        let header = |key: &str, value: &str| {
            let value = value.trim().to_ascii_lowercase();
            if value.is_empty()
                || !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                Err(invalid(
                    key,
                    &value,
                    "expected a header name such as x-forwarded-user",
                ))
            } else {
                Ok(value)
            }
        };
        Ok(AuthConfig {
            mode,
            mode_explicit,
            session_ttl,
            open_metrics: self.open_metrics,
            secure_cookies,
            sign_in_per_minute: self.sign_in_per_minute,
            proxy: ProxyConfig {
                trusted,
                user_header: header("auth.proxy.user_header", &p.user_header)?,
                email_header: header("auth.proxy.email_header", &p.email_header)?,
                groups_header: header("auth.proxy.groups_header", &p.groups_header)?,
                groups,
                default_role,
            },
        })
    }
}
