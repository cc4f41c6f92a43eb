//! `RoomStore` contract: rooms and issues are created together, memberships are
//! idempotent, and no removal (however concurrent) leaves a guest without an employee
//! (additions of guests: [`super::guests`]).

use futures::future::join_all;

use crate::error::ErrorCode;
use crate::model::{Conclusion, IssueStatus, ParticipantKind, RoomStatus};
use crate::policy::guest_never_alone;
use crate::ports::{Addition, Removal, Store};
use crate::testkit::contract::fixtures::{
    at, employee_member, guest_member, iid, issue, issue_of, message, rid, robot_member, room,
    seed_room,
};

use super::{expect_code, ok};

fn ids(rooms: &[crate::model::Room]) -> Vec<&str> {
    rooms.iter().map(|r| r.id.as_str()).collect()
}

async fn member_ids(store: &dyn Store, room: &str) -> Vec<String> {
    let mut ids: Vec<String> = ok("members", store.members(&rid(room)).await)
        .into_iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    ids
}

pub async fn create_room_with_a_new_issue_stores_room_member_and_issue(store: &dyn Store) {
    let r = room("room_1", "iss_1", 0);
    let first = employee_member("usr_alice");
    let new_issue = issue("iss_1", &["room_1"]);
    ok(
        "create_room",
        store.create_room(&r, &first, Some(&new_issue)).await,
    );

    assert_eq!(
        ok("room", store.room(&r.id).await),
        Some(r.clone()),
        "room round-trips"
    );
    assert_eq!(
        ok("members", store.members(&r.id).await),
        vec![first.clone()],
        "the first member is stored with every field"
    );
    assert!(
        ok("is_member", store.is_member(&r.id, "usr_alice").await),
        "creator is a member"
    );
    assert!(
        !ok("is_member", store.is_member(&r.id, "usr_bob").await),
        "nobody else is"
    );
    assert_eq!(
        ok("issue", store.issue(&new_issue.id).await),
        Some(new_issue),
        "the new issue is stored with every field"
    );
    assert_eq!(
        ok("room missing", store.room(&rid("room_none")).await),
        None
    );
    assert_eq!(
        ok("issue missing", store.issue(&iid("iss_none")).await),
        None
    );
    assert!(
        ok("members missing", store.members(&rid("room_none")).await).is_empty(),
        "an unknown room has no members"
    );
}

pub async fn create_room_for_an_existing_issue_appends_the_room(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let escalated = room("room_2", &issue_of("room_1"), 60);
    ok(
        "create_room for an existing issue",
        store
            .create_room(&escalated, &employee_member("usr_bob"), None)
            .await,
    );
    let stored = ok("issue", store.issue(&iid(&issue_of("room_1"))).await)
        .unwrap_or_else(|| panic!("the existing issue disappeared"));
    let room_ids: Vec<&str> = stored.room_ids.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        room_ids,
        ["room_1", "room_2"],
        "the new room is appended to room_ids"
    );
    assert_eq!(
        stored.title,
        issue(&issue_of("room_1"), &[]).title,
        "nothing else changes"
    );
    assert!(
        ok("room", store.room(&escalated.id).await).is_some(),
        "the room exists"
    );
    assert!(ok(
        "is_member",
        store.is_member(&escalated.id, "usr_bob").await
    ));
}

pub async fn create_room_for_a_missing_issue_fails_and_creates_nothing(store: &dyn Store) {
    let orphan = room("room_orphan", "iss_missing", 0);
    let result = store
        .create_room(&orphan, &employee_member("usr_alice"), None)
        .await;
    assert!(
        result.is_err(),
        "create_room without a new issue needs the issue to exist"
    );
    assert_eq!(
        ok("room", store.room(&orphan.id).await),
        None,
        "a failed create_room leaves no room behind (atomic)"
    );
    assert!(ok("rooms_of", store.rooms_of("usr_alice").await).is_empty());
}

