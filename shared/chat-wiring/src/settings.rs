//! Settings read once at startup and turned into the core's [`Config`].
//!
//! There is one parser, [`Settings::from_lookup`], and every default is a constant
//! here. Lambda functions look names up in the environment; the local gateway looks
//! them up in its flags first and the environment second, so flags beat variables and
//! variables beat these defaults.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAT_JWT_SIGNING_KEY` | none (the auth function only) | Ed25519 private key, base64 PKCS#8: the token issuer's |
//! | `CHAT_JWT_PUBLIC_KEYS` | none (required on Lambda) | comma-separated base64 Ed25519 public keys accepted for tokens (two during a rotation) |
//! | `CHAT_JWT_ISSUER` | `istackbuddy-chat` | `iss` claim |
//! | `CHAT_JWT_AUDIENCE` | `istackbuddy-chat-clients` | `aud` claim |
//! | `CHAT_TOKEN_TTL_SECONDS` | `43200` (12 h) | bearer token lifetime |
//! | `CHAT_TICKET_TTL_SECONDS` | `60` | WebSocket ticket lifetime (at most 60) |
//! | `CHAT_INVITE_TTL_SECONDS` | `86400` (24 h) | guest invite code lifetime |
//! | `CHAT_ALLOWED_ORIGINS` | empty | comma-separated browser origins for `/ws` |
//! | `CHAT_RATE_LIMIT` | `20` | actions/s per connection, burst 2×, `0` = off |
//! | `CHAT_USER_RATE_LIMIT` | 2 × `CHAT_RATE_LIMIT` | actions/s per user across their connections, burst 2×, `0` = off |
//! | `CHAT_MAX_SOCKETS_PER_USER` | `32` | open WebSockets per user, `0` = no cap |
//! | `CHAT_GUEST_AWAY_SECONDS` | `600` | a guest disconnected this long has their room concluded `guest-disengaged` |
//! | `CHAT_UPLOAD_URL_SECONDS` | `900` | how long a file's pre-signed upload URL works (and the file may complete) |
//! | `CHAT_DOWNLOAD_URL_SECONDS` | `300` | lifetime of a file download URL |
//! | `CHAT_ISSUE_CAPS` | `8,5,3` | open issues one employee of T1, T2, T3 may hold (escalation assignment) |
//!
//! Robot and LLM variables are listed in [`crate::robot_settings`].

use chat_core::auth::{SigningKey, TokenConfig, VerifyingKey};

use crate::robot_settings::RobotSetup;
use chat_core::service::IssueCaps;
use chat_core::{Config, FileSettings, Limits};
use chrono::Duration;

pub const SIGNING_KEY_VAR: &str = "CHAT_JWT_SIGNING_KEY";
pub const PUBLIC_KEYS_VAR: &str = "CHAT_JWT_PUBLIC_KEYS";
pub const ISSUER_VAR: &str = "CHAT_JWT_ISSUER";
pub const AUDIENCE_VAR: &str = "CHAT_JWT_AUDIENCE";
pub const TOKEN_TTL_VAR: &str = "CHAT_TOKEN_TTL_SECONDS";
pub const TICKET_TTL_VAR: &str = "CHAT_TICKET_TTL_SECONDS";
pub const INVITE_TTL_VAR: &str = "CHAT_INVITE_TTL_SECONDS";
pub const ALLOWED_ORIGINS_VAR: &str = "CHAT_ALLOWED_ORIGINS";
pub const RATE_LIMIT_VAR: &str = "CHAT_RATE_LIMIT";
pub const USER_RATE_LIMIT_VAR: &str = "CHAT_USER_RATE_LIMIT";
pub const MAX_SOCKETS_VAR: &str = "CHAT_MAX_SOCKETS_PER_USER";
pub const ISSUE_CAPS_VAR: &str = "CHAT_ISSUE_CAPS";
pub const GUEST_AWAY_VAR: &str = "CHAT_GUEST_AWAY_SECONDS";
pub const DEFAULT_GUEST_AWAY_SECONDS: i64 = 600;
pub const UPLOAD_URL_VAR: &str = "CHAT_UPLOAD_URL_SECONDS";
pub const DOWNLOAD_URL_VAR: &str = "CHAT_DOWNLOAD_URL_SECONDS";

