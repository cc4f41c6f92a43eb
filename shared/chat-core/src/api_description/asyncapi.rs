//! The AsyncAPI 3.0 description of the WebSocket API, built from the code: the action
//! registry ([`crate::protocol::registry::ACTIONS`]) gives every operation, its request
//! and reply messages, who may call it and its examples; the wire types' `ToSchema`
//! derives give every payload schema; [`super::event_examples`] gives the events.
//!
//! `docs/asyncapi.yaml` is this document, committed; a test regenerates it and fails on
//! any difference, so the file cannot drift from the server (run that test with
//! `UPDATE_API_DESCRIPTIONS=1` to rewrite it).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::event_examples::{ERROR_FRAME_EXAMPLE, ERROR_REPLY_EXAMPLE, EVENTS};
use crate::error::ErrorDetail;
use crate::protocol::events::ServerEvent;
use crate::protocol::frame::MAX_REQUEST_ID_LEN;
use crate::protocol::registry::{ACTIONS, ActionSpec};
use crate::service::Limits;

const CHANNEL: &str = "chat";

/// The whole document, as JSON (YAML is a superset; the committed file is its YAML).
pub fn document(version: &str) -> Value {
    let schemas = component_schemas();
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operations = Map::new();

    for spec in ACTIONS {
        let request = format!("{}.request", spec.name);
        let reply = format!("{}.reply", spec.name);
        messages.insert(request.clone(), request_message(spec));
        messages.insert(reply.clone(), reply_message(spec));
        for key in [&request, &reply] {
            channel_messages.insert(key.clone(), message_ref(key));
        }
        operations.insert(
            spec.name.to_string(),
            action_operation(spec, &request, &reply),
        );
    }
    messages.insert("reply.error".into(), error_reply_message());
    messages.insert("error".into(), error_frame_message());
    for key in ["reply.error", "error"] {
        channel_messages.insert(key.into(), message_ref(key));
    }
    for event in EVENTS {
        messages.insert(event.name.to_string(), event_message(event));
        channel_messages.insert(event.name.to_string(), message_ref(event.name));
        operations.insert(
            format!("receive.{}", event.name),
            json!({
                "action": "receive",
                "channel": { "$ref": format!("#/channels/{CHANNEL}") },
                "summary": event.summary,
                "description": format!("Sent to {}.", event.audience),
                "messages": [{ "$ref": format!("#/channels/{CHANNEL}/messages/{}", event.name) }],
            }),
        );
    }
    operations.insert(
        "receive.error".into(),
        json!({
            "action": "receive",
            "channel": { "$ref": format!("#/channels/{CHANNEL}") },
            "summary": "A frame that is not a JSON object with a usable requestId was refused.",
            "messages": [{ "$ref": format!("#/channels/{CHANNEL}/messages/error") }],
        }),
    );

    json!({
        "asyncapi": "3.0.0",
        "info": info(version),
        "defaultContentType": "application/json",
        "servers": servers(),
        "channels": {
            CHANNEL: {
                "address": "/",
                "title": "The chat socket",
                "description": "One socket per client. Every action goes up it; replies and events come down it.",
                "messages": channel_messages,
            }
        },
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": security_schemes(),
        },
    })
}

/// The document as YAML with every mapping's keys sorted. serde_json keeps insertion
/// order when some crate in the build enables its `preserve_order` feature and sorts
/// otherwise, so the committed file must not depend on which crates were built with it.
pub fn to_yaml(doc: &Value) -> Result<String, serde_norway::Error> {
    serde_norway::to_string(&Sorted(doc))
}

/// Serializes a JSON value with its object keys in sorted order, whatever map type
/// serde_json was built with.
struct Sorted<'a>(&'a Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                let mut out = serializer.serialize_map(Some(sorted.len()))?;
                for (key, value) in sorted {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            leaf => leaf.serialize(serializer),
        }
    }
}