pub async fn update_room_changes_status_conclusion_title_but_never_last_seq(store: &dyn Store) {
    let stale = seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    ok(
        "append",
        store
            .append_message(&message("room_1", "msg_1", "usr_alice"))
            .await,
    );

    let mut concluded = stale.clone();
    concluded.status = RoomStatus::Concluded;
    concluded.conclusion = Some(Conclusion::GuestDisengaged);
    concluded.title = "Renamed".to_string();
    // `stale` was read before the append: its last_seq (0) must not be written back.
    ok("update_room", store.update_room(&concluded).await);
    let back = ok("room", store.room(&stale.id).await)
        .unwrap_or_else(|| panic!("room disappeared after update_room"));
    assert_eq!(back.status, RoomStatus::Concluded, "status updated");
    assert_eq!(
        back.conclusion,
        Some(Conclusion::GuestDisengaged),
        "conclusion updated"
    );
    assert_eq!(back.title, "Renamed", "title updated");
    assert_eq!(back.last_seq, 1, "update_room never touches last_seq");
    assert!(
        back.last_message_at.is_some(),
        "update_room never clears last_message_at"
    );
}

pub async fn update_room_sets_and_clears_waiting_since(store: &dyn Store) {
    let mut r = room("room_1", "iss_1", 0);
    r.waiting_since = Some(at(-5));
    ok(
        "create_room waiting",
        store
            .create_room(
                &r,
                &employee_member("usr_alice"),
                Some(&issue("iss_1", &["room_1"])),
            )
            .await,
    );
    assert_eq!(
        ok("room", store.room(&r.id).await),
        Some(r.clone()),
        "create_room stores waiting_since exactly"
    );

    r.waiting_since = None;
    ok("update_room clear", store.update_room(&r).await);
    let back = ok("room", store.room(&r.id).await)
        .unwrap_or_else(|| panic!("room disappeared after update_room"));
    assert_eq!(back.waiting_since, None, "update_room clears waiting_since");

    let waiting = Some(at(90));
    r.waiting_since = waiting;
    ok("update_room set", store.update_room(&r).await);
    let back = ok("room", store.room(&r.id).await)
        .unwrap_or_else(|| panic!("room disappeared after update_room"));
    assert_eq!(
        back.waiting_since, waiting,
        "update_room sets waiting_since, to the nanosecond"
    );
    assert_eq!(back, r, "nothing else changes");
    let listed = ok("list_rooms", store.list_rooms(None).await);
    assert_eq!(
        listed.first().and_then(|r| r.waiting_since),
        waiting,
        "list_rooms returns waiting_since"
    );
    let mine = ok("rooms_of", store.rooms_of("usr_alice").await);
    assert_eq!(
        mine.first().and_then(|r| r.waiting_since),
        waiting,
        "rooms_of returns waiting_since"
    );
}

pub async fn rooms_of_lists_a_members_rooms_newest_first(store: &dyn Store) {
    let alice = employee_member("usr_alice");
    seed_room(store, "room_old", 0, std::slice::from_ref(&alice)).await;
    seed_room(store, "room_other", 30, &[employee_member("usr_bob")]).await;
    seed_room(
        store,
        "room_new",
        60,
        &[employee_member("usr_bob"), alice.clone()],
    )
    .await;
    seed_room(store, "room_mid", 45, &[alice]).await;

    let rooms = ok("rooms_of", store.rooms_of("usr_alice").await);
    assert_eq!(
        ids(&rooms),
        ["room_new", "room_mid", "room_old"],
        "newest first, own rooms only"
    );
    let rooms = ok("rooms_of", store.rooms_of("usr_bob").await);
    assert_eq!(ids(&rooms), ["room_new", "room_other"]);
    assert!(ok("rooms_of", store.rooms_of("usr_nobody").await).is_empty());

    ok(
        "remove",
        store.remove_member(&rid("room_mid"), "usr_alice").await,
    );
    let rooms = ok("rooms_of", store.rooms_of("usr_alice").await);
    assert_eq!(
        ids(&rooms),
        ["room_new", "room_old"],
        "a removed member loses the room"
    );
}