pub const DEFAULT_ISSUER: &str = "istackbuddy-chat";
pub const DEFAULT_AUDIENCE: &str = "istackbuddy-chat-clients";
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 12 * 3600;
pub const DEFAULT_INVITE_TTL_SECONDS: i64 = 24 * 3600;
/// PROTOCOL §3: tickets live at most 60 s.
pub const MAX_TICKET_TTL_SECONDS: i64 = 60;
/// PROTOCOL §6: 20 actions/s per connection, burst twice that.
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// A person's budget across all their sockets, as a multiple of one socket's: a couple
/// of tabs work as usual, five sockets do not buy five times the actions.
pub const USER_RATE_LIMIT_FACTOR: u32 = 2;
/// Tabs and devices one person may have connected at once.
pub const DEFAULT_MAX_SOCKETS_PER_USER: u32 = 32;

/// Why configuration could not be used. Messages name the variable or file to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// Several required variables are unset (a Lambda's cold start names them all).
    #[error("missing configuration: {} must be set", .0.join(", "))]
    MissingAll(Vec<&'static str>),
    #[error("invalid configuration: {0}")]
    Core(#[from] chat_core::CoreError),
}

/// Everything the core needs from configuration.
#[derive(Clone)]
pub struct Settings {
    /// The token issuer's key; `None` in verify-only processes (and in the local
    /// gateway until it loads its own from the data folder).
    pub signing_key: Option<SigningKey>,
    /// Public keys accepted besides the signing key's own.
    pub public_keys: Vec<VerifyingKey>,
    pub issuer: String,
    pub audience: String,
    pub token_ttl: Duration,
    pub ticket_ttl: Duration,
    /// How long a guest invite code can be redeemed.
    pub invite_ttl: Duration,
    pub allowed_origins: Vec<String>,
    /// Actions per second per connection; burst is twice that; `0` turns limiting off.
    pub rate_limit: u32,
    /// Actions per second per user; `None` = [`USER_RATE_LIMIT_FACTOR`] × `rate_limit`.
    pub user_rate_limit: Option<u32>,
    /// Open sockets per user; `0` = no cap.
    pub max_sockets_per_user: u32,
    /// Robots: time limit, jokes on/off, LLM provider (see `robot_settings`).
    pub robots: RobotSetup,
    /// Open issues per employee by tier.
    pub issue_caps: IssueCaps,
    /// How long a guest may stay disconnected before their room concludes.
    pub guest_away: Duration,
    /// Upload and download URL lifetimes.
    pub files: FileSettings,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("signing_key", &self.signing_key)
            .field("public_keys", &self.public_keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl", &self.token_ttl)
            .field("ticket_ttl", &self.ticket_ttl)
            .field("invite_ttl", &self.invite_ttl)
            .field("allowed_origins", &self.allowed_origins)
            .field("rate_limit", &self.rate_limit)
            .field("user_rate_limit", &self.user_rate_limit)
            .field("max_sockets_per_user", &self.max_sockets_per_user)
            .field("robots", &self.robots)
            .field("issue_caps", &self.issue_caps)
            .field("guest_away", &self.guest_away)
            .field("files", &self.files)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            signing_key: None,
            public_keys: Vec::new(),
            issuer: DEFAULT_ISSUER.into(),
            audience: DEFAULT_AUDIENCE.into(),
            token_ttl: Duration::seconds(DEFAULT_TOKEN_TTL_SECONDS),
            ticket_ttl: Duration::seconds(MAX_TICKET_TTL_SECONDS),
            invite_ttl: Duration::seconds(DEFAULT_INVITE_TTL_SECONDS),
            allowed_origins: Vec::new(),
            rate_limit: DEFAULT_RATE_LIMIT,
            user_rate_limit: None,
            max_sockets_per_user: DEFAULT_MAX_SOCKETS_PER_USER,
            robots: RobotSetup::default(),
            issue_caps: IssueCaps::default(),
            guest_away: Duration::seconds(DEFAULT_GUEST_AWAY_SECONDS),
            files: FileSettings::default(),
        }
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map). Unset or empty variables
    /// keep their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut s = Settings::default();
        if let Some(key) = get(SIGNING_KEY_VAR) {
            let key = SigningKey::from_base64(&key).map_err(|e| ConfigError::Invalid {
                name: SIGNING_KEY_VAR,
                reason: e.to_string(),
            })?;
            s.signing_key = Some(key);
        }
        if let Some(keys) = get(PUBLIC_KEYS_VAR) {
            s.public_keys = keys
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(VerifyingKey::from_base64)
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::Invalid {
                    name: PUBLIC_KEYS_VAR,
                    reason: e.to_string(),
                })?;
        }
        if let Some(v) = get(ISSUER_VAR) {
            s.issuer = v;
        }
        if let Some(v) = get(AUDIENCE_VAR) {
            s.audience = v;
        }
        if let Some(v) = get(TOKEN_TTL_VAR) {
            s.token_ttl = Duration::seconds(positive(TOKEN_TTL_VAR, &v)?);
        }
        if let Some(v) = get(TICKET_TTL_VAR) {
            let secs = positive(TICKET_TTL_VAR, &v)?.min(MAX_TICKET_TTL_SECONDS);
            s.ticket_ttl = Duration::seconds(secs);
        }
        if let Some(v) = get(INVITE_TTL_VAR) {
            s.invite_ttl = Duration::seconds(positive(INVITE_TTL_VAR, &v)?);
        }
        if let Some(v) = get(ALLOWED_ORIGINS_VAR) {
            s.allowed_origins = v
                .split(',')
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Some(v) = get(RATE_LIMIT_VAR) {
            s.rate_limit = count(RATE_LIMIT_VAR, &v)?;
        }
        if let Some(v) = get(USER_RATE_LIMIT_VAR) {
            s.user_rate_limit = Some(count(USER_RATE_LIMIT_VAR, &v)?);
        }
        if let Some(v) = get(MAX_SOCKETS_VAR) {
            s.max_sockets_per_user = count(MAX_SOCKETS_VAR, &v)?;
        }
        if let Some(v) = get(ISSUE_CAPS_VAR) {
            let caps: Vec<u32> = v
                .split(',')
                .map(|c| count(ISSUE_CAPS_VAR, c))
                .collect::<Result<_, _>>()?;
            let [t1, t2, t3] = caps[..] else {
                return Err(ConfigError::Invalid {
                    name: ISSUE_CAPS_VAR,
                    reason: format!("expected three numbers for T1,T2,T3, got {v:?}"),
                });
            };
            s.issue_caps = IssueCaps { t1, t2, t3 };
        }
        if let Some(v) = get(GUEST_AWAY_VAR) {
            s.guest_away = Duration::seconds(positive(GUEST_AWAY_VAR, &v)?);
        }
        if let Some(v) = get(UPLOAD_URL_VAR) {
            s.files.upload_ttl = seconds(UPLOAD_URL_VAR, &v)?;
        }
        if let Some(v) = get(DOWNLOAD_URL_VAR) {
            s.files.download_ttl = seconds(DOWNLOAD_URL_VAR, &v)?;
        }
        s.robots = RobotSetup::from_lookup(&get)?;
        Ok(s)
    }

    /// The core's configuration. Fails without any token key.
    pub fn core_config(&self) -> Result<Config, ConfigError> {
        if self.signing_key.is_none() && self.public_keys.is_empty() {
            return Err(ConfigError::Missing(PUBLIC_KEYS_VAR));
        }
        let limits = Limits {
            actions_per_second: self.rate_limit,
            burst: self.rate_limit.saturating_mul(2),
            user_actions_per_second: self
                .user_rate_limit
                .unwrap_or(self.rate_limit.saturating_mul(USER_RATE_LIMIT_FACTOR)),
            max_connections_per_user: self.max_sockets_per_user,
            ..Limits::default()
        };
        Ok(Config {
            tokens: TokenConfig {
                issuer: self.issuer.clone(),
                audience: self.audience.clone(),
                signing: self.signing_key.clone(),
                verifying: self.public_keys.clone(),
                ttl: self.token_ttl,
            },
            ticket_ttl: self.ticket_ttl,
            invite_ttl: self.invite_ttl,
            allowed_origins: self.allowed_origins.clone(),
            limits,
            robots: self.robots.core_settings(),
            issue_caps: self.issue_caps,
            guest_away: self
                .guest_away
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(600)),
            files: self.files.clone(),
        })
    }
}

