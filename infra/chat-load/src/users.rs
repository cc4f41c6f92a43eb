//! Accounts: adding them with `chat-local users add`, logging in over HTTP.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct User {
    pub username: String,
    pub user_id: String,
    pub token: String,
}

/// Login verifies an Argon2 hash, which costs real CPU on the gateway; a few at a time
/// keeps setup from starving a 2-core machine.
const LOGIN_CONCURRENCY: usize = 4;
/// Each `users add` is a process that hashes a password; two fit 2 cores.
const CREATE_CONCURRENCY: usize = 2;

/// `<prefix>1 ..= <prefix>N`.
pub fn generated_names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// The `--demo` password convention.
pub fn default_password(username: &str) -> String {
    format!("{username}-pass")
}

/// The chat-local binary: explicit, else next to this executable (cargo puts both in
/// `target/<profile>/`), else whatever `chat-local` is on PATH.
pub fn chat_local_bin(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("chat-local")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("chat-local"))
}

/// Adds each account with the CLI. An account that already exists (a rerun) is not an
/// error here: the login that follows proves whether it is usable.
pub async fn create(
    bin: &Path,
    data_dir: &Path,
    names: &[String],
    timeout: Duration,
) -> anyhow::Result<()> {
    let total = names.len();
    let mut done = 0usize;
    let mut failures = Vec::new();
    let mut results = futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let (bin, dir) = (bin.to_path_buf(), data_dir.to_path_buf());
            tokio::task::spawn_blocking(move || {
                add_one(&bin, &dir, &name, timeout).map_err(|e| format!("{name}: {e:#}"))
            })
        })
        .buffer_unordered(CREATE_CONCURRENCY);
    while let Some(joined) = results.next().await {
        done += 1;
        match joined.context("a user-creation task panicked")? {
            Ok(()) => {}
            Err(e) => failures.push(e),
        }
        if done % 10 == 0 || done == total {
            println!(
                "created {done}/{total} users ({} already existed or failed)",
                failures.len()
            );
        }
    }
    if failures.len() == total {
        // Every add failing usually means a wrong binary or data folder, not reruns.
        eprintln!("note: every `users add` failed, e.g. {}", failures[0]);
    }
    Ok(())
}

/// One `chat-local --data-dir D users add …`, killed if it outlives `timeout`.
fn add_one(bin: &Path, data_dir: &Path, name: &str, timeout: Duration) -> anyhow::Result<()> {
    let password = default_password(name);
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "users",
            "add",
            "--username",
            name,
            "--password",
            &password,
            "--tier",
            "T1",
        ])
        .args(["--display-name", &format!("Load {name}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for chat-local")? {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                use std::io::Read;
                let _ = stderr.read_to_string(&mut err);
            }
            bail!("users add exited with {status}: {}", err.trim());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("users add did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Logs every account in, in order.
pub async fn login_all(
    client: &reqwest::Client,
    base: &str,
    creds: Vec<(String, String)>,
) -> anyhow::Result<Vec<User>> {
    let total = creds.len();
    let mut users: Vec<(usize, User)> = futures::stream::iter(creds.into_iter().enumerate())
        .map(|(i, (name, password))| async move {
            login(client, base, &name, &password).await.map(|u| (i, u))
        })
        .buffer_unordered(LOGIN_CONCURRENCY)
        .try_collect()
        .await?;
    users.sort_by_key(|(i, _)| *i);
    println!("logged in {total}/{total} users");
    Ok(users.into_iter().map(|(_, u)| u).collect())
}

/// `POST /auth/login`.
pub async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<User> {
    let response = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .with_context(|| format!("login of {username}: request failed"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("login of {username}: answer is not JSON (HTTP {status})"))?;
    if !status.is_success() {
        bail!("login of {username} refused: HTTP {status} {body}");
    }
    let field = |path: &str| {
        body.pointer(path)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("login of {username}: answer lacks {path}: {body}"))
    };
    Ok(User {
        username: username.to_string(),
        user_id: field("/identity/userId")?,
        token: field("/token")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_accounts_follow_the_demo_password_convention() {
        assert_eq!(generated_names("load", 3), vec!["load1", "load2", "load3"]);
        assert_eq!(default_password("load2"), "load2-pass");
        assert_eq!(
            chat_local_bin(Some(Path::new("/x/chat-local"))),
            PathBuf::from("/x/chat-local")
        );
    }
}
