//! The command line: `chat-local [serve] [flags]` and `chat-local users …`.
//!
//! `serve` is the default, so PROTOCOL §0's command works as written:
//! `chat-local --addr 127.0.0.1:8080 --data-dir .chat-data --demo`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use chat_wiring::aws_env::MANAGEMENT_KEY_VAR;
use chat_wiring::logging::LogFormat;
use chat_wiring::settings::{ALLOWED_ORIGINS_VAR, DEFAULT_RATE_LIMIT, RATE_LIMIT_VAR};
use chat_wiring::{Backend, Settings};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::admin_cli::{UsersCommand, run_users};
use crate::backend::BackendChoice;
use crate::config::{DEFAULT_ADDR, DEFAULT_DATA_DIR, GatewayConfig, LambdaMode};
use crate::server::{shutdown_signal, start};

#[derive(Debug, Parser)]
#[command(
    name = "chat-local",
    version,
    about = "iStackBuddy Chat local gateway and admin tool"
)]
pub struct Cli {
    /// Data folder: SQLite database, files, signing secret, management key.
    #[arg(long, global = true, env = "CHAT_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Log line format (filter with RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
    /// Where state lives: `embedded` (SQLite in the data folder) or `aws` (DynamoDB,
    /// S3 and SQS; created if absent on an emulator, named by CHAT_TABLE etc. on AWS).
    #[arg(long, global = true, env = "CHAT_BACKEND", value_enum, default_value_t = BackendArg::Embedded)]
    pub backend: BackendArg,
    /// An AWS API emulator's URL (e.g. a moto server) for `--backend aws`.
    #[arg(long, global = true, env = "CHAT_AWS_ENDPOINT")]
    pub aws_endpoint: Option<String>,
    /// Flags of the default `serve` command (not valid before another subcommand).
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `--backend` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Embedded,
    Aws,
}

impl Cli {
    /// The backend flags as the gateway and admin commands take them.
    pub fn backend_choice(&self) -> BackendChoice {
        BackendChoice {
            backend: match self.backend {
                BackendArg::Embedded => Backend::Embedded,
                BackendArg::Aws => Backend::Aws,
            },
            aws_endpoint: self.aws_endpoint.clone().filter(|e| !e.trim().is_empty()),
            resource_prefix: None,
        }
    }

    /// `users …` rather than the gateway.
    pub fn is_admin_command(&self) -> bool {
        matches!(self.command, Some(Command::Users(_) | Command::TokenKey))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve(ServeArgs),
    /// Manage the allowed-users list in the data folder.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print a new token key pair as environment assignments: `CHAT_JWT_SIGNING_KEY`
    /// for the issuer (the auth function), `CHAT_JWT_PUBLIC_KEYS` for every verifier.
    /// For deployments and key rotation (docs/deploy.md); nothing is stored.
    TokenKey,
}

/// `serve`'s flags. Flags that stand for a core setting have no clap default and no
/// clap `env`: [`ServeArgs::settings`] merges them over the environment and the
/// settings' own defaults, in one place, so `CHAT_RATE_LIMIT` works and `20` is
/// written once (in `chat_wiring::settings`).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Create the PROTOCOL §0 demo accounts if absent (public passwords).
    #[arg(long)]
    pub demo: bool,
    #[arg(
        long,
        value_name = "N",
        help = format!(
            "Actions per second per connection (burst twice that); 0 turns limiting off \
             [env: {RATE_LIMIT_VAR}] [default: {DEFAULT_RATE_LIMIT}]"
        )
    )]
    pub rate_limit: Option<u32>,
    #[arg(
        long = "allow-origin",
        value_name = "ORIGIN",
        help = format!(
            "A browser origin allowed to open WebSockets (repeatable; replaces \
             {ALLOWED_ORIGINS_VAR}, a comma-separated list); the gateway's own localhost \
             origins are always allowed"
        )
    )]
    pub allow_origins: Vec<String>,
    /// PEM certificate chain: serve https:// and wss://.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Local Lambda mode: send every API Gateway event to the functions served by
    /// `cargo lambda watch` at this Lambda Invoke API URL (e.g. http://127.0.0.1:9000)
    /// instead of running the handlers in this process. Needs the AWS backend.
    #[arg(long, env = "CHAT_LAMBDA_ENDPOINT", value_name = "URL")]
    pub lambda_endpoint: Option<String>,
    /// Also serve the Management API (`/@connections`) here, a fixed address to give
    /// the functions as CHAT_WS_MANAGEMENT_ENDPOINT (local Lambda mode).
    #[arg(long, env = "CHAT_MANAGEMENT_ADDR", value_name = "ADDR")]
    pub management_addr: Option<SocketAddr>,
    /// The origin clients reach this gateway at (e.g. https://chat.example:8443) when
    /// it is not the listening address (a proxy, a container's port mapping): file
    /// upload and download URLs start with it.
    #[arg(long, env = "CHAT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Json,
    Text,
}

