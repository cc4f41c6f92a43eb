//! Raw frame → action.
//!
//! Parsing happens in two steps so that a frame with a valid `requestId` but bad fields
//! still gets a *reply* (with that `requestId`) rather than an anonymous error: first the
//! frame must be a JSON object (else [`ParsedFrame::Garbage`]); then its `action` and
//! fields are decoded.

use serde_json::Value;

use crate::error::CoreError;
use crate::protocol::actions::{ACTION_NAMES, ClientAction};

/// Longest `requestId` echoed back; longer ones are a bad request.
pub const MAX_REQUEST_ID_LEN: usize = 128;

#[derive(Debug)]
pub enum ParsedFrame {
    /// Not a JSON object: answered with `{"type":"error"}`.
    Garbage(CoreError),
    /// A JSON object: `request_id` (if any) and the decoded action or why it failed.
    Request {
        request_id: Option<String>,
        action: Result<ClientAction, CoreError>,
    },
}

pub fn parse_frame(raw: &str) -> ParsedFrame {
    let value: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return ParsedFrame::Garbage(CoreError::bad_request("a frame must be a JSON object"));
        }
        Err(e) => {
            return ParsedFrame::Garbage(CoreError::bad_request(format!(
                "frame is not valid JSON: {e}"
            )));
        }
    };
    let request_id = match value.get("requestId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_REQUEST_ID_LEN => Some(s.clone()),
        Some(_) => {
            return ParsedFrame::Garbage(CoreError::bad_request(format!(
                "requestId must be a string of 1..={MAX_REQUEST_ID_LEN} characters"
            )));
        }
    };
    let action = decode_action(value);
    ParsedFrame::Request { request_id, action }
}

fn decode_action(value: Value) -> Result<ClientAction, CoreError> {
    let name = match value.get("action") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(CoreError::bad_request("action must be a string")),
        None => return Err(CoreError::bad_request("missing action")),
    };
    if !ACTION_NAMES.contains(&name.as_str()) {
        return Err(CoreError::bad_request(format!("unknown action {name:?}")));
    }
    serde_json::from_value(value)
        .map_err(|e| CoreError::bad_request(format!("invalid {name} request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn garbage_is_not_a_request() {
        assert!(matches!(parse_frame("not json"), ParsedFrame::Garbage(_)));
        assert!(matches!(parse_frame("[1,2]"), ParsedFrame::Garbage(_)));
        assert!(matches!(
            parse_frame("{\"requestId\": 5}"),
            ParsedFrame::Garbage(_)
        ));
    }

    #[test]
    fn bad_fields_keep_the_request_id() {
        let ParsedFrame::Request { request_id, action } =
            parse_frame(r#"{"action":"room.get","requestId":"r1"}"#)
        else {
            panic!("expected a request");
        };
        assert_eq!(request_id.as_deref(), Some("r1"));
        assert_eq!(action.unwrap_err().code(), ErrorCode::BadRequest);
    }

    #[test]
    fn unknown_action_is_a_typed_bad_request() {
        let ParsedFrame::Request { action, .. } =
            parse_frame(r#"{"action":"fly","requestId":"r"}"#)
        else {
            panic!("expected a request");
        };
        let err = action.unwrap_err();
        assert!(err.public_message().contains("unknown action"));
    }

    #[test]
    fn a_valid_send_decodes() {
        let ParsedFrame::Request { action, .. } = parse_frame(
            r#"{"action":"message.send","requestId":"r","roomId":"room_1","clientMsgId":"c1","text":"hi"}"#,
        ) else {
            panic!("expected a request");
        };
        assert!(matches!(action, Ok(ClientAction::MessageSend(_))));
    }
}
