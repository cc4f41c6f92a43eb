//! `test.echo`: a made-up action that exists only in chat-core's unit-test build
//! (`cfg(test)`). It shows what adding an action takes: this file (request, reply, use
//! case; the tests below), one line in the registry (plus the `use` of its two types)
//! and the `mod` line in `service`. Nothing else: parsing, dispatch, the caller check
//! and the generated descriptions come from the registry line. A unit-test build, not
//! a cargo feature, so CI runs it without compiling chat-core a second time.

use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct TestEcho {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct EchoReply {
    pub text: String,
}

impl UseCase for TestEcho {
    type Reply = EchoReply;
    async fn run(self, _: &App, _: &Caller<'_>) -> CoreResult<EchoReply> {
        Ok(EchoReply { text: self.text })
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::registry::{ACTION_NAMES, ACTIONS, Callers, parse_reply_example};
    use crate::protocol::{ClientAction, ParsedFrame, parse_frame};
    use crate::testkit::harness::{T1, TestApp};
    use serde_json::json;

    #[test]
    fn it_is_in_the_registry() {
        let spec = ACTIONS
            .iter()
            .find(|a| a.name == "test.echo")
            .expect("test.echo in ACTIONS");
        assert_eq!(spec.callers, Callers::Employees);
        assert!(spec.rate_limited);
        assert_eq!(spec.request, "TestEcho");
        assert_eq!(spec.reply, "EchoReply");
        assert!(ACTION_NAMES.contains(&"test.echo"));
        parse_reply_example(spec.name, spec.reply_example).expect("its reply example parses");
    }

    #[test]
    fn it_parses_like_any_action() {
        let ParsedFrame::Request { action, .. } =
            parse_frame(r#"{"action":"test.echo","requestId":"r","text":"hi","extra":1}"#)
        else {
            panic!("expected a request");
        };
        let action = action.expect("parses");
        assert_eq!(action.name(), "test.echo");
        assert!(matches!(action, ClientAction::TestEcho(ref e) if e.text == "hi"));

        let ParsedFrame::Request { action, .. } =
            parse_frame(r#"{"action":"test.echo","requestId":"r"}"#)
        else {
            panic!("expected a request");
        };
        let err = action.expect_err("text is required");
        assert!(
            err.public_message()
                .starts_with("invalid test.echo request"),
            "{}",
            err.public_message()
        );
    }

    #[tokio::test]
    async fn an_employee_gets_the_echo_through_the_real_dispatch() {
        let t = TestApp::new();
        let alice = t.employee("alice", T1, &[]).await;
        let conn = t.connect(&alice).await;
        let data = t.ok(&conn, "test.echo", json!({"text": "hello"})).await;
        assert_eq!(data, json!({"text": "hello"}));
    }

    #[tokio::test]
    async fn a_guest_is_refused_by_the_registry_callers() {
        let t = TestApp::new();
        let room = t.solo_room_with_guest("alice", "Dana").await;
        let code = t
            .refused(&room.guest_conn, "test.echo", json!({"text": "hello"}))
            .await;
        assert_eq!(code, "forbidden");
        // The employee of the same room is not.
        let data = t
            .ok(&room.employee_conn, "test.echo", json!({"text": "x"}))
            .await;
        assert_eq!(data["text"], "x");
    }
}