fn info(version: &str) -> Value {
    let limits = Limits::default();
    json!({
        "title": "iStackBuddy Chat WebSocket API",
        "version": version,
        "description": format!(
            "Client → server frames are `{{\"action\": \"<name>\", \"requestId\": \"<client-chosen>\", …fields}}`. \
             Every frame with a `requestId` (1–{MAX_REQUEST_ID_LEN} characters) gets exactly one reply, \
             `{{\"type\":\"reply\",\"requestId\",\"ok\":true,\"data\"}}` or `ok:false` with `error`, except during a \
             flood (below). A frame that is not a JSON object gets an `error` frame; the socket stays open.\n\n\
             Limits (defaults; configurable): a frame is at most {frame} bytes and message text at most {text} bytes \
             (`payload_too_large`); each connection may make {rate} actions/s sustained with a burst of {burst}, \
             counted for every frame before it is parsed (`rate_limited`; past as many refusals a second as the \
             limit, frames are dropped unanswered); each user {user} actions/s across all sockets (for actions \
             marked rate limited); at most {sockets} open sockets per user (the handshake answers 429); a history \
             page holds at most {history} messages.\n\n\
             Keep-alive: send `ping` (API Gateway closes idle sockets after 10 minutes and every socket after \
             2 hours). After a reconnect, resume each room with `history.get` and `afterSeq`.\n\n\
             Each operation says who may call it (`x-callers`) and whether it draws on the per-user budget \
             (`x-rate-limited`). Room-level rules (membership, restricted rooms) are in its description. \
             The HTTP API is described by OpenAPI 3.1 at `GET /openapi.json`.",
            frame = limits.frame_bytes,
            text = limits.text_bytes,
            rate = limits.actions_per_second,
            burst = limits.burst,
            user = limits.user_actions_per_second,
            sockets = limits.max_connections_per_user,
            history = limits.history_max,
        ),
        "x-limits": {
            "frameBytes": limits.frame_bytes,
            "textBytes": limits.text_bytes,
            "actionsPerSecondPerConnection": limits.actions_per_second,
            "burstPerConnection": limits.burst,
            "actionsPerSecondPerUser": limits.user_actions_per_second,
            "socketsPerUser": limits.max_connections_per_user,
            "historyPageMax": limits.history_max,
            "requestIdMaxLength": MAX_REQUEST_ID_LEN,
        },
    })
}

fn servers() -> Value {
    let security = json!([
        { "$ref": "#/components/securitySchemes/bearer" },
        { "$ref": "#/components/securitySchemes/ticket" },
    ]);
    json!({
        "local": {
            "host": "127.0.0.1:8080",
            "pathname": "/ws",
            "protocol": "ws",
            "description": "chat-local, the one-process gateway (README's first command).",
            "security": security,
        },
        "aws": {
            "host": "{apiId}.execute-api.{region}.amazonaws.com",
            "pathname": "/{stage}",
            "protocol": "wss",
            "description": "API Gateway WebSocket API of a SAM deployment (the stack's WebSocketUrl output).",
            "variables": {
                "apiId": { "description": "The WebSocket API's id." },
                "region": { "default": "us-east-1" },
                "stage": { "default": "prod" },
            },
            "security": security,
        },
    })
}

