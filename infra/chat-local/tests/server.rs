//! Gateway lifecycle and HTTP bridge: health, JSON errors, startup failures, restart on
//! the same data folder, optional TLS.

mod common;

use std::net::SocketAddr;

use chat_local::{GatewayConfig, start};
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn healthz_and_http_routes_answer_in_the_protocol_shape() {
    let t = spawn(true).await;
    let c = http();
    let health: Value = c
        .get(format!("{}/healthz", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok"}));

    let bad = c
        .post(format!("{}/auth/login", t.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"]["code"],
        "bad_request"
    );

    let wrong = c
        .post(format!("{}/auth/login", t.base))
        .json(&json!({"username": "alice", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let unknown = c
        .get(format!("{}/no/such/route", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let method = c
        .delete(format!("{}/healthz", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(method.status(), 404);

    let token = login(&t.base, "sam").await;
    let me: Value = c
        .get(format!("{}/me", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["identity"]["username"], "sam");
    assert_eq!(me["identity"]["roles"], json!(["supervisor"]));
    let users: Value = c
        .get(format!("{}/users?online=false", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["users"].as_array().map(Vec::len), Some(5));
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn the_demo_accounts_have_their_tiers_and_roles() {
    let t = spawn(true).await;
    let c = http();
    for (user, tier, roles) in [
        ("admin", "T3", json!(["supervisor", "admin"])),
        ("sam", "T2", json!(["supervisor"])),
        ("alice", "T1", json!([])),
        ("bob", "T2", json!([])),
        ("carol", "T3", json!([])),
    ] {
        let token = login(&t.base, user).await;
        let me: Value = c
            .get(format!("{}/me", t.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["identity"]["tier"], tier, "{user}");
        let mut got: Vec<String> = serde_json::from_value(me["identity"]["roles"].clone()).unwrap();
        let mut want: Vec<String> = serde_json::from_value(roles).unwrap();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{user}");
    }
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn a_restart_on_the_same_folder_keeps_accounts_and_tokens() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let TestGateway { gateway, dir, .. } = t;
    gateway.shutdown().await;

    let t = spawn_in(dir, false).await;
    // Same signing secret from the data folder: the old token still works.
    let me = http()
        .get(format!("{}/me", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    login(&t.base, "alice").await;
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_open_sockets() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let mut socket = connect_bearer(&t.ws_url, &token).await;
    let shutdown = tokio::spawn(t.gateway.shutdown());
    assert!(closed_by_server(&mut socket).await);
    tokio::time::timeout(std::time::Duration::from_secs(20), shutdown)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn startup_errors_are_reported_not_panicked() {
    // A data folder that is a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = start(GatewayConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        file.clone(),
    ))
    .await
    .err()
    .expect("fails");
    assert!(format!("{err:#}").contains("data folder"), "{err:#}");

    // A port in use.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = busy.local_addr().unwrap();
    let err = start(GatewayConfig::new(addr, dir.path().join("a")))
        .await
        .err()
        .expect("fails");
    assert!(format!("{err:#}").contains("cannot listen"), "{err:#}");

    // TLS files that do not exist or are not PEM.
    let mut config = GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().join("b"));
    config.tls = Some((
        dir.path().join("missing.pem"),
        dir.path().join("missing.key"),
    ));
    let err = start(config.clone()).await.err().expect("fails");
    assert!(format!("{err:#}").contains("missing.pem"), "{err:#}");
    std::fs::write(dir.path().join("missing.pem"), "garbage").unwrap();
    std::fs::write(dir.path().join("missing.key"), "garbage").unwrap();
    let err = start(config).await.err().expect("fails");
    assert!(format!("{err:#}").contains("TLS"), "{err:#}");
}

#[tokio::test]
async fn tls_serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !matches!(made, Ok(ref o) if o.status.success()) {
        eprintln!("openssl not available; TLS serving not exercised");
        return;
    }
    let mut config = GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().join("data"));
    config.tls = Some((cert, key));
    let gateway = start(config).await.expect("TLS gateway starts");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let health: Value = client
        .get(format!("https://{}/healthz", gateway.local_addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let addr = std::fs::read_to_string(dir.path().join("data").join("gateway.addr")).unwrap();
    assert!(addr.starts_with("https://"), "{addr}");
    gateway.shutdown().await;
}
