//! Renders the expected table as `docs/permissions.md`.

use chat_core::protocol::registry;

use crate::actors::Actor;
use crate::cases::{Call, Case};

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
         disabled or their tokens revoked (WebSocket rows: their handshake is refused).\n\n\
         The last two columns of WebSocket rows come from the action registry\n\
         (`shared/chat-core/src/protocol/registry.rs`): *callers* is who the dispatch lets\n\
         reach the action at all (by kind of account and role; room-level rules are the\n\
         use case's), and *rate limited* whether it draws on the per-user budget (every\n\
         frame counts against the per-connection limit regardless). The test fails when\n\
         the registry and this table disagree.\n\n",
    );
    out.push_str("| action / route |");
    for actor in Actor::ALL {
        out.push_str(&format!(" {} |", actor.heading()));
    }
    out.push_str(" callers | rate limited |\n|---|");
    for _ in Actor::ALL {
        out.push_str(":-:|");
    }
    out.push_str(":-:|:-:|\n");
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
        let spec = match case.call {
            Call::Ws(_) => registry::action(case.action()),
            Call::Http { .. } => None,
        };
        match spec {
            Some(spec) => out.push_str(&format!(
                " {} | {} |\n",
                spec.callers.as_str(),
                if spec.rate_limited { "yes" } else { "no" }
            )),
            None => out.push_str(" | |\n"),
        }
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