fn security_schemes() -> Value {
    json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <token>` on the handshake, the token from `POST /auth/login` or `POST /auth/guest`. A bad token fails the handshake with HTTP 401.",
        },
        "ticket": {
            "type": "httpApiKey",
            "name": "ticket",
            "in": "query",
            "description": "`?ticket=<ticket>` for browsers, which cannot set headers on a WebSocket: a single-use ticket from `POST /auth/ws-ticket`, valid for at most 60 s. A browser Origin outside the allowlist fails the handshake with 403.",
        },
    })
}

fn message_ref(key: &str) -> Value {
    json!({ "$ref": format!("#/components/messages/{key}") })
}

fn callers(spec: &ActionSpec) -> String {
    spec.callers.as_str().to_string()
}

fn action_operation(spec: &ActionSpec, request: &str, reply: &str) -> Value {
    let channel = json!({ "$ref": format!("#/channels/{CHANNEL}") });
    json!({
        "action": "send",
        "channel": channel,
        "summary": spec.summary,
        "description": format!(
            "Who may call: {}. Draws on the per-user rate budget: {}.",
            callers(spec),
            if spec.rate_limited { "yes" } else { "no" }
        ),
        "x-callers": callers(spec),
        "x-rate-limited": spec.rate_limited,
        "messages": [{ "$ref": format!("#/channels/{CHANNEL}/messages/{request}") }],
        "reply": {
            "channel": channel,
            "messages": [
                { "$ref": format!("#/channels/{CHANNEL}/messages/{reply}") },
                { "$ref": format!("#/channels/{CHANNEL}/messages/reply.error") },
            ],
        },
    })
}

fn parse_example(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| {
        // The example test reports which one; the document keeps the raw text.
        Value::String(format!("invalid example ({e}): {text}"))
    })
}

fn request_message(spec: &ActionSpec) -> Value {
    let envelope = json!({
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": { "type": "string", "const": spec.name },
            "requestId": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_REQUEST_ID_LEN,
                "description": "Client-chosen; echoed in the one reply. Without it the action still runs but gets no reply.",
            },
        },
    });
    let payload = if spec.request.is_empty() {
        envelope
    } else {
        json!({ "allOf": [schema_ref(spec.request), envelope] })
    };
    json!({
        "name": spec.name,
        "title": format!("{} request", spec.name),
        "summary": spec.summary,
        "payload": payload,
        "examples": [{ "name": spec.name, "payload": parse_example(spec.example) }],
    })
}

fn reply_message(spec: &ActionSpec) -> Value {
    let data = parse_example(spec.reply_example);
    json!({
        "name": format!("{}.reply", spec.name),
        "title": format!("{} reply", spec.name),
        "summary": format!("The successful reply to `{}`.", spec.name),
        "payload": {
            "type": "object",
            "required": ["type", "requestId", "ok", "data"],
            "properties": {
                "type": { "type": "string", "const": "reply" },
                "requestId": { "type": "string" },
                "ok": { "type": "boolean", "const": true },
                "data": schema_ref(spec.reply),
            },
        },
        "examples": [{
            "name": format!("{}.reply", spec.name),
            "payload": { "type": "reply", "requestId": "r-1", "ok": true, "data": data },
        }],
    })
}

fn error_reply_message() -> Value {
    json!({
        "name": "reply.error",
        "title": "Refused request",
        "summary": "The reply to any request that failed: the error code says why (PROTOCOL §1).",
        "payload": {
            "type": "object",
            "required": ["type", "requestId", "ok", "error"],
            "properties": {
                "type": { "type": "string", "const": "reply" },
                "requestId": { "type": "string" },
                "ok": { "type": "boolean", "const": false },
                "error": schema_ref("ErrorDetail"),
            },
        },
        "examples": [{ "name": "forbidden", "payload": parse_example(ERROR_REPLY_EXAMPLE) }],
    })
}

fn error_frame_message() -> Value {
    json!({
        "name": "error",
        "title": "Error frame",
        "summary": "A frame that could not be read as a request (not JSON, not an object, a bad requestId, or a refusal without a requestId).",
        "payload": {
            "type": "object",
            "required": ["type", "error"],
            "properties": {
                "type": { "type": "string", "const": "error" },
                "error": schema_ref("ErrorDetail"),
            },
        },
        "examples": [{ "name": "not-json", "payload": parse_example(ERROR_FRAME_EXAMPLE) }],
    })
}

fn event_message(event: &super::event_examples::EventSpec) -> Value {
    json!({
        "name": event.name,
        "title": event.name,
        "summary": event.summary,
        "payload": schema_ref(&event_schema_name(event.name)),
        "examples": [{ "name": event.name, "payload": parse_example(event.example) }],
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The component name of one event's payload: `ServerEvent`'s variant for that `type`.
fn event_schema_name(event: &str) -> String {
    let mut name = String::from("Event");
    for part in event.split('.') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// Every schema the document names: the registry's request and reply types with what
/// they reference, the error detail, and one schema per event (split out of the
/// `ServerEvent` union by its `type` tag).
fn component_schemas() -> BTreeMap<String, Value> {
    let mut found: Vec<(String, RefOr<Schema>)> = Vec::new();
    crate::protocol::registry::action_schemas(&mut found);
    collect::<ErrorDetail>(&mut found);
    collect::<ServerEvent>(&mut found);
    let mut schemas: BTreeMap<String, Value> = found
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or(Value::Null)))
        .collect();
    if let Some(union) = schemas.get("ServerEvent").cloned() {
        for variant in union_variants(&union) {
            if let Some(tag) = tag_of(&variant) {
                schemas.insert(event_schema_name(&tag), variant);
            }
        }
    }
    schemas
}

fn collect<T: utoipa::ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

fn union_variants(union: &Value) -> Vec<Value> {
    ["oneOf", "anyOf"]
        .iter()
        .find_map(|k| union.get(k).and_then(Value::as_array))
        .cloned()
        .unwrap_or_default()
}

/// The constant `type` of one variant of a tagged union schema.
pub(crate) fn tag_of(variant: &Value) -> Option<String> {
    let parts = match variant.get("allOf").and_then(Value::as_array) {
        Some(parts) => parts.clone(),
        None => vec![variant.clone()],
    };
    parts.iter().find_map(|part| {
        let tag = part.get("properties")?.get("type")?;
        tag.get("const")
            .or_else(|| tag.get("enum").and_then(|e| e.get(0)))
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keys_come_out_sorted_whatever_the_insertion_order() {
        let mut map = Map::new();
        map.insert("zeta".into(), json!(1));
        map.insert("alpha".into(), json!({"y": [{"b": 1, "a": 2}], "x": true}));
        let yaml = to_yaml(&Value::Object(map)).unwrap();
        assert_eq!(
            yaml,
            "alpha:\n  x: true\n  y:\n  - a: 2\n    b: 1\nzeta: 1\n"
        );
    }

    #[test]
    fn event_components_are_named_after_their_type() {
        assert_eq!(event_schema_name("message.created"), "EventMessageCreated");
        assert_eq!(event_schema_name("pong"), "EventPong");
    }

    #[test]
    fn every_event_variant_gets_its_own_schema() {
        let schemas = component_schemas();
        for event in EVENTS {
            let name = event_schema_name(event.name);
            assert!(
                schemas.contains_key(&name),
                "no schema {name} for {}",
                event.name
            );
        }
    }
}
