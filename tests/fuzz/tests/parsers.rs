//! Every parser that takes outside input, fed generated hostile input: nothing panics,
//! nothing answers `internal`, and every refusal uses one of PROTOCOL §1's codes.
//!
//! - WebSocket frames: the bare parser, and the whole `$default` path (rate limit, size,
//!   parse, identity, action) through `App::handle_frame`, where each frame with a
//!   request id gets exactly one reply.
//! - HTTP bodies: every route that reads a JSON body, through the real function
//!   handlers (`fn-auth`, `fn-admin-api`), raw and base64-encoded.
//!
//! `FUZZ_CASES=1000000 cargo test --release -p chat-fuzz` for the long run.

use std::sync::OnceLock;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::Method;
use chat_core::ErrorCode;
use chat_core::protocol::actions::ACTION_NAMES;
use chat_core::protocol::{ParsedFrame, parse_frame};
use chat_core::testkit::harness::{T1, T3, TestApp, test_config};
use chat_fuzz::{cases, text_input};
use chat_http::testkit::{json, request, token, with_token};
use proptest::prelude::*;
use serde_json::Value;

/// Error codes PROTOCOL §1 allows a client to see for bad input; `internal` is not one.
const CLIENT_CODES: &[&str] = &[
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "payload_too_large",
    "guest_alone",
];

/// Words our HTTP bodies use as values; bodies have no `action`, so these stand in for
/// it in the generated objects (an extra field, which the decoders must ignore).
const BODY_WORDS: &[&str] = &["employee", "guest", "T2", "supervisor", "admin"];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// One app for all cases of a property (state accumulates, as in a real process), with
/// rate limits off so the parsers, not the limiter, see every input.
struct World {
    t: TestApp,
    alice: chat_core::ids::ConnectionId,
    alice_token: String,
    admin_token: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        runtime().block_on(async {
            let mut config = test_config();
            config.limits.actions_per_second = 0;
            config.limits.user_actions_per_second = 0;
            let t = TestApp::with_config(config);
            let alice_user = t.employee("alice", T1, &[]).await;
            t.employee("root", T3, &[chat_core::model::Role::Admin])
                .await;
            let alice = t.connect(&alice_user).await;
            let alice_token = token(&t.app, "alice").await;
            let admin_token = token(&t.app, "root").await;
            World {
                t,
                alice,
                alice_token,
                admin_token,
            }
        })
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn assert_client_error(body: &Value, context: &str) {
    let code = body["error"]["code"].as_str().unwrap_or("<none>");
    assert!(
        CLIENT_CODES.contains(&code),
        "{context}: code {code} in {body}"
    );
    assert!(body["error"]["message"].is_string(), "{context}: {body}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_frame_parser_never_panics(raw in text_input(ACTION_NAMES)) {
        match parse_frame(&raw) {
            ParsedFrame::Garbage(e) => prop_assert_eq!(e.code(), ErrorCode::BadRequest),
            ParsedFrame::Request { action: Err(e), .. } => {
                prop_assert_eq!(e.code(), ErrorCode::BadRequest)
            }
            ParsedFrame::Request { action: Ok(action), .. } => {
                prop_assert!(ACTION_NAMES.contains(&action.name()))
            }
        }
    }

    #[test]
    fn every_frame_through_dispatch_gets_at_most_one_typed_reply(raw in text_input(ACTION_NAMES)) {
        let w = world();
        runtime().block_on(w.t.app.handle_frame(&w.alice, &raw));
        let frames = w.t.events(&w.alice);
        let replies: Vec<&Value> = frames.iter().filter(|f| f["type"] == "reply").collect();
        prop_assert!(replies.len() <= 1, "{} replies to {raw:?}", replies.len());
        for reply in replies {
            if reply["ok"] != Value::Bool(true) {
                assert_client_error(reply, &raw);
            }
        }
        for error in frames.iter().filter(|f| f["type"] == "error") {
            assert_client_error(error, &raw);
        }
    }

    #[test]
    fn every_auth_body_is_answered_without_a_server_error(
        raw in text_input(BODY_WORDS),
        base64 in any::<bool>(),
        route in 0usize..3,
    ) {
        let w = world();
        let (method, path, bearer) = match route {
            0 => (Method::POST, "/auth/login", None),
            1 => (Method::POST, "/auth/guest", None),
            _ => (Method::PATCH, "/me/profile", Some(w.alice_token.as_str())),
        };
        let req = body_request(method, path, &raw, base64, bearer);
        let resp = runtime().block_on(fn_auth::handle(&w.t.app, req));
        check_http(resp.status_code, &json(&resp), &raw)?;
    }

    #[test]
    fn every_admin_body_is_answered_without_a_server_error(
        raw in text_input(BODY_WORDS),
        base64 in any::<bool>(),
        patch in any::<bool>(),
    ) {
        let w = world();
        let (method, path) = if patch {
            (Method::PATCH, "/admin/users/usr_does_not_exist")
        } else {
            (Method::POST, "/admin/users")
        };
        let req = body_request(method, path, &raw, base64, Some(&w.admin_token));
        let resp = runtime().block_on(fn_admin_api::handle(&w.t.app, req));
        check_http(resp.status_code, &json(&resp), &raw)?;
    }
}

fn body_request(
    method: Method,
    path: &str,
    raw: &str,
    base64: bool,
    bearer: Option<&str>,
) -> ApiGatewayV2httpRequest {
    let mut req = request(method, path, None);
    if base64 {
        use base64::Engine;
        // As API Gateway hands over a body it considers binary.
        req.body = Some(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()));
        req.is_base64_encoded = true;
    } else {
        req.body = Some(raw.to_string());
    }
    match bearer {
        Some(token) => with_token(req, token),
        None => req,
    }
}

fn check_http(status: i64, body: &Value, raw: &str) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{status} for {raw:?}: {body}");
    if status >= 400 {
        assert_client_error(body, raw);
    }
    Ok(())
}
