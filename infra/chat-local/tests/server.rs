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
    let health: Value = c.get(format!("{}/healthz", t.base)).json_body().await;
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
        .json_body()
        .await;
    assert_eq!(me["identity"]["username"], "sam");
    assert_eq!(me["identity"]["roles"], json!(["supervisor"]));
    let users: Value = c
        .get(format!("{}/users?online=false", t.base))
        .bearer_auth(&token)
        .json_body()
        .await;
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
            .json_body()
            .await;
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
        .json_body()
        .await;
    assert_eq!(health["status"], "ok");
    let addr = std::fs::read_to_string(dir.path().join("data").join("gateway.addr")).unwrap();
    assert!(addr.starts_with("https://"), "{addr}");
    gateway.shutdown().await;
}

/// `(status, JSON body)` of an HTTP request to the gateway.
async fn fetch(
    method: &str,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_route_prefix_reaches_its_function_and_invites_expire_on_the_configured_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf());
    config.demo = true;
    config.settings.invite_ttl = chrono::Duration::seconds(1);
    let gateway = start(config).await.unwrap();
    let base = format!("http://{}", gateway.local_addr());
    let ws_url = format!("ws://{}/ws", gateway.local_addr());

    let admin = login(&base, "admin").await;
    let alice = login(&base, "alice").await;
    let (status, queues) = fetch(
        "GET",
        format!("{base}/supervisor/queues"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, queues["queues"].as_array().map(Vec::len)),
        (200, Some(3))
    );
    let (status, users) = fetch("GET", format!("{base}/admin/users"), Some(&admin), None).await;
    assert_eq!(
        (status, users["users"].as_array().map(Vec::len)),
        (200, Some(5))
    );
    let (status, _) = fetch(
        "GET",
        format!("{base}/supervisor/rooms?status=all"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 403);
    for path in ["/supervisor/", "/admin", "/admin/nothing"] {
        let (status, body) = fetch("GET", format!("{base}{path}"), Some(&admin), None).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (404, &json!("not_found")),
            "{path}"
        );
    }

    let mut socket = connect_bearer(&ws_url, &alice).await;
    let created = call(
        &mut socket,
        "room.create",
        "c",
        json!({"kind": "solo", "title": "Form help"}),
    )
    .await;
    let room = created["data"]["room"]["id"].as_str().unwrap().to_string();
    let invite = json!({"roomId": room});
    let reply = call(&mut socket, "room.inviteGuest", "i1", invite.clone()).await;
    let code = reply["data"]["inviteCode"].as_str().unwrap().to_string();
    let guest = json!({"inviteCode": code, "displayName": "Casey"});
    let (status, body) = fetch(
        "POST",
        format!("{base}/auth/guest"),
        None,
        Some(guest.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["identity"]["kind"], &body["roomId"]),
        (&json!("guest"), &json!(room))
    );
    let (status, _) = fetch("POST", format!("{base}/auth/guest"), None, Some(guest)).await;
    assert_eq!(status, 401, "a code works once");

    let reply = call(&mut socket, "room.inviteGuest", "i2", invite).await;
    let late = json!({"inviteCode": reply["data"]["inviteCode"], "displayName": "Casey"});
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = fetch("POST", format!("{base}/auth/guest"), None, Some(late)).await;
    assert_eq!(status, 401, "an expired code is refused");
    drop(socket);
    gateway.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_data_folder_the_gateway_creates_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("fresh").join("data");
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let gateway = start(GatewayConfig::new(addr, data_dir.clone()))
        .await
        .unwrap();
    let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777;
    gateway.shutdown().await;
    assert_eq!(mode, 0o700, "password hashes and the signing key live here");
}

/// Slowloris: a client that trickles its request headers, or connects and says nothing,
/// is disconnected once the header-read timeout passes, while a normal request on
/// another connection is served meanwhile.
#[tokio::test]
async fn slow_clients_are_cut_off_after_the_header_read_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut config = GatewayConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
    config.header_read_timeout = std::time::Duration::from_millis(700);
    let gateway = start(config).await.unwrap();
    let addr = gateway.local_addr();

    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut trickler = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = tokio::time::Instant::now();
    for part in ["GET /healthz HTTP/1.1\r\n", "Host: x\r\n", "X-Slow: 1\r\n"] {
        trickler.write_all(part.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // Meanwhile the server still serves others.
    let ok = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    for (what, socket) in [("silent", &mut silent), ("trickling", &mut trickler)] {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            socket.read_to_end(&mut buf),
        )
        .await;
        assert!(
            matches!(read, Ok(Ok(_)) | Ok(Err(_))),
            "the {what} connection was still open after {:?}",
            started.elapsed()
        );
        // Whatever was sent (a 408, or nothing), no request was served.
        assert!(!String::from_utf8_lossy(&buf).contains("\"ok\""), "{what}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    gateway.shutdown().await;
}

/// The web client: its pages, its hashed assets, their caching and security headers,
/// and that serving it takes nothing away from the API's own answers.
#[tokio::test]
async fn the_gateway_serves_the_web_client() {
    let t = spawn(false).await;
    let c = http();
    let mut script = None;
    for page in ["/", "/join"] {
        let resp = c.get(format!("{}{page}", t.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{page}");
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], "text/html", "{page}");
        assert_eq!(h["cache-control"], "no-cache");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let html = resp.text().await.unwrap();
        assert!(html.contains("<div id=\"app\">"), "{page}");
        script = html
            .split('"')
            .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
            .map(str::to_string);

        // The page's ETag turns a reload into a 304.
        let again = c
            .get(format!("{}{page}", t.base))
            .header("if-none-match", h["etag"].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{page}");
    }

    let script = script.expect("index.html names its script");
    let resp = c
        .get(format!("{}{script}", t.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/javascript");
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );

    let config: Value = c.get(format!("{}/config.json", t.base)).json_body().await;
    assert_eq!(
        config,
        json!({}),
        "same origin: the client's defaults stand"
    );

    // Unknown assets and paths still get the protocol's JSON 404, and the API answers.
    for path in ["/assets/nope.js", "/assets/../Cargo.toml", "/no-such-page"] {
        let resp = c.get(format!("{}{path}", t.base)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let health = c.get(format!("{}/healthz", t.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    t.gateway.shutdown().await;
}
