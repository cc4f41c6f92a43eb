//! `RoomStore::update_room_if` contract: a conditional room update is the one way two
//! writers cannot both win (concluding a room, claiming a waiting one).

use futures::future::join_all;

use crate::model::{Conclusion, RoomStatus};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, employee_member, rid, seed_room};

use super::ok;

pub async fn update_room_if_writes_only_what_was_read(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let seen = ok("room", store.room(&rid("room_1")).await).unwrap_or_else(|| panic!("no room"));
    let mut concluded = seen.clone();
    concluded.status = RoomStatus::Concluded;
    concluded.conclusion = Some(Conclusion::Resolved);
    assert!(
        ok("first", store.update_room_if(&concluded, &seen).await),
        "an unchanged room is written"
    );
    let mut other = seen.clone();
    other.status = RoomStatus::Concluded;
    other.conclusion = Some(Conclusion::Unresolved);
    assert!(
        !ok("second", store.update_room_if(&other, &seen).await),
        "a room changed since it was read is not"
    );
    let stored = ok("room", store.room(&rid("room_1")).await).unwrap_or_else(|| panic!("no room"));
    assert_eq!(
        stored.conclusion,
        Some(Conclusion::Resolved),
        "the first writer's"
    );
    assert_eq!(stored.last_seq, seen.last_seq, "never touches last_seq");
    let mut ghost = seen.clone();
    ghost.id = rid("room_missing");
    assert!(!ok("missing", store.update_room_if(&ghost, &ghost).await));
}

/// A waiting room claimed from every handle at once: exactly one claim wins.
pub async fn concurrent_claims_of_a_waiting_room_have_one_winner(stores: &[&dyn Store]) {
    seed_room(stores[0], "room_1", 0, &[employee_member("usr_alice")]).await;
    let mut waiting =
        ok("room", stores[0].room(&rid("room_1")).await).unwrap_or_else(|| panic!("no room"));
    waiting.waiting_since = Some(at(5));
    ok("wait", stores[0].update_room(&waiting).await);
    let mut claimed = waiting.clone();
    claimed.waiting_since = None;
    let claims = (0..8).map(|i| {
        let store = stores[i % stores.len()];
        let (claimed, waiting) = (claimed.clone(), waiting.clone());
        async move { ok("claim", store.update_room_if(&claimed, &waiting).await) }
    });
    let won = join_all(claims).await.into_iter().filter(|w| *w).count();
    assert_eq!(won, 1, "exactly one claim of a waiting room succeeds");
    let stored =
        ok("room", stores[0].room(&rid("room_1")).await).unwrap_or_else(|| panic!("no room"));
    assert_eq!(stored.waiting_since, None);
}
