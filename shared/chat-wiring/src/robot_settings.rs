//! Robot settings and the robot registry they build.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAT_ROBOT_TIMEOUT_SECONDS` | `60` | how long one robot answer may take |
//! | `CHAT_ROBOTS_JOKES` | `on` | list the development-only jokes robots (`off` in production) |
//! | `CHAT_LLM_PROVIDER` | `offline` | `offline`, `anthropic` or `openai` (any OpenAI-compatible server) |
//! | `CHAT_LLM_BASE_URL` | the provider's | scheme, host and port of the provider |
//! | `CHAT_LLM_MODEL` | per provider | model name |
//! | `CHAT_LLM_API_KEY` | none | the key itself (local runs; never on AWS) |
//! | `CHAT_LLM_API_KEY_SECRET` | none | on AWS: Secrets Manager secret holding the key |
//! | `CHAT_LLM_API_KEY_PARAMETER` | none | on AWS: SSM SecureString parameter holding the key |
//! | `CHAT_SECRETS_EXTENSION_ENDPOINT` | `http://localhost:2773` | the Parameters and Secrets Lambda Extension |
//! | `CHAT_OFFLINE_SEED` | `7` | the offline joke writer's seed |
//! | `CHAT_OFFLINE_PACE_MS` | `25` | the offline writer's pause between streamed words |
//! | `CHAT_FORMSTACK_BASE_URL` | `https://www.formstack.com/api/v2` | the Formstack API root the forms robot fetches forms from |
//! | `CHAT_FORMSTACK_TOKEN` | none | the Formstack access token itself (local runs; never on AWS) |
//! | `CHAT_FORMSTACK_TOKEN_SECRET` | none | on AWS: Secrets Manager secret holding the token |
//! | `CHAT_FORMSTACK_TOKEN_PARAMETER` | none | on AWS: SSM SecureString parameter holding the token |
//! | `CHAT_FORMSTACK_TIMEOUT_SECONDS` | `20` | one form fetch, body included |
//!
//! A key named by secret or parameter is read once, when the registry is built, through
//! the Lambda extension (authenticated with the function's `AWS_SESSION_TOKEN`); the
//! key is never logged (`ApiKey` prints as `***`). A Formstack token named that way is
//! read on the first form asked for by id instead, and kept; without any token the
//! forms robot still diagnoses uploaded exports, and asking by id says it is not
//! configured.

use std::sync::Arc;
use std::time::Duration;

use chat_core::ports::Robots;
use robots::forms::formstack::{
    BASE_URL_VAR as FORMSTACK_BASE_URL_VAR, TIMEOUT_VAR as FORMSTACK_TIMEOUT_VAR,
    TOKEN_VAR as FORMSTACK_TOKEN_VAR,
};
use robots::forms::{FormstackClient, FormstackConfig};
use robots::llm::{self, ApiKey, LlmConfig, ProviderKind, SecretSource};
use robots::{JokeSource, OfflineSettings, Registry, RobotsConfig};

use crate::settings::ConfigError;

pub const ROBOT_TIMEOUT_VAR: &str = "CHAT_ROBOT_TIMEOUT_SECONDS";
pub const JOKES_VAR: &str = "CHAT_ROBOTS_JOKES";
pub const LLM_PROVIDER_VAR: &str = "CHAT_LLM_PROVIDER";
pub const LLM_BASE_URL_VAR: &str = "CHAT_LLM_BASE_URL";
pub const LLM_MODEL_VAR: &str = "CHAT_LLM_MODEL";
pub const LLM_API_KEY_VAR: &str = "CHAT_LLM_API_KEY";
pub const LLM_KEY_SECRET_VAR: &str = "CHAT_LLM_API_KEY_SECRET";
pub const LLM_KEY_PARAMETER_VAR: &str = "CHAT_LLM_API_KEY_PARAMETER";
pub const SECRETS_EXTENSION_VAR: &str = "CHAT_SECRETS_EXTENSION_ENDPOINT";
pub const OFFLINE_SEED_VAR: &str = "CHAT_OFFLINE_SEED";
pub const OFFLINE_PACE_VAR: &str = "CHAT_OFFLINE_PACE_MS";

pub const DEFAULT_ROBOT_TIMEOUT_SECONDS: u64 = 60;
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-3-5-haiku-latest";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

/// Where the LLM key comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySource {
    Direct(ApiKey),
    Named(SecretSource),
}

