//! `users` subcommands through the library entry point, on a data folder with and
//! without a running gateway.

mod common;

use std::io::Cursor;
use std::path::Path;

use chat_core::model::{Role, Tier};
use chat_local::admin_cli::{UsersCommand, run_users};
use chat_local::backend::BackendChoice;
use common::*;
use serde_json::json;

async fn users(dir: &Path, command: UsersCommand) -> anyhow::Result<String> {
    users_with_input(dir, command, "").await
}

async fn users_with_input(
    dir: &Path,
    command: UsersCommand,
    input: &str,
) -> anyhow::Result<String> {
    let mut out = Vec::new();
    run_users(
        dir,
        &BackendChoice::default(),
        command,
        &mut Cursor::new(input.as_bytes().to_vec()),
        &mut out,
    )
    .await?;
    Ok(String::from_utf8(out).expect("utf-8 output"))
}

fn add(username: &str, password: Option<&str>, tier: Tier, roles: Vec<Role>) -> UsersCommand {
    UsersCommand::Add {
        username: username.into(),
        password: password.map(String::from),
        password_stdin: password.is_none(),
        tier,
        roles,
        display_name: Some(format!("{username} display")),
    }
}

fn row<'a>(table: &'a str, username: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(username))
        .unwrap_or_else(|| panic!("{username} not in\n{table}"))
}

#[tokio::test]
async fn users_round_trip_without_a_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let added = users(
        d,
        add(
            "dora",
            Some("dora-password"),
            Tier::T1,
            vec![Role::Supervisor],
        ),
    )
    .await
    .unwrap();
    assert!(added.starts_with("added dora ("), "{added}");
    users_with_input(d, add("eve", None, Tier::T2, vec![]), "eve-password\n")
        .await
        .unwrap();

    let table = users(d, UsersCommand::List).await.unwrap();
    assert!(table.starts_with("USERNAME"), "{table}");
    let dora = row(&table, "dora");
    assert!(
        dora.contains("T1")
            && dora.contains("supervisor")
            && dora.contains("yes")
            && dora.contains("dora display"),
        "{dora}"
    );
    assert!(row(&table, "eve").contains("T2"));

    users(
        d,
        UsersCommand::SetTier {
            user: "dora".into(),
            tier: Tier::T3,
        },
    )
    .await
    .unwrap();
    users(d, UsersCommand::Disable { user: "eve".into() })
        .await
        .unwrap();
    let table = users(d, UsersCommand::List).await.unwrap();
    assert!(row(&table, "dora").contains("T3"));
    assert!(row(&table, "eve").contains(" no "), "{table}");
    users(d, UsersCommand::Enable { user: "eve".into() })
        .await
        .unwrap();
    users(d, UsersCommand::Revoke { user: "eve".into() })
        .await
        .unwrap();
    let table = users(d, UsersCommand::List).await.unwrap();
    assert!(row(&table, "eve").contains(" yes "), "{table}");
}

#[tokio::test]
async fn users_commands_report_mistakes_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = users(d, UsersCommand::List).await.unwrap_err();
    assert!(err.to_string().contains("no chat data"), "{err}");
    users(d, add("dora", Some("dora-password"), Tier::T1, vec![]))
        .await
        .unwrap();
    let dup = users(d, add("dora", Some("dora-password"), Tier::T1, vec![]))
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("cannot add"), "{dup}");
    let short = users(d, add("fred", Some("short"), Tier::T1, vec![]))
        .await
        .unwrap_err();
    assert!(short.to_string().contains("at least"), "{short}");
    let missing = users(
        d,
        UsersCommand::Disable {
            user: "nobody".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(missing.to_string().contains("no such user"), "{missing}");
    let empty = users_with_input(d, add("gus", None, Tier::T1, vec![]), "")
        .await
        .unwrap_err();
    assert!(empty.to_string().contains("no password"), "{empty}");
}

#[tokio::test]
async fn revoking_and_disabling_close_sockets_on_the_running_gateway() {
    let t = spawn(true).await;
    let d = t.dir.path().to_path_buf();
    let alice = login(&t.base, "alice").await;
    let mut socket = connect_bearer(&t.ws_url, &alice).await;
    assert_eq!(
        call(&mut socket, "room.list", "r", json!({})).await["ok"],
        true
    );

    users(
        &d,
        UsersCommand::Revoke {
            user: "alice".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        closed_by_server(&mut socket).await,
        "revoke closes the socket"
    );
    let (status, _) = connect(&t.ws_url, &[("authorization", &format!("Bearer {alice}"))])
        .await
        .expect_err("old token refused");
    assert_eq!(status, 401);

    let bob = login(&t.base, "bob").await;
    let mut socket = connect_bearer(&t.ws_url, &bob).await;
    users(&d, UsersCommand::Disable { user: "bob".into() })
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut socket).await,
        "disable closes the socket"
    );
    let resp = http()
        .post(format!("{}/auth/login", t.base))
        .json(&json!({"username": "bob", "password": "bob-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    t.gateway.shutdown().await;
}
