//! docs/PROTOCOL.md's WebSocket tables against the code. The prose explains; the action
//! registry and the event list decide. A row that names an action the server does not
//! have, misses one it has, or says another kind of caller may use it fails here (the
//! HTTP table is checked against the OpenAPI document in chat-local's tests).

use std::collections::BTreeSet;
use std::path::Path;

use chat_core::protocol::registry::ACTIONS;

fn protocol_md() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).expect("docs/PROTOCOL.md")
}

/// The rows (cells, trimmed) of the Markdown table whose header row starts with `header`.
fn table(doc: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = doc.lines().skip_while(|l| !l.starts_with(header));
    assert!(
        lines.next().is_some(),
        "PROTOCOL.md has no table headed {header:?}"
    );
    lines
        .skip(1) // the |---| line
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The `backticked` names at the start of a cell: "`a` / `b`" → [a, b].
fn names(cell: &str) -> Vec<String> {
    cell.split('/')
        .filter_map(|part| {
            let part = part.trim();
            part.strip_prefix('`')?
                .strip_suffix('`')
                .map(str::to_string)
        })
        .collect()
}

/// The registry's caller class as the prose's "who" column says it.
fn prose_callers(who: &str) -> &'static str {
    let first = who.split_whitespace().next().unwrap_or("");
    match first {
        "employee" => "employees",
        "supervisor" => "supervisors",
        "guest" => "guests",
        _ => "anyone",
    }
}

#[test]
fn the_action_table_lists_every_registry_action_with_its_callers() {
    let doc = protocol_md();
    let rows = table(&doc, "| action | who |");
    let mut in_prose = BTreeSet::new();
    for row in &rows {
        for name in names(&row[0]) {
            let spec = ACTIONS
                .iter()
                .find(|s| s.name == name)
                .unwrap_or_else(|| panic!("PROTOCOL.md lists `{name}`, which the server lacks"));
            let declared = spec.callers.as_str().to_string();
            assert_eq!(
                prose_callers(&row[1]),
                declared,
                "PROTOCOL.md says `{name}` is for {:?}; the registry says {declared}",
                row[1]
            );
            in_prose.insert(name);
        }
    }
    let in_code: BTreeSet<String> = ACTIONS.iter().map(|s| s.name.to_string()).collect();
    let missing: Vec<_> = in_code.difference(&in_prose).collect();
    assert!(
        missing.is_empty(),
        "PROTOCOL.md's action table lacks {missing:?}"
    );
}

#[cfg(feature = "schema")]
#[test]
fn the_event_table_lists_every_event() {
    use chat_core::api_description::event_examples::EVENTS;
    let doc = protocol_md();
    let in_prose: BTreeSet<String> = table(&doc, "| `type` | fields |")
        .iter()
        .flat_map(|row| names(&row[0]))
        .collect();
    let in_code: BTreeSet<String> = EVENTS.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(
        in_prose, in_code,
        "PROTOCOL.md's event table differs from the server's events"
    );
}