/// A configured LLM provider, before its key is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSetup {
    pub provider: ProviderKind,
    pub base_url: Option<String>,
    pub model: String,
    pub key: KeySource,
}

/// How the forms robot reaches Formstack (`CHAT_FORMSTACK_*`, read by
/// [`FormstackConfig::from_lookup`]). A wrapper so that [`RobotSetup`] can be compared:
/// the config itself has no `PartialEq`. Its tokens are `ApiKey`s, so it prints them
/// as `***`.
#[derive(Debug, Clone, Default)]
pub struct FormstackSetup(pub FormstackConfig);

impl PartialEq for FormstackSetup {
    fn eq(&self, other: &Self) -> bool {
        // Destructured so that a field added to the config cannot be left out here.
        let FormstackConfig {
            base_url,
            token,
            connect_timeout,
            timeout,
            max_response_bytes,
            extension_endpoint,
            session_token,
        } = &self.0;
        let o = &other.0;
        *base_url == o.base_url
            && *token == o.token
            && *connect_timeout == o.connect_timeout
            && *timeout == o.timeout
            && *max_response_bytes == o.max_response_bytes
            && *extension_endpoint == o.extension_endpoint
            && *session_token == o.session_token
    }
}

/// Everything about robots that configuration decides.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotSetup {
    pub answer_timeout: Duration,
    pub jokes: bool,
    /// `None`: the offline writer answers.
    pub llm: Option<LlmSetup>,
    pub offline: OfflineSettings,
    pub extension_endpoint: String,
    /// The forms robot's Formstack access; the default has no token.
    pub formstack: FormstackSetup,
}

impl Default for RobotSetup {
    fn default() -> Self {
        RobotSetup {
            answer_timeout: Duration::from_secs(DEFAULT_ROBOT_TIMEOUT_SECONDS),
            jokes: true,
            llm: None,
            offline: OfflineSettings::default(),
            extension_endpoint: llm::DEFAULT_EXTENSION_ENDPOINT.to_string(),
            formstack: FormstackSetup::default(),
        }
    }
}

impl RobotSetup {
    /// Reads the variables above through `get` (unset and blank already filtered).
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut s = RobotSetup::default();
        if let Some(v) = get(ROBOT_TIMEOUT_VAR) {
            s.answer_timeout = Duration::from_secs(whole(ROBOT_TIMEOUT_VAR, &v)?.max(1));
        }
        if let Some(v) = get(JOKES_VAR) {
            s.jokes = switch(JOKES_VAR, &v)?;
        }
        if let Some(v) = get(OFFLINE_SEED_VAR) {
            s.offline.seed = whole(OFFLINE_SEED_VAR, &v)?;
        }
        if let Some(v) = get(OFFLINE_PACE_VAR) {
            s.offline.pace = Duration::from_millis(whole(OFFLINE_PACE_VAR, &v)?);
        }
        if let Some(v) = get(SECRETS_EXTENSION_VAR) {
            s.extension_endpoint = v;
        }
        s.formstack = formstack(get)?;
        let provider = get(LLM_PROVIDER_VAR).unwrap_or_else(|| "offline".into());
        if provider.trim().eq_ignore_ascii_case("offline") {
            return Ok(s);
        }
        let provider: ProviderKind =
            provider
                .parse()
                .map_err(|e: robots::Error| ConfigError::Invalid {
                    name: LLM_PROVIDER_VAR,
                    reason: format!("{e}; or \"offline\""),
                })?;
        let key = match (
            get(LLM_API_KEY_VAR),
            get(LLM_KEY_SECRET_VAR),
            get(LLM_KEY_PARAMETER_VAR),
        ) {
            (Some(key), None, None) => KeySource::Direct(ApiKey::new(key)),
            (None, Some(name), None) => KeySource::Named(SecretSource::SecretsManager(name)),
            (None, None, Some(name)) => KeySource::Named(SecretSource::Parameter(name)),
            (None, None, None) => {
                return Err(ConfigError::Invalid {
                    name: LLM_PROVIDER_VAR,
                    reason: format!(
                        "an LLM provider needs a key: set {LLM_API_KEY_VAR}, {LLM_KEY_SECRET_VAR} or {LLM_KEY_PARAMETER_VAR}"
                    ),
                });
            }
            _ => {
                return Err(ConfigError::Invalid {
                    name: LLM_API_KEY_VAR,
                    reason: format!(
                        "set only one of {LLM_API_KEY_VAR}, {LLM_KEY_SECRET_VAR}, {LLM_KEY_PARAMETER_VAR}"
                    ),
                });
            }
        };
        let model = get(LLM_MODEL_VAR).unwrap_or_else(|| {
            match provider {
                ProviderKind::Anthropic => DEFAULT_ANTHROPIC_MODEL,
                ProviderKind::OpenAi => DEFAULT_OPENAI_MODEL,
            }
            .to_string()
        });
        s.llm = Some(LlmSetup {
            provider,
            base_url: get(LLM_BASE_URL_VAR),
            model,
            key,
        });
        Ok(s)
    }

    /// The core's share of it.
    pub fn core_settings(&self) -> chat_core::RobotSettings {
        chat_core::RobotSettings {
            answer_timeout: self.answer_timeout,
            ..Default::default()
        }
    }

    /// The registry: resolves a named key through the secrets extension first.
    pub async fn registry(&self) -> Result<Arc<dyn Robots>, ConfigError> {
        let joke_source = match &self.llm {
            None => JokeSource::Offline(self.offline),
            Some(setup) => {
                let key = match &setup.key {
                    KeySource::Direct(key) => key.clone(),
                    KeySource::Named(source) => {
                        let token = std::env::var("AWS_SESSION_TOKEN").unwrap_or_default();
                        llm::fetch_secret(source, &self.extension_endpoint, &token)
                            .await
                            .map_err(|e| ConfigError::Invalid {
                                name: LLM_PROVIDER_VAR,
                                reason: format!("could not read the LLM key: {e}"),
                            })?
                    }
                };
                let mut config = LlmConfig::new(setup.provider, key, setup.model.clone());
                if let Some(url) = &setup.base_url {
                    config.base_url = url.clone();
                }
                let provider = llm::provider_from(config).map_err(|e| ConfigError::Invalid {
                    name: LLM_BASE_URL_VAR,
                    reason: e.to_string(),
                })?;
                JokeSource::Llm(provider)
            }
        };
        Ok(Arc::new(Registry::new(RobotsConfig {
            jokes: self.jokes,
            joke_source,
            formstack: self.formstack.0.clone(),
        })))
    }
}