impl From<LogFormatArg> for LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Json => LogFormat::Json,
            LogFormatArg::Text => LogFormat::Text,
        }
    }
}

impl ServeArgs {
    /// Whether any flag differs from its default: used to refuse serve flags given
    /// before another subcommand (clap's own conflict check would also refuse the
    /// global `--data-dir` there).
    fn any_given(&self) -> bool {
        self.addr.to_string() != DEFAULT_ADDR
            || self.demo
            || self.rate_limit.is_some()
            || !self.allow_origins.is_empty()
            || self.tls_cert.is_some()
            || self.tls_key.is_some()
    }

    /// The flags that stand for settings, under the variable each one overrides.
    fn setting_flags(&self) -> Vec<(&'static str, String)> {
        let mut flags = Vec::new();
        if let Some(n) = self.rate_limit {
            flags.push((RATE_LIMIT_VAR, n.to_string()));
        }
        if !self.allow_origins.is_empty() {
            flags.push((ALLOWED_ORIGINS_VAR, self.allow_origins.join(",")));
        }
        flags
    }

    /// The core settings: a flag if given, else the variable in `env`, else the
    /// settings' default — the one place they are merged.
    pub fn settings(
        &self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, chat_wiring::ConfigError> {
        let flags = self.setting_flags();
        Settings::from_lookup(|name| {
            flags
                .iter()
                .find(|(flag, _)| *flag == name)
                .map(|(_, value)| value.clone())
                .or_else(|| env(name))
        })
    }

    /// The gateway's configuration, reading variables through `env`.
    pub fn to_config(
        &self,
        data_dir: PathBuf,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<GatewayConfig> {
        let mut config = GatewayConfig::new(self.addr, data_dir);
        config.demo = self.demo;
        config.settings = self.settings(env)?;
        config.tls = self.tls_cert.clone().zip(self.tls_key.clone());
        config.lambda = self
            .lambda_endpoint
            .as_ref()
            .filter(|e| !e.trim().is_empty())
            .map(|endpoint| LambdaMode {
                endpoint: endpoint.trim().to_string(),
                management_addr: self.management_addr,
            });
        if config.lambda.is_none() && self.management_addr.is_some() {
            anyhow::bail!("--management-addr is for the local Lambda mode (--lambda-endpoint)");
        }
        config.management_key = env(MANAGEMENT_KEY_VAR).filter(|k| !k.trim().is_empty());
        config.public_url = match self.public_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => anyhow::bail!("--public-url {url:?} must start with http:// or https://"),
        };
        Ok(config)
    }
}

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if cli.is_admin_command() && cli.serve.any_given() {
        anyhow::bail!(
            "--addr, --demo, --rate-limit, --allow-origin and --tls-* belong to serve, not users"
        );
    }
    let choice = cli.backend_choice();
    let env = |name: &str| std::env::var(name).ok();
    match cli.command {
        None => serve(cli.serve.to_config(cli.data_dir, &env)?, choice).await,
        Some(Command::Serve(args)) => serve(args.to_config(cli.data_dir, &env)?, choice).await,
        Some(Command::TokenKey) => {
            let key = chat_core::auth::SigningKey::generate()?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "# kid {}", key.kid())?;
            writeln!(out, "CHAT_JWT_SIGNING_KEY={}", key.to_base64())?;
            writeln!(
                out,
                "CHAT_JWT_PUBLIC_KEYS={}",
                key.verifying_key().to_base64()
            )?;
            out.flush()?;
            Ok(())
        }
        Some(Command::Users(command)) => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut out = std::io::stdout().lock();
            run_users(&cli.data_dir, &choice, command, &mut input, &mut out).await?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Serves until SIGINT/SIGTERM, then shuts down gracefully.
async fn serve(mut config: GatewayConfig, backend: BackendChoice) -> anyhow::Result<()> {
    config.backend = backend;
    let gateway = start(config).await?;
    shutdown_signal().await;
    gateway.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("chat-local").chain(args.iter().copied()))
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_defaults() {
        let cli = parse(&[]).unwrap();
        let default = cli.serve.settings(&no_env).unwrap();
        assert_eq!(default.rate_limit, DEFAULT_RATE_LIMIT);

        let env = env_of(&[
            ("CHAT_RATE_LIMIT", "7"),
            ("CHAT_ALLOWED_ORIGINS", "https://env.example"),
        ]);
        let from_env = cli.serve.settings(&env).unwrap();
        assert_eq!(
            from_env.rate_limit, 7,
            "CHAT_RATE_LIMIT must reach the gateway"
        );
        assert_eq!(from_env.allowed_origins, vec!["https://env.example"]);

        let cli = parse(&[
            "--rate-limit",
            "0",
            "--allow-origin",
            "https://flag.example",
        ])
        .unwrap();
        let from_flags = cli.serve.settings(&env).unwrap();
        assert_eq!(from_flags.rate_limit, 0);
        assert_eq!(from_flags.allowed_origins, vec!["https://flag.example"]);

        let bad = env_of(&[("CHAT_RATE_LIMIT", "lots")]);
        let err = parse(&[]).unwrap().serve.settings(&bad).unwrap_err();
        assert!(err.to_string().contains("CHAT_RATE_LIMIT"), "{err}");
    }

