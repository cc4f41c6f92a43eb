//! Renders the expected table as `docs/permissions.md`.

use crate::actors::Actor;
use crate::cases::Case;

pub fn markdown(cases: &[Case]) -> String {
    let mut out = String::new();
    out.push_str("# Permissions\n\n");
    out.push_str(
        "Who may use each WebSocket action and HTTP route. Generated from\n\
         `tests/authz/src/cases.rs` by `tests/authz/tests/matrix.rs`, which also runs every\n\
         cell against the real handlers: this table is the tested one. Regenerate with\n\
         `UPDATE_PERMISSIONS_DOC=1 cargo test -p chat-authz`.\n\n\
         ✅ allowed · ⛔ refused (401/403/404, or `forbidden`/`not_found`/`unauthorized` on the\n\
         socket) · ⏳ not built yet: refused for everyone until its issue lands.\n\n\
         Callers: the *member* is an employee in room R; the *non-member* an employee outside\n\
         it; the *guest of the room* was invited to R, the *guest of another room* to a\n\
         different room; the supervisor and the admin are in no room; the *disabled user* and\n\
         the *revoked token* belong to employees who were members of R when their account was\n\
         disabled or their tokens revoked (WebSocket rows: their handshake is refused).\n\n",
    );
    out.push_str("| action / route |");
    for actor in Actor::ALL {
        out.push_str(&format!(" {} |", actor.heading()));
    }
    out.push_str("\n|---|");
    for _ in Actor::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for case in cases {
        out.push_str(&format!("| `{}` |", case.name));
        for actor in Actor::ALL {
            let cell = match case.pending {
                Some(_) => "⏳",
                None if case.allowed(actor) => "✅",
                None => "⛔",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    let pending: Vec<String> = cases
        .iter()
        .filter_map(|c| c.pending.map(|why| format!("`{}` ({why})", c.name)))
        .collect();
    if !pending.is_empty() {
        out.push_str(&format!("\nNot built yet: {}.\n", pending.join(", ")));
    }
    out
}
