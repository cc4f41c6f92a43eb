//! `InviteStore` contract: an invite is taken at most once, only before it expires, and
//! concurrent redeemers cannot both win.

use futures::future::join_all;

use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, invite};

use super::ok;

pub async fn an_invite_is_taken_once(store: &dyn Store) {
    let first = invite("room_1", 600);
    let mut other = invite("room_2", 600);
    other.display_name = None;
    ok("put", store.put_invite("code-1", &first).await);
    ok("put other", store.put_invite("code-2", &other).await);
    assert_eq!(
        ok("take", store.take_invite("code-1", at(0)).await),
        Some(first),
        "the first take before expiry gets the invite, every field"
    );
    assert_eq!(
        ok("take again", store.take_invite("code-1", at(1)).await),
        None,
        "single use"
    );
    assert_eq!(
        ok("unknown", store.take_invite("code-none", at(0)).await),
        None
    );
    assert_eq!(
        ok("take other", store.take_invite("code-2", at(599)).await),
        Some(other),
        "taking one invite leaves the others (and a missing name round-trips)"
    );
}

pub async fn an_expired_invite_is_refused(store: &dyn Store) {
    ok(
        "put",
        store.put_invite("code-late", &invite("room_1", 60)).await,
    );
    ok(
        "put",
        store.put_invite("code-edge", &invite("room_1", 60)).await,
    );
    ok(
        "put",
        store.put_invite("code-ok", &invite("room_1", 600)).await,
    );
    assert_eq!(
        ok("late", store.take_invite("code-late", at(61)).await),
        None,
        "after expiry"
    );
    assert_eq!(
        ok("edge", store.take_invite("code-edge", at(60)).await),
        None,
        "valid only strictly before expires_at"
    );
    assert!(
        ok("in time", store.take_invite("code-ok", at(61)).await).is_some(),
        "refusing expired invites leaves valid ones alone"
    );
}

/// Eight redeemers race for one invite: exactly one gets it.
pub async fn concurrent_invite_takes_have_one_winner(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    for round in 0..10 {
        let code = format!("code-race-{round}");
        ok("put", first.put_invite(&code, &invite("room_1", 60)).await);
        let takes = join_all((0..8).map(|i| {
            let store = stores[i % stores.len()];
            let code = code.clone();
            async move { ok("concurrent take", store.take_invite(&code, at(0)).await) }
        }))
        .await;
        let winners = takes.iter().filter(|t| t.is_some()).count();
        assert_eq!(
            winners, 1,
            "round {round}: exactly one concurrent take wins, got {takes:?}"
        );
    }
}
