//! `UserStore` contract: accounts keep every field, usernames are unique ignoring case,
//! identity and profile are updated separately.

use crate::error::ErrorCode;
use crate::model::{Profile, Role, Tier};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{employee, guest, uid};

use super::{expect_code, ok};

pub async fn users_round_trip_and_are_found_by_any_case(store: &dyn Store) {
    let alice = employee("usr_alice", "Alice");
    let john = guest("usr_john", "guest-john", "room_1", "iss_1");
    ok("insert alice", store.insert_user(&alice).await);
    ok("insert john", store.insert_user(&john).await);

    let by_id = ok(
        "user_by_id",
        store.user_by_id(&alice.identity.user_id).await,
    );
    assert_eq!(
        by_id.as_ref(),
        Some(&alice),
        "user_by_id must return every field as inserted"
    );
    let guest_back = ok(
        "user_by_id guest",
        store.user_by_id(&john.identity.user_id).await,
    );
    assert_eq!(
        guest_back.as_ref(),
        Some(&john),
        "a guest's scope and missing hash round-trip"
    );

    for name in ["Alice", "alice", "ALICE", "aLiCe"] {
        let found = ok("user_by_username", store.user_by_username(name).await);
        assert_eq!(
            found.as_ref(),
            Some(&alice),
            "user_by_username({name:?}) ignores case"
        );
    }
    let missing = ok(
        "user_by_username missing",
        store.user_by_username("nobody").await,
    );
    assert_eq!(missing, None, "an unknown username is None, not an error");
    let missing = ok(
        "user_by_id missing",
        store.user_by_id(&uid("usr_nobody")).await,
    );
    assert_eq!(missing, None, "an unknown user id is None, not an error");
}

pub async fn usernames_are_unique_ignoring_case(store: &dyn Store) {
    ok(
        "insert alice",
        store.insert_user(&employee("usr_alice", "alice")).await,
    );
    expect_code(
        "insert a second user named ALICE",
        store.insert_user(&employee("usr_other", "ALICE")).await,
        ErrorCode::Conflict,
    );
    let kept = ok("user_by_id", store.user_by_id(&uid("usr_other")).await);
    assert_eq!(kept, None, "a refused insert writes nothing");
    let all = ok("list_users", store.list_users().await);
    assert_eq!(all.len(), 1, "a refused insert writes nothing");
}

pub async fn update_identity_replaces_identity_and_hash_only(store: &dyn Store) {
    let bob = employee("usr_bob", "bob");
    ok("insert bob", store.insert_user(&bob).await);

    let mut identity = bob.identity.clone();
    identity.tier = Some(Tier::T3);
    identity.roles = vec![Role::Admin];
    identity.enabled = false;
    identity.token_version = 4;
    ok(
        "update_identity",
        store
            .update_identity(&identity, Some("$argon2id$new"))
            .await,
    );
    let back = ok("user_by_id", store.user_by_id(&bob.identity.user_id).await)
        .unwrap_or_else(|| panic!("bob disappeared after update_identity"));
    assert_eq!(
        back.identity, identity,
        "update_identity replaces the identity fields"
    );
    assert_eq!(
        back.password_hash.as_deref(),
        Some("$argon2id$new"),
        "and the hash"
    );
    assert_eq!(
        back.profile, bob.profile,
        "update_identity never touches the profile"
    );
    assert_eq!(
        back.created_at, bob.created_at,
        "update_identity never touches created_at"
    );

    ok(
        "update_identity without hash",
        store.update_identity(&identity, None).await,
    );
    let back = ok("user_by_id", store.user_by_id(&bob.identity.user_id).await)
        .unwrap_or_else(|| panic!("bob disappeared after update_identity"));
    assert_eq!(
        back.password_hash, None,
        "`None` replaces the hash too (it is not a patch)"
    );
}

pub async fn update_identity_never_changes_the_username(store: &dyn Store) {
    let bob = employee("usr_bob", "Bob");
    ok("insert bob", store.insert_user(&bob).await);
    ok(
        "insert carol",
        store.insert_user(&employee("usr_carol", "carol")).await,
    );

    let mut identity = bob.identity.clone();
    identity.username = "robert".to_string();
    identity.token_version = 9;
    ok(
        "update_identity with another username",
        store.update_identity(&identity, None).await,
    );
    let back = ok("user_by_id", store.user_by_id(&bob.identity.user_id).await)
        .unwrap_or_else(|| panic!("bob disappeared after update_identity"));
    assert_eq!(
        back.identity.username, "Bob",
        "the username is the login key: update_identity keeps it, case and all"
    );
    assert_eq!(back.identity.token_version, 9, "the rest is updated");
    assert_eq!(
        ok("by new name", store.user_by_username("robert").await),
        None,
        "the ignored username does not become a login"
    );
    assert!(
        ok("by old name", store.user_by_username("bob").await).is_some(),
        "the old username still logs in"
    );

    // Even a username taken by someone else is simply ignored, not a conflict.
    identity.username = "carol".to_string();
    ok(
        "update_identity with a taken username",
        store.update_identity(&identity, None).await,
    );
    let back = ok("user_by_id", store.user_by_id(&bob.identity.user_id).await)
        .unwrap_or_else(|| panic!("bob disappeared after update_identity"));
    assert_eq!(back.identity.username, "Bob");
}

pub async fn update_profile_replaces_profile_only(store: &dyn Store) {
    let bob = employee("usr_bob", "bob");
    ok("insert bob", store.insert_user(&bob).await);
    let profile = Profile {
        display_name: "Bobby Tables".to_string(),
        avatar_file_id: None,
    };
    ok(
        "update_profile",
        store.update_profile(&bob.identity.user_id, &profile).await,
    );
    let back = ok("user_by_id", store.user_by_id(&bob.identity.user_id).await)
        .unwrap_or_else(|| panic!("bob disappeared after update_profile"));
    assert_eq!(back.profile, profile, "update_profile replaces the profile");
    assert_eq!(
        back.identity, bob.identity,
        "update_profile never touches the identity"
    );
    assert_eq!(
        back.password_hash, bob.password_hash,
        "update_profile never touches the hash"
    );
}

pub async fn updates_of_unknown_users_are_not_found(store: &dyn Store) {
    let ghost = employee("usr_ghost", "ghost");
    expect_code(
        "update_identity of an unknown user",
        store.update_identity(&ghost.identity, None).await,
        ErrorCode::NotFound,
    );
    expect_code(
        "update_profile of an unknown user",
        store
            .update_profile(&ghost.identity.user_id, &ghost.profile)
            .await,
        ErrorCode::NotFound,
    );
    let back = ok(
        "user_by_id",
        store.user_by_id(&ghost.identity.user_id).await,
    );
    assert_eq!(back, None, "an update never creates a user");
}

pub async fn list_users_is_ordered_by_username(store: &dyn Store) {
    for (id, name) in [("usr_c", "carol"), ("usr_a", "alice"), ("usr_b", "bob")] {
        ok("insert", store.insert_user(&employee(id, name)).await);
    }
    let names: Vec<String> = ok("list_users", store.list_users().await)
        .into_iter()
        .map(|u| u.identity.username)
        .collect();
    assert_eq!(
        names,
        ["alice", "bob", "carol"],
        "list_users is ordered by username"
    );
}
