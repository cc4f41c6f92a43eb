//! `chat-local users …`: the allowed-users list in a data folder's embedded store.
//!
//! Every command goes through the core's admin methods (`add_employee`,
//! `list_accounts`, `find_account`, `update_identity`), exactly like the admin HTTP
//! routes (`fn-admin-api`); the audit log names the actor `operator`. When a gateway is running on the same data folder (its address is in
//! `gateway.addr`), `Push` is a [`ManagementApiPush`] to it, so disabling or revoking a
//! user closes their open sockets at once. Without a running gateway the store change
//! alone applies — and the core re-checks the token version on every action anyway.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use chat_core::App;
use chat_core::model::{Role, Tier, UserRecord};
use chat_core::ports::Push;
use chat_core::service::admin::{IdentityPatch, NewEmployee};
use chat_core::service::audit::Actor;
use chat_embedded::push::{ConnectionHub, ManagementApiPush};
use chat_wiring::{Backend, Settings};
use clap::Subcommand;
use tracing::{debug, warn};

use crate::backend::{self, BackendChoice};
use crate::secrets::{self, GATEWAY_ADDR_FILE, JWT_SIGNING_KEY_FILE, MANAGEMENT_KEY_FILE};

/// `users` subcommands. Users are named by username or user id.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum UsersCommand {
    /// Add an employee account.
    Add {
        #[arg(long)]
        username: String,
        /// The password (visible in the process list; prefer --password-stdin).
        #[arg(
            long,
            conflicts_with = "password_stdin",
            required_unless_present = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, value_parser = parse_tier, default_value = "T1")]
        tier: Tier,
        /// `supervisor` or `admin`; repeat for several.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<Role>,
        /// Defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List every account.
    List,
    /// Disable an account: its tokens stop working and its sockets close.
    Disable { user: String },
    /// Enable a disabled account (it needs to log in again).
    Enable { user: String },
    /// Change an employee's support tier.
    SetTier {
        user: String,
        #[arg(value_parser = parse_tier)]
        tier: Tier,
    },
    /// Revoke every token issued so far and close the user's sockets.
    Revoke { user: String },
}

