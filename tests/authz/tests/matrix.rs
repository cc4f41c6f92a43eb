//! Runs every cell of the authorization matrix against the real handlers and checks
//! `docs/permissions.md` is the rendering of the same table.
//!
//! Each cell gets a fresh fixture (in-memory adapters, cheap hashing), so a cell's
//! side effects (a member removed, a room left) never leak into the next one.

use std::path::PathBuf;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::http::{HeaderValue, Method};
use chat_authz::actors::{Actor, Fixture};
use chat_authz::cases::{self, Call, Case};
use chat_authz::render;
use chat_core::ids::ConnectionId;
use chat_core::protocol::registry::{self, ACTIONS};
use serde_json::Value;

/// What a caller got: allowed, or refused with a code.
#[derive(Debug, PartialEq)]
enum Outcome {
    Allowed,
    Refused(String),
}

async fn run_http(f: &Fixture, actor: Actor, case: &Case) -> Outcome {
    let Call::Http {
        method,
        path,
        body,
        bearer,
    } = &case.call
    else {
        unreachable!("an HTTP case")
    };
    let path = path(f);
    let body = body(f, actor);
    let body = body.map(|b| b.to_string());
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let mut req = chat_http::testkit::request(method, &path, body.as_deref());
    if *bearer {
        req = chat_http::testkit::with_token(req, f.token(actor));
    }
    // The same routing as API Gateway's routes (and the local gateway's table).
    let resp = if path.starts_with("/supervisor/") {
        fn_supervisor_api::handle(&f.t.app, req).await
    } else if path.starts_with("/admin/") {
        fn_admin_api::handle(&f.t.app, req).await
    } else if path == "/files" || path.starts_with("/files/") {
        fn_files::handle(&f.t.app, req).await
    } else {
        fn_auth::handle(&f.t.app, req).await
    };
    if (200..300).contains(&resp.status_code) {
        Outcome::Allowed
    } else {
        Outcome::Refused(resp.status_code.to_string())
    }
}

fn ws_event(
    connection: &str,
    route: &str,
    token: &str,
    body: Option<String>,
) -> ApiGatewayWebsocketProxyRequest {
    let mut e = ApiGatewayWebsocketProxyRequest::default();
    e.request_context.connection_id = Some(connection.to_string());
    e.request_context.route_key = Some(route.to_string());
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
        e.headers.insert("authorization", v);
    }
    e.body = body;
    e
}

async fn run_ws(f: &Fixture, actor: Actor, case: &Case) -> Outcome {
    let Call::Ws(frame) = &case.call else {
        unreachable!("a WebSocket case")
    };
    let conn = format!("matrix-{}", actor.heading().replace(' ', "-"));
    let connected =
        fn_ws_connect::handle(&f.t.app, ws_event(&conn, "$connect", f.token(actor), None)).await;
    if connected.status_code != 200 {
        return Outcome::Refused(format!("handshake {}", connected.status_code));
    }
    let mut frame = frame(f);
    frame["requestId"] = Value::from("matrix");
    fn_ws_message::handle(
        &f.t.app,
        ws_event(&conn, "$default", f.token(actor), Some(frame.to_string())),
    )
    .await;
    let Ok(id) = ConnectionId::parse(conn) else {
        return Outcome::Refused("bad connection id".into());
    };
    let reply =
        f.t.push
            .take(&id)
            .into_iter()
            .find(|v| v["type"] == "reply");
    match reply {
        Some(r) if r["ok"] == true => Outcome::Allowed,
        Some(r) => Outcome::Refused(r["error"]["code"].as_str().unwrap_or("?").to_string()),
        None => Outcome::Refused("no reply".into()),
    }
}

/// Also checks that no refusal is an internal error.
#[tokio::test]
async fn every_action_and_route_allows_exactly_the_callers_in_the_table() {
    let mut failures = Vec::new();
    let cases = cases::all();
    for case in &cases {
        for actor in Actor::ALL {
            let f = Fixture::new().await;
            if case.after_conclusion {
                f.conclude_room().await;
            }
            let outcome = match case.call {
                Call::Ws(_) => run_ws(&f, actor, case).await,
                Call::Http { .. } => run_http(&f, actor, case).await,
            };
            let expected_allowed = case.allowed(actor);
            // A refusal must be a client error, never an internal one.
            let ok = match (&outcome, expected_allowed) {
                (Outcome::Allowed, true) => true,
                (Outcome::Refused(code), false) => code != "500" && code != "internal",
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{:<45} {:<22} expected {}, got {:?}",
                    case.name,
                    actor.heading(),
                    if expected_allowed {
                        "allowed"
                    } else {
                        "refused"
                    },
                    outcome
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_permissions_doc_is_the_tested_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md");
    let rendered = render::markdown(&cases::all());
    if std::env::var_os("UPDATE_PERMISSIONS_DOC").is_some() {
        std::fs::write(&path, &rendered)
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/permissions.md is out of date; run UPDATE_PERMISSIONS_DOC=1 cargo test -p chat-authz"
    );
}

/// The matrix has a row for every action of the registry, and no WebSocket row for
/// an action the registry does not have.
#[test]
fn the_matrix_and_the_registry_list_the_same_actions() {
    let cases = cases::all();
    let ws_rows: Vec<&str> = cases
        .iter()
        .filter(|c| matches!(c.call, Call::Ws(_)))
        .map(|c| c.action())
        .collect();
    let mut problems = Vec::new();
    for spec in ACTIONS {
        if !ws_rows.contains(&spec.name) {
            problems.push(format!("{}: in the registry, no matrix row", spec.name));
        }
    }
    for row in &ws_rows {
        if registry::action(row).is_none() {
            problems.push(format!("{row}: a matrix row, not in the registry"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whoever the registry's `callers` refuses (by kind and role, the rule the dispatch
/// applies) is refused in every row of that action.
#[tokio::test]
async fn the_registry_callers_refusals_are_refusals_in_the_matrix() {
    let f = Fixture::new().await;
    let mut problems = Vec::new();
    for case in cases::all() {
        let Call::Ws(_) = case.call else { continue };
        let Some(spec) = registry::action(case.action()) else {
            continue;
        };
        for actor in Actor::ALL {
            let admitted =
                chat_core::policy::may_call(&f.user(actor).identity, spec.callers, spec.name)
                    .is_ok();
            if !admitted && case.allowed(actor) {
                problems.push(format!(
                    "{}: the registry admits only {}, the matrix allows the {}",
                    case.name,
                    spec.callers.as_str(),
                    actor.heading()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
