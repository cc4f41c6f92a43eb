//! `--demo`: the development accounts of PROTOCOL §0 (public passwords), created if
//! absent through the same core call the admin CLI uses.

use chat_core::App;
use chat_core::model::{Role, Tier};
use chat_core::service::admin::NewEmployee;
use tracing::info;

/// `(username, password, tier, roles, display name)`.
pub const DEMO_USERS: &[(&str, &str, Tier, &[Role], &str)] = &[
    (
        "admin",
        "admin-pass",
        Tier::T3,
        &[Role::Admin, Role::Supervisor],
        "Admin",
    ),
    ("sam", "sam-pass", Tier::T2, &[Role::Supervisor], "Sam"),
    ("alice", "alice-pass", Tier::T1, &[], "Alice"),
    ("bob", "bob-pass", Tier::T2, &[], "Bob"),
    ("carol", "carol-pass", Tier::T3, &[], "Carol"),
];

/// Creates the missing demo accounts; existing ones (same username) are left as they are.
pub async fn seed(app: &App) -> chat_core::CoreResult<()> {
    for (username, password, tier, roles, display_name) in DEMO_USERS {
        app.ensure_employee(NewEmployee {
            username: (*username).to_string(),
            password: (*password).to_string(),
            tier: *tier,
            roles: roles.to_vec(),
            display_name: (*display_name).to_string(),
        })
        .await?;
    }
    info!(accounts = DEMO_USERS.len(), "demo accounts ready");
    Ok(())
}