fn parse_tier(raw: &str) -> Result<Tier, String> {
    Tier::parse(&raw.to_ascii_uppercase())
        .ok_or_else(|| format!("unknown tier {raw:?}; use T1, T2 or T3"))
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(&raw.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown role {raw:?}; use supervisor or admin"))
}

/// Runs one `users` command against `data_dir`. `input` supplies `--password-stdin`;
/// results are written to `out`.
pub async fn run_users(
    data_dir: &Path,
    choice: &BackendChoice,
    command: UsersCommand,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if choice.backend == Backend::Embedded
        && !data_dir.join(crate::backend::DB_FILE).exists()
        && !matches!(command, UsersCommand::Add { .. })
    {
        bail!(
            "no chat data in {} (start the gateway or add a user first)",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    let app = admin_app(data_dir, choice).await?;
    match command {
        UsersCommand::Add {
            username,
            password,
            password_stdin,
            tier,
            roles,
            display_name,
        } => {
            let password = match (password, password_stdin) {
                (Some(p), false) => p,
                (None, true) => read_password(input)?,
                _ => bail!("give exactly one of --password or --password-stdin"),
            };
            let user = app
                .add_employee(
                    Actor::Operator,
                    NewEmployee {
                        display_name: display_name.unwrap_or_else(|| username.clone()),
                        username,
                        password,
                        tier,
                        roles,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("cannot add the user: {}", e.public_message()))?;
            writeln!(
                out,
                "added {} ({})",
                user.identity.username, user.identity.user_id
            )?;
        }
        UsersCommand::List => {
            let users = app.list_accounts().await.map_err(core)?;
            write_table(out, &users)?;
        }
        UsersCommand::Disable { user } => {
            let patch = IdentityPatch {
                enabled: Some(false),
                ..Default::default()
            };
            let u = patch_user(&app, &user, patch).await?;
            writeln!(
                out,
                "disabled {}; its tokens are revoked and its sockets closed",
                u.identity.username
            )?;
        }
        UsersCommand::Enable { user } => {
            let patch = IdentityPatch {
                enabled: Some(true),
                ..Default::default()
            };
            let u = patch_user(&app, &user, patch).await?;
            writeln!(out, "enabled {}", u.identity.username)?;
        }
        UsersCommand::SetTier { user, tier } => {
            let patch = IdentityPatch {
                tier: Some(tier),
                ..Default::default()
            };
            let u = patch_user(&app, &user, patch).await?;
            writeln!(out, "{} is now {}", u.identity.username, tier.as_str())?;
        }
        UsersCommand::Revoke { user } => {
            let patch = IdentityPatch {
                revoke_tokens: true,
                ..Default::default()
            };
            let u = patch_user(&app, &user, patch).await?;
            writeln!(
                out,
                "revoked every token of {}; its sockets are closed",
                u.identity.username
            )?;
        }
    }
    Ok(())
}

async fn patch_user(app: &App, user: &str, patch: IdentityPatch) -> anyhow::Result<UserRecord> {
    let found = app.find_account(user).await.map_err(core)?;
    app.update_identity(Actor::Operator, &found.identity.user_id, patch)
        .await
        .map_err(core)
}

/// Client-facing messages are the useful ones here too; storage details go to the log.
fn core(e: chat_core::CoreError) -> anyhow::Error {
    if e.code().http_status() >= 500 {
        warn!(error = %e, source = ?std::error::Error::source(&e), "admin command failed");
    }
    anyhow::anyhow!(e.public_message())
}

fn read_password(input: &mut dyn BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// The app on the data folder's store, pushing to the running gateway if there is one.
async fn admin_app(data_dir: &Path, choice: &BackendChoice) -> anyhow::Result<Arc<App>> {
    let mut settings = Settings::from_env().context("invalid environment configuration")?;
    if settings.signing_key.is_none() {
        // The signer needs a key even though admin commands never sign: use the
        // gateway's, so nothing differs from what `serve` would build.
        let path = secrets::file(data_dir, JWT_SIGNING_KEY_FILE);
        let key = secrets::signing_key(&path)
            .with_context(|| format!("cannot read or create {}", path.display()))?;
        settings.signing_key = Some(key);
    }
    let push = gateway_push(data_dir)?;
    // Jobs an admin command enqueues are left for the gateway's worker.
    let robots = settings.robots.registry().await?;
    backend::open_for_admin(choice, data_dir, settings.core_config()?, push, robots).await
}

/// `ManagementApiPush` to the gateway recorded in `gateway.addr`, or a push that
/// reaches no socket when none runs.
fn gateway_push(data_dir: &Path) -> anyhow::Result<Arc<dyn Push>> {
    let addr = match std::fs::read_to_string(data_dir.join(GATEWAY_ADDR_FILE)) {
        Ok(text) => text.trim().to_string(),
        Err(_) => return Ok(Arc::new(ConnectionHub::new())),
    };
    let Some(key) = secrets::read(&secrets::file(data_dir, MANAGEMENT_KEY_FILE))? else {
        return Ok(Arc::new(ConnectionHub::new()));
    };
    // A TLS gateway on loopback has a self-signed certificate at best; the management
    // key, not the certificate, is what authenticates this call there.
    let loopback =
        addr.contains("://127.") || addr.contains("://[::1]") || addr.contains("://localhost");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .danger_accept_invalid_certs(loopback)
        .build()
        .context("cannot build an HTTP client")?;
    debug!(gateway = %addr, "socket pushes go through the running gateway");
    Ok(Arc::new(ManagementApiPush::with_client(addr, key, client)))
}

fn write_table(out: &mut dyn Write, users: &[UserRecord]) -> std::io::Result<()> {
    let header = [
        "USERNAME",
        "USER ID",
        "KIND",
        "TIER",
        "ROLES",
        "ENABLED",
        "DISPLAY NAME",
    ];
    let rows: Vec<[String; 7]> = users
        .iter()
        .map(|u| {
            let id = &u.identity;
            let kind = if id.is_employee() {
                "employee"
            } else {
                "guest"
            };
            let roles: Vec<&str> = id.roles.iter().map(|r| r.as_str()).collect();
            [
                id.username.clone(),
                id.user_id.to_string(),
                kind.to_string(),
                id.tier
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "-".into()),
                if roles.is_empty() {
                    "-".into()
                } else {
                    roles.join(",")
                },
                if id.enabled {
                    "yes".into()
                } else {
                    "no".into()
                },
                u.profile.display_name.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