pub async fn list_rooms_is_newest_first_and_filters_by_status(store: &dyn Store) {
    let a = employee_member("usr_alice");
    seed_room(store, "room_a", 0, std::slice::from_ref(&a)).await;
    let mut b = seed_room(store, "room_b", 10, std::slice::from_ref(&a)).await;
    seed_room(store, "room_c", 20, &[a]).await;
    b.status = RoomStatus::Concluded;
    b.conclusion = Some(Conclusion::Resolved);
    ok("update_room", store.update_room(&b).await);

    let all = ok("list_rooms all", store.list_rooms(None).await);
    assert_eq!(
        ids(&all),
        ["room_c", "room_b", "room_a"],
        "every room, newest first"
    );
    let open = ok(
        "list_rooms open",
        store.list_rooms(Some(RoomStatus::Open)).await,
    );
    assert_eq!(ids(&open), ["room_c", "room_a"], "only open rooms");
    let done = ok(
        "list_rooms concluded",
        store.list_rooms(Some(RoomStatus::Concluded)).await,
    );
    assert_eq!(ids(&done), ["room_b"], "only concluded rooms");
}

pub async fn add_member_is_idempotent(store: &dyn Store) {
    let r = seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let bob = employee_member("usr_bob");
    assert_eq!(
        ok("add bob", store.add_member(&r.id, &bob).await),
        Addition::Added,
        "a new member"
    );
    let mut renamed = bob.clone();
    renamed.display_name = "changed".to_string();
    assert_eq!(
        ok("add bob again", store.add_member(&r.id, &renamed).await),
        Addition::AlreadyMember,
        "an existing member"
    );
    let members = ok("members", store.members(&r.id).await);
    assert_eq!(members.len(), 2, "adding twice stores one membership");
    assert!(members.contains(&bob), "the second add changes nothing");
    assert!(ok("is_member", store.is_member(&r.id, "usr_bob").await));
}

pub async fn add_member_to_a_missing_room_is_not_found(store: &dyn Store) {
    expect_code(
        "add_member to an unknown room",
        store
            .add_member(&rid("room_none"), &employee_member("usr_bob"))
            .await,
        ErrorCode::NotFound,
    );
}

pub async fn remove_member_reports_not_a_member(store: &dyn Store) {
    let r = seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let outcome = ok(
        "remove stranger",
        store.remove_member(&r.id, "usr_bob").await,
    );
    assert_eq!(outcome, Removal::NotAMember, "removing a non-member");
    let outcome = ok(
        "remove from missing",
        store.remove_member(&rid("room_x"), "usr_bob").await,
    );
    assert_eq!(
        outcome,
        Removal::NotAMember,
        "removing from an unknown room"
    );
    let outcome = ok(
        "remove alice",
        store.remove_member(&r.id, "usr_alice").await,
    );
    assert_eq!(
        outcome,
        Removal::Removed,
        "the last employee may leave when no guest is there"
    );
    let outcome = ok(
        "remove alice again",
        store.remove_member(&r.id, "usr_alice").await,
    );
    assert_eq!(outcome, Removal::NotAMember, "removing twice");
    assert!(!ok("is_member", store.is_member(&r.id, "usr_alice").await));
}

