//! `RoomStore::add_member` for guests: a guest joins only a room with an employee in it,
//! and a guest joining while the last employee leaves never ends up alone, whichever
//! wins.

use futures::future::join;

use crate::error::ErrorCode;
use crate::model::{Member, ParticipantKind};
use crate::policy::guest_never_alone;
use crate::ports::{Addition, Removal, Store};
use crate::testkit::contract::fixtures::{
    employee_member, guest_member, rid, robot_member, seed_room,
};

use super::{expect_code, ok};

async fn member_ids(store: &dyn Store, room: &str) -> Vec<String> {
    let mut ids: Vec<String> = ok("members", store.members(&rid(room)).await)
        .into_iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    ids
}

/// Adds `m` to `room` expecting `expected`, and checks the membership list changed (or
/// not) accordingly.
async fn add_expecting(store: &dyn Store, room: &str, m: &Member, expected: Addition) {
    let before = member_ids(store, room).await;
    let outcome = ok("add_member", store.add_member(&rid(room), m).await);
    assert_eq!(outcome, expected, "add_member {} to {room}", m.id);
    let after = member_ids(store, room).await;
    if expected == Addition::Added {
        assert!(after.contains(&m.id), "{} is now a member of {room}", m.id);
        assert_eq!(after.len(), before.len() + 1, "exactly one member added");
    } else {
        assert_eq!(after, before, "{expected:?} changes nothing in {room}");
    }
}

pub async fn add_member_admits_a_guest_only_while_an_employee_is_in(store: &dyn Store) {
    let john = guest_member("usr_john");

    // A robot does not count as an employee.
    seed_room(
        store,
        "room_robot",
        0,
        &[robot_member("iStackBuddy.docs.jokes")],
    )
    .await;
    add_expecting(store, "room_robot", &john, Addition::GuestWithoutEmployee).await;
    // Non-guests are never refused; once an employee is in, the guest may join.
    add_expecting(
        store,
        "room_robot",
        &employee_member("usr_alice"),
        Addition::Added,
    )
    .await;
    add_expecting(store, "room_robot", &john, Addition::Added).await;
    add_expecting(
        store,
        "room_robot",
        &guest_member("usr_jane"),
        Addition::Added,
    )
    .await;
    add_expecting(store, "room_robot", &john, Addition::AlreadyMember).await;

    // Another guest does not count either.
    seed_room(store, "room_guest", 1, &[guest_member("usr_jane")]).await;
    add_expecting(store, "room_guest", &john, Addition::GuestWithoutEmployee).await;
    add_expecting(
        store,
        "room_guest",
        &guest_member("usr_jane"),
        Addition::AlreadyMember,
    )
    .await;

    // A room whose last employee left is empty: no guest may walk in.
    seed_room(store, "room_empty", 2, &[employee_member("usr_bob")]).await;
    assert_eq!(
        ok(
            "remove bob",
            store.remove_member(&rid("room_empty"), "usr_bob").await
        ),
        Removal::Removed
    );
    add_expecting(store, "room_empty", &john, Addition::GuestWithoutEmployee).await;
    add_expecting(
        store,
        "room_empty",
        &robot_member("iStackBuddy.docs.jokes"),
        Addition::Added,
    )
    .await;
    add_expecting(store, "room_empty", &john, Addition::GuestWithoutEmployee).await;
    assert!(
        !ok(
            "is_member",
            store.is_member(&rid("room_empty"), "usr_john").await
        ),
        "a refused guest is not a member"
    );
    expect_code(
        "add a guest to an unknown room",
        store.add_member(&rid("room_none"), &john).await,
        ErrorCode::NotFound,
    );
}

/// A guest joins while the room's only employee leaves, many times over: whichever goes
/// first, the other is refused, and the guest is never left without an employee.
/// `stores` are handles on one backend (the same one twice is fine).
pub async fn guest_joining_while_the_last_employee_leaves_is_never_alone(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    let second = stores.get(1).copied().unwrap_or(first);
    for round in 0..40 {
        let room_id = format!("room_join_{round}");
        seed_room(
            first,
            &room_id,
            round,
            &[
                employee_member("usr_alice"),
                robot_member("iStackBuddy.docs.jokes"),
            ],
        )
        .await;
        let r = rid(&room_id);
        let john = guest_member("usr_john");
        // Alternate which handle does what, and which operation is polled first.
        let (joiner, leaver) = if round % 2 == 0 {
            (first, second)
        } else {
            (second, first)
        };
        let joining = async { ok("concurrent add_member", joiner.add_member(&r, &john).await) };
        let leaving = async {
            ok(
                "concurrent remove_member",
                leaver.remove_member(&r, "usr_alice").await,
            )
        };
        let (added, removed) = if round % 4 < 2 {
            join(joining, leaving).await
        } else {
            let (removed, added) = join(leaving, joining).await;
            (added, removed)
        };
        let consistent = matches!(
            (added, removed),
            (Addition::Added, Removal::WouldLeaveGuestAlone)
                | (Addition::GuestWithoutEmployee, Removal::Removed)
        );
        assert!(
            consistent,
            "round {round}: one of join/leave must win and the other be refused, \
             got {added:?} / {removed:?}"
        );
        let members = ok("members", first.members(&r).await);
        let guest_in = members.iter().any(|m| m.id == "usr_john");
        let employee_in = members.iter().any(|m| m.kind == ParticipantKind::Employee);
        assert!(
            !guest_in || employee_in,
            "round {round}: the guest was left without an employee: {members:?}"
        );
        assert!(guest_never_alone(&members), "round {round}: guest alone");
    }
}