/// The Formstack settings, refused here rather than on the first form asked by id.
fn formstack(get: &impl Fn(&str) -> Option<String>) -> Result<FormstackSetup, ConfigError> {
    // Checked first so the error names the variable like the others above do; what
    // `from_lookup` can still refuse is then only the token's sources.
    if let Some(v) = get(FORMSTACK_TIMEOUT_VAR) {
        whole(FORMSTACK_TIMEOUT_VAR, &v)?;
    }
    let config = FormstackConfig::from_lookup(get).map_err(|e| ConfigError::Invalid {
        name: FORMSTACK_TOKEN_VAR,
        reason: match e {
            robots::Error::FormstackConfig(reason) => reason,
            other => other.to_string(),
        },
    })?;
    // Only a base URL someone set can be wrong; building the client checks it (the
    // default is known good, and every process reads these settings).
    if get(FORMSTACK_BASE_URL_VAR).is_some() {
        FormstackClient::new(config.clone()).map_err(|e| ConfigError::Invalid {
            name: FORMSTACK_BASE_URL_VAR,
            reason: match e {
                robots::Error::FormstackConfig(reason) => reason,
                other => other.to_string(),
            },
        })?;
    }
    Ok(FormstackSetup(config))
}

fn whole(name: &'static str, raw: &str) -> Result<u64, ConfigError> {
    raw.trim().parse().map_err(|e| ConfigError::Invalid {
        name,
        reason: format!("expected a whole number, got {raw:?}: {e}"),
    })
}