pub async fn remove_member_never_leaves_a_guest_without_an_employee(store: &dyn Store) {
    let robot = "iStackBuddy.docs.jokes";
    let r = seed_room(
        store,
        "room_1",
        0,
        &[
            employee_member("usr_alice"),
            guest_member("usr_john"),
            robot_member(robot),
        ],
    )
    .await;

    let outcome = ok(
        "remove alice",
        store.remove_member(&r.id, "usr_alice").await,
    );
    assert_eq!(
        outcome,
        Removal::WouldLeaveGuestAlone,
        "a robot does not count: the last employee cannot leave a guest"
    );
    assert!(
        ok("is_member", store.is_member(&r.id, "usr_alice").await),
        "refusal changes nothing"
    );

    ok(
        "add bob",
        store.add_member(&r.id, &employee_member("usr_bob")).await,
    );
    let outcome = ok(
        "remove alice",
        store.remove_member(&r.id, "usr_alice").await,
    );
    assert_eq!(outcome, Removal::Removed, "with two employees, one may go");
    let outcome = ok("remove bob", store.remove_member(&r.id, "usr_bob").await);
    assert_eq!(
        outcome,
        Removal::WouldLeaveGuestAlone,
        "…but not the second"
    );

    let outcome = ok("remove robot", store.remove_member(&r.id, robot).await);
    assert_eq!(outcome, Removal::Removed, "removing a robot is fine");
    let outcome = ok("remove guest", store.remove_member(&r.id, "usr_john").await);
    assert_eq!(outcome, Removal::Removed, "removing the guest is fine");
    let outcome = ok("remove bob", store.remove_member(&r.id, "usr_bob").await);
    assert_eq!(
        outcome,
        Removal::Removed,
        "without a guest the last employee may leave"
    );
    assert!(member_ids(store, "room_1").await.is_empty());
}

/// Two employees leave a room with a guest at the same moment, many times over: exactly
/// one leaves each time. `stores` are handles on one backend (the same one twice is fine).
pub async fn concurrent_removals_leave_exactly_one_employee(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    for round in 0..20 {
        let room_id = format!("room_race_{round}");
        seed_room(
            first,
            &room_id,
            round,
            &[
                employee_member("usr_alice"),
                guest_member("usr_john"),
                employee_member("usr_bob"),
                robot_member("iStackBuddy.docs.jokes"),
            ],
        )
        .await;
        let r = rid(&room_id);
        let leavers = ["usr_alice", "usr_bob"];
        let outcomes = join_all(leavers.iter().enumerate().map(|(i, who)| {
            let store = stores[i % stores.len()];
            let r = r.clone();
            async move {
                ok(
                    "concurrent remove_member",
                    store.remove_member(&r, who).await,
                )
            }
        }))
        .await;
        let removed = outcomes.iter().filter(|o| **o == Removal::Removed).count();
        let refused = outcomes
            .iter()
            .filter(|o| **o == Removal::WouldLeaveGuestAlone)
            .count();
        assert_eq!(
            (removed, refused),
            (1, 1),
            "round {round}: exactly one of two concurrent leavers may go, got {outcomes:?}"
        );
        let members = ok("members", first.members(&r).await);
        assert!(
            guest_never_alone(&members),
            "round {round}: the guest was left alone"
        );
        let employees = members
            .iter()
            .filter(|m| m.kind == ParticipantKind::Employee)
            .count();
        assert_eq!(employees, 1, "round {round}: exactly one employee remains");
    }
}

pub async fn save_issue_inserts_and_replaces(store: &dyn Store) {
    let mut i = issue("iss_9", &[]);
    ok("save_issue insert", store.save_issue(&i).await);
    assert_eq!(
        ok("issue", store.issue(&i.id).await),
        Some(i.clone()),
        "inserted"
    );
    i.status = IssueStatus::Concluded;
    i.conclusion = Some(Conclusion::Escalated);
    i.tier = crate::model::Tier::T2;
    i.customer_name = None;
    i.history.push(crate::model::IssueEvent {
        at: i.created_at,
        event: "escalated".to_string(),
        by: "usr_alice".to_string(),
        note: None,
    });
    ok("save_issue replace", store.save_issue(&i).await);
    assert_eq!(
        ok("issue", store.issue(&i.id).await),
        Some(i),
        "replaced, every field"
    );
}