    #[test]
    fn the_public_url_is_an_http_origin() {
        let config = |args: &[&str]| {
            parse(args)
                .unwrap()
                .serve
                .to_config(PathBuf::from("d"), &no_env)
        };
        assert_eq!(config(&[]).unwrap().public_url, None);
        let given = config(&["--public-url", "https://chat.example:8443/"]).unwrap();
        assert_eq!(
            given.public_url.as_deref(),
            Some("https://chat.example:8443")
        );
        assert!(config(&["--public-url", "chat.example"]).is_err());
    }

    #[test]
    fn the_lambda_mode_takes_an_endpoint_and_a_management_address() {
        let cli = parse(&[
            "--lambda-endpoint",
            "http://127.0.0.1:9000",
            "--management-addr",
            "127.0.0.1:9100",
        ])
        .unwrap();
        let config = cli.serve.to_config(PathBuf::from("d"), &no_env).unwrap();
        let lambda = config.lambda.unwrap();
        assert_eq!(lambda.endpoint, "http://127.0.0.1:9000");
        assert_eq!(
            lambda.management_addr,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let cli = parse(&["--management-addr", "127.0.0.1:9100"]).unwrap();
        assert!(cli.serve.to_config(PathBuf::from("d"), &no_env).is_err());
        let keyed = env_of(&[("CHAT_MANAGEMENT_KEY", "k-1")]);
        let config = parse(&[])
            .unwrap()
            .serve
            .to_config(PathBuf::from("d"), &keyed)
            .unwrap();
        assert_eq!(config.management_key.as_deref(), Some("k-1"));
    }

    #[test]
    fn the_protocol_command_line_serves_by_default() {
        let cli = parse(&["--addr", "127.0.0.1:9999", "--data-dir", "d", "--demo"]).unwrap();
        assert!(cli.command.is_none());
        let config = cli.serve.to_config(cli.data_dir, &no_env).unwrap();
        assert_eq!(config.addr.port(), 9999);
        assert_eq!(config.data_dir, PathBuf::from("d"));
        assert!(config.demo && config.tls.is_none() && config.lambda.is_none());
        assert_eq!(config.settings.rate_limit, 20);
    }

    #[test]
    fn serve_takes_every_flag() {
        let cli = parse(&[
            "serve",
            "--rate-limit",
            "0",
            "--allow-origin",
            "https://a",
            "--allow-origin",
            "https://b",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve")
        };
        let config = args.to_config(cli.data_dir, &no_env).unwrap();
        assert_eq!(config.settings.rate_limit, 0);
        assert_eq!(
            config.settings.allowed_origins,
            vec!["https://a", "https://b"]
        );
        assert_eq!(
            config.tls,
            Some((PathBuf::from("c.pem"), PathBuf::from("k.pem")))
        );
        assert!(
            parse(&["--tls-cert", "c.pem"]).is_err(),
            "a certificate needs its key"
        );
    }

    #[test]
    fn users_subcommands_parse_with_the_data_dir_anywhere() {
        let cli = parse(&[
            "users",
            "add",
            "--username",
            "dora",
            "--password-stdin",
            "--tier",
            "t2",
            "--role",
            "supervisor",
            "--data-dir",
            "x",
        ])
        .unwrap();
        assert_eq!(cli.data_dir, PathBuf::from("x"));
        let Some(Command::Users(UsersCommand::Add {
            tier,
            roles,
            password_stdin,
            ..
        })) = cli.command
        else {
            panic!("expected users add")
        };
        assert_eq!(
            (tier, roles, password_stdin),
            (
                chat_core::model::Tier::T2,
                vec![chat_core::model::Role::Supervisor],
                true
            )
        );
        assert!(parse(&["--data-dir", "x", "users", "set-tier", "bob", "T3"]).is_ok());
        assert!(
            parse(&["users", "add", "--username", "dora"]).is_err(),
            "a password source is required"
        );
        assert!(parse(&["users", "set-tier", "bob", "T9"]).is_err());
    }
}
