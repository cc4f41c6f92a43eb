//! Generators for the parser fuzz tests (`tests/parsers.rs`).
//!
//! Random bytes alone rarely get past a JSON parser, so besides arbitrary text these
//! build JSON that looks like our inputs — objects with the real action names and field
//! names, holding values of every JSON type, nested — so that the typed decoders and
//! the validation behind them see hostile *shapes*, not just hostile bytes.
//!
//! How many cases each property runs: `FUZZ_CASES` (default [`DEFAULT_CASES`], what CI
//! runs); `FUZZ_CASES=1000000` for the long run recorded in `docs/security.md`.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Cases per property when `FUZZ_CASES` is unset.
pub const DEFAULT_CASES: u32 = 10_000;

/// The configured number of cases.
pub fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Field names our requests use, plus a few that none does.
const FIELDS: &[&str] = &[
    "action",
    "requestId",
    "roomId",
    "text",
    "clientMsgId",
    "visibility",
    "kind",
    "title",
    "issue",
    "customerName",
    "formId",
    "userId",
    "afterSeq",
    "beforeSeq",
    "limit",
    "replyTo",
    "displayName",
    "username",
    "password",
    "inviteCode",
    "tier",
    "roles",
    "enabled",
    "revokeTokens",
    "avatarFileId",
    "__proto__",
    "",
];

/// Strings a parser may mishandle: empty, huge, control and format characters,
/// numbers in text, our own enum words, and anything at all.
pub fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{202E}\u{200B}\u{0000}\u{FEFF}".to_string()),
        Just("x".repeat(40_000)),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        prop::sample::select(vec![
            "group",
            "solo",
            "everyone",
            "employees",
            "T1",
            "T4",
            "admin",
            "supervisor",
            "room.create",
            "message.send",
        ])
        .prop_map(str::to_string),
        any::<String>(),
        "\\PC{0,40}",
    ]
}

/// Any JSON value, nested a few levels.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        nasty_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
    ]
}

/// An object shaped like a request: some of our field names, any values, and usually
/// a real action name.
pub fn request_object(actions: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            4 => prop::sample::select(actions).prop_map(Value::from),
            1 => json_value(),
        ],
        prop_oneof![3 => "[a-z0-9-]{1,16}".prop_map(Value::from), 1 => json_value()],
        prop::collection::vec((field_name(), json_value()), 0..8),
    )
        .prop_map(|(action, request_id, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().collect();
            object.insert("action".into(), action);
            object.insert("requestId".into(), request_id);
            Value::Object(object)
        })
}

/// A frame or body as text: a request-shaped object, any JSON, or any text at all.
pub fn text_input(actions: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => request_object(actions).prop_map(|v| v.to_string()),
        1 => json_value().prop_map(|v| v.to_string()),
        1 => nasty_string(),
    ]
}