fn switch(name: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!("expected on or off, got {raw:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<RobotSetup, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        RobotSetup::from_lookup(&|k| map.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_are_offline_with_jokes_and_a_minute() {
        let s = from(&[]).unwrap();
        assert_eq!(s, RobotSetup::default());
        assert_eq!(s.answer_timeout, Duration::from_secs(60));
        assert!(s.jokes && s.llm.is_none());
    }

    #[test]
    fn a_provider_needs_exactly_one_key_source_and_the_key_never_prints() {
        let err = from(&[(LLM_PROVIDER_VAR, "anthropic")]).unwrap_err();
        assert!(err.to_string().contains(LLM_API_KEY_VAR), "{err}");
        let both = from(&[
            (LLM_PROVIDER_VAR, "openai"),
            (LLM_API_KEY_VAR, "sk-secret-123"),
            (LLM_KEY_SECRET_VAR, "prod/llm"),
        ]);
        assert!(both.is_err());
        let s = from(&[
            (LLM_PROVIDER_VAR, "openai"),
            (LLM_API_KEY_VAR, "sk-secret-123"),
        ])
        .unwrap();
        let llm = s.llm.clone().unwrap();
        assert_eq!(llm.model, DEFAULT_OPENAI_MODEL);
        assert!(!format!("{s:?}").contains("sk-secret-123"));
        let named = from(&[
            (LLM_PROVIDER_VAR, "anthropic"),
            (LLM_KEY_PARAMETER_VAR, "/chat/llm-key"),
        ])
        .unwrap();
        assert_eq!(
            named.llm.unwrap().key,
            KeySource::Named(SecretSource::Parameter("/chat/llm-key".into()))
        );
        assert!(from(&[(LLM_PROVIDER_VAR, "gemini")]).is_err());
    }

    #[test]
    fn timeouts_pace_and_jokes_are_configurable() {
        let s = from(&[
            (ROBOT_TIMEOUT_VAR, "5"),
            (OFFLINE_PACE_VAR, "0"),
            (JOKES_VAR, "off"),
        ])
        .unwrap();
        assert_eq!(s.answer_timeout, Duration::from_secs(5));
        assert_eq!(s.offline.pace, Duration::ZERO);
        assert!(!s.jokes);
        assert!(from(&[(JOKES_VAR, "maybe")]).is_err());
    }

    #[test]
    fn formstack_settings_are_read_checked_and_never_print_the_token() {
        use robots::forms::TokenSource;
        use robots::forms::formstack::{TOKEN_PARAMETER_VAR, TOKEN_SECRET_VAR};

        let s = from(&[
            (FORMSTACK_BASE_URL_VAR, "http://127.0.0.1:9/api/v2"),
            (FORMSTACK_TOKEN_VAR, "fs-secret-456"),
            (FORMSTACK_TIMEOUT_VAR, "7"),
        ])
        .unwrap();
        let config = &s.formstack.0;
        assert_eq!(config.base_url, "http://127.0.0.1:9/api/v2");
        assert_eq!(config.timeout, Duration::from_secs(7));
        assert_eq!(
            config.token,
            Some(TokenSource::Direct(ApiKey::new("fs-secret-456")))
        );
        assert!(!format!("{s:?}").contains("fs-secret-456"));
        assert_ne!(s, RobotSetup::default());
        let other_token = from(&[
            (FORMSTACK_BASE_URL_VAR, "http://127.0.0.1:9/api/v2"),
            (FORMSTACK_TOKEN_VAR, "fs-secret-789"),
            (FORMSTACK_TIMEOUT_VAR, "7"),
        ])
        .unwrap();
        assert_ne!(s, other_token, "tokens are compared, though never printed");

        let named = from(&[(TOKEN_SECRET_VAR, "istackbuddy/formstack")]).unwrap();
        assert_eq!(
            named.formstack.0.token,
            Some(TokenSource::Named(SecretSource::SecretsManager(
                "istackbuddy/formstack".into()
            )))
        );

        let two = from(&[(TOKEN_SECRET_VAR, "a"), (TOKEN_PARAMETER_VAR, "b")]).unwrap_err();
        assert!(two.to_string().contains("set only one of"), "{two}");
        let timeout = from(&[(FORMSTACK_TIMEOUT_VAR, "soon")]).unwrap_err();
        assert!(
            timeout.to_string().starts_with(FORMSTACK_TIMEOUT_VAR),
            "{timeout}"
        );
        let url = from(&[(FORMSTACK_BASE_URL_VAR, "formstack.com")]).unwrap_err();
        assert!(url.to_string().starts_with(FORMSTACK_BASE_URL_VAR), "{url}");
    }

    #[tokio::test]
    async fn the_registry_lists_the_forms_robot_with_its_arguments() {
        let s = from(&[(JOKES_VAR, "off"), (FORMSTACK_TOKEN_VAR, "t")]).unwrap();
        let robots = s.registry().await.unwrap();
        let card = robots.info("iStackBuddy.forms.diagnostics").unwrap();
        let args: Vec<&str> = card.args.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(args, ["fileId", "formId"]);
        assert_eq!(robots.catalog().len(), 1);
    }
}
