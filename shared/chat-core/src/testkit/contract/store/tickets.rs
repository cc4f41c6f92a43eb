//! `TicketStore` contract: a ticket is taken at most once, only before it expires, and
//! concurrent takers cannot both win.

use futures::future::join_all;

use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, uid};

use super::ok;

pub async fn a_ticket_is_taken_once(store: &dyn Store) {
    ok(
        "put",
        store.put_ticket("hash-1", &uid("usr_alice"), at(60)).await,
    );
    ok(
        "put other",
        store.put_ticket("hash-2", &uid("usr_bob"), at(60)).await,
    );
    assert_eq!(
        ok("take", store.take_ticket("hash-1", at(0)).await),
        Some(uid("usr_alice")),
        "the first take before expiry gets the user"
    );
    assert_eq!(
        ok("take again", store.take_ticket("hash-1", at(1)).await),
        None,
        "single use"
    );
    assert_eq!(
        ok("unknown", store.take_ticket("hash-none", at(0)).await),
        None
    );
    assert_eq!(
        ok("take other", store.take_ticket("hash-2", at(59)).await),
        Some(uid("usr_bob")),
        "taking one ticket leaves the others"
    );
}

pub async fn an_expired_ticket_is_refused(store: &dyn Store) {
    ok(
        "put",
        store
            .put_ticket("hash-late", &uid("usr_alice"), at(60))
            .await,
    );
    ok(
        "put",
        store
            .put_ticket("hash-edge", &uid("usr_alice"), at(60))
            .await,
    );
    assert_eq!(
        ok("late", store.take_ticket("hash-late", at(61)).await),
        None,
        "after expiry"
    );
    assert_eq!(
        ok("edge", store.take_ticket("hash-edge", at(60)).await),
        None,
        "valid only strictly before expires_at"
    );
}

/// Eight takers race for one ticket: exactly one gets the user.
pub async fn concurrent_takes_have_one_winner(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    for round in 0..10 {
        let hash = format!("hash-race-{round}");
        ok(
            "put",
            first.put_ticket(&hash, &uid("usr_alice"), at(60)).await,
        );
        let takes = join_all((0..8).map(|i| {
            let store = stores[i % stores.len()];
            let hash = hash.clone();
            async move { ok("concurrent take", store.take_ticket(&hash, at(0)).await) }
        }))
        .await;
        let winners = takes.iter().filter(|t| t.is_some()).count();
        assert_eq!(
            winners, 1,
            "round {round}: exactly one concurrent take wins, got {takes:?}"
        );
    }
}