fn count(name: &'static str, raw: &str) -> Result<u32, ConfigError> {
    raw.trim().parse().map_err(|e| ConfigError::Invalid {
        name,
        reason: format!("expected a whole number, got {raw:?}: {e}"),
    })
}

/// A positive number of seconds as a duration.
fn seconds(name: &'static str, raw: &str) -> Result<std::time::Duration, ConfigError> {
    let n = positive(name, raw)?;
    Ok(std::time::Duration::from_secs(n.unsigned_abs()))
}

fn positive(name: &'static str, raw: &str) -> Result<i64, ConfigError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!("expected a positive number of seconds, got {raw:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_documented_constants() {
        let s = Settings::default();
        assert_eq!(s.rate_limit, DEFAULT_RATE_LIMIT);
        assert_eq!(s.token_ttl, Duration::hours(12));
        assert_eq!(s.invite_ttl, Duration::hours(24));
        assert_eq!(s.ticket_ttl, Duration::seconds(60));
        assert!(s.signing_key.is_none() && s.public_keys.is_empty());
    }

    #[test]
    fn defaults_need_only_a_key() {
        let key = SigningKey::generate().unwrap();
        let s = from(&[(PUBLIC_KEYS_VAR, &key.verifying_key().to_base64())]).unwrap();
        let c = s.core_config().unwrap();
        assert_eq!(c.tokens.issuer, DEFAULT_ISSUER);
        assert_eq!((c.limits.actions_per_second, c.limits.burst), (20, 40));
        assert_eq!(c.limits.user_actions_per_second, 40);
        assert_eq!(c.limits.max_connections_per_user, 32);
        assert_eq!(c.ticket_ttl, Duration::seconds(60));
        assert_eq!(c.invite_ttl, Duration::hours(24));
        assert!(c.allowed_origins.is_empty());
    }

    #[test]
    fn a_missing_key_is_named_and_bad_keys_are_refused() {
        let err = from(&[]).unwrap().core_config().unwrap_err();
        assert_eq!(err.to_string(), "CHAT_JWT_PUBLIC_KEYS is not set");
        let err = from(&[(PUBLIC_KEYS_VAR, "bm90IGEga2V5")]).unwrap_err();
        assert!(err.to_string().contains(PUBLIC_KEYS_VAR), "{err}");
        let err = from(&[(SIGNING_KEY_VAR, "c2VjcmV0")]).unwrap_err();
        assert!(err.to_string().contains(SIGNING_KEY_VAR), "{err}");
        assert!(
            !err.to_string().contains("c2VjcmV0"),
            "the key is not echoed"
        );
    }

    #[test]
    fn a_signing_key_and_rotation_keys_reach_the_core() {
        let current = SigningKey::generate().unwrap();
        let (old, next) = (
            SigningKey::generate().unwrap(),
            SigningKey::generate().unwrap(),
        );
        let keys = format!(
            "{}, {}",
            old.verifying_key().to_base64(),
            next.verifying_key().to_base64()
        );
        let s = from(&[
            (SIGNING_KEY_VAR, &current.to_base64()),
            (PUBLIC_KEYS_VAR, &keys),
        ])
        .unwrap();
        let c = s.core_config().unwrap();
        assert_eq!(
            c.tokens.signing.as_ref().map(|k| k.kid()),
            Some(current.kid())
        );
        assert_eq!(c.tokens.verifying.len(), 2);
        assert!(
            !format!("{s:?}").contains(&current.to_base64()),
            "never printed"
        );
    }

    #[test]
    fn variables_override_defaults_and_tickets_stay_short() {
        let s = from(&[
            (
                "CHAT_ALLOWED_ORIGINS",
                "https://a.example, https://b.example,",
            ),
            ("CHAT_RATE_LIMIT", "0"),
            ("CHAT_TICKET_TTL_SECONDS", "600"),
            ("CHAT_TOKEN_TTL_SECONDS", "60"),
            ("CHAT_INVITE_TTL_SECONDS", "2"),
        ])
        .unwrap();
        assert_eq!(
            s.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(s.rate_limit, 0);
        let limits = s.core_config_with_secret().limits;
        assert_eq!(
            (limits.actions_per_second, limits.user_actions_per_second),
            (0, 0),
            "turning the connection limit off turns the derived user budget off"
        );
        assert_eq!(s.ticket_ttl, Duration::seconds(60));
        assert_eq!(s.token_ttl, Duration::seconds(60));
        assert_eq!(s.invite_ttl, Duration::seconds(2));
    }

    impl Settings {
        fn core_config_with_secret(&self) -> chat_core::Config {
            let mut s = self.clone();
            s.signing_key = Some(SigningKey::generate().unwrap());
            s.core_config().unwrap()
        }
    }

    #[test]
    fn issue_caps_are_three_numbers() {
        assert_eq!(from(&[]).unwrap().issue_caps, IssueCaps::default());
        let s = from(&[(ISSUE_CAPS_VAR, "4, 2,1")]).unwrap();
        assert_eq!(
            s.issue_caps,
            IssueCaps {
                t1: 4,
                t2: 2,
                t3: 1
            }
        );
        assert!(from(&[(ISSUE_CAPS_VAR, "4,2")]).is_err());
        assert!(from(&[(ISSUE_CAPS_VAR, "a,b,c")]).is_err());
    }

    #[test]
    fn user_budget_and_socket_cap_are_configurable() {
        let s = from(&[
            ("CHAT_RATE_LIMIT", "5"),
            ("CHAT_USER_RATE_LIMIT", "7"),
            ("CHAT_MAX_SOCKETS_PER_USER", "3"),
        ])
        .unwrap();
        let limits = s.core_config_with_secret().limits;
        assert_eq!(limits.user_actions_per_second, 7);
        assert_eq!(limits.max_connections_per_user, 3);
        let derived = from(&[("CHAT_RATE_LIMIT", "5")]).unwrap();
        assert_eq!(
            derived
                .core_config_with_secret()
                .limits
                .user_actions_per_second,
            10
        );
        assert!(from(&[("CHAT_MAX_SOCKETS_PER_USER", "-1")]).is_err());
    }

    #[test]
    fn bad_numbers_are_refused_with_the_variable_name() {
        let err = from(&[("CHAT_RATE_LIMIT", "fast")]).err().unwrap();
        assert!(err.to_string().contains("CHAT_RATE_LIMIT"));
        let err = from(&[("CHAT_TOKEN_TTL_SECONDS", "-5")]).err().unwrap();
        assert!(err.to_string().contains("CHAT_TOKEN_TTL_SECONDS"));
        let err = from(&[("CHAT_INVITE_TTL_SECONDS", "0")]).err().unwrap();
        assert!(err.to_string().contains("CHAT_INVITE_TTL_SECONDS"));
    }
}
