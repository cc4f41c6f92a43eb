//! The command line: `chat-local [serve] [flags]` and `chat-local users …`.
//!
//! `serve` is the default, so PROTOCOL §0's command works as written:
//! `chat-local --addr 127.0.0.1:8080 --data-dir .chat-data --demo`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use chat_config::Backend;
use chat_config::logging::LogFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::admin_cli::{UsersCommand, run_users};
use crate::backend::BackendChoice;
use crate::config::{DEFAULT_ADDR, DEFAULT_DATA_DIR, DEFAULT_RATE_LIMIT, GatewayConfig};
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
        matches!(self.command, Some(Command::Users(_)))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve(ServeArgs),
    /// Manage the allowed-users list in the data folder.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Create the PROTOCOL §0 demo accounts if absent (public passwords).
    #[arg(long)]
    pub demo: bool,
    /// Actions per second per connection (burst twice that); 0 turns limiting off.
    #[arg(long, default_value_t = DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// A browser origin allowed to open WebSockets (repeatable); the gateway's own
    /// localhost origins are always allowed.
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// PEM certificate chain: serve https:// and wss://.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
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
            || self.rate_limit != DEFAULT_RATE_LIMIT
            || !self.allow_origins.is_empty()
            || self.tls_cert.is_some()
            || self.tls_key.is_some()
    }

    pub fn to_config(&self, data_dir: PathBuf) -> GatewayConfig {
        let mut config = GatewayConfig::new(self.addr, data_dir);
        config.demo = self.demo;
        config.rate_limit = self.rate_limit;
        config.allowed_origins = self.allow_origins.clone();
        config.tls = self.tls_cert.clone().zip(self.tls_key.clone());
        config
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
    match cli.command {
        None => serve(cli.serve.to_config(cli.data_dir), choice).await,
        Some(Command::Serve(args)) => serve(args.to_config(cli.data_dir), choice).await,
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

    #[test]
    fn the_protocol_command_line_serves_by_default() {
        let cli = parse(&["--addr", "127.0.0.1:9999", "--data-dir", "d", "--demo"]).unwrap();
        assert!(cli.command.is_none());
        let config = cli.serve.to_config(cli.data_dir);
        assert_eq!(config.addr.port(), 9999);
        assert_eq!(config.data_dir, PathBuf::from("d"));
        assert!(config.demo && config.tls.is_none());
        assert_eq!(config.rate_limit, 20);
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
        let config = args.to_config(cli.data_dir);
        assert_eq!(config.rate_limit, 0);
        assert_eq!(config.allowed_origins, vec!["https://a", "https://b"]);
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
