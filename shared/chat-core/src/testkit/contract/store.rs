//! The `Store` contract: every store adapter runs [`run_all`].
//!
//! One submodule per port trait; each check gets a fresh, empty store. The concurrency
//! checks take several handles (`&[&dyn Store]`) that share one backend: [`run_all`]
//! passes the same store twice, and an adapter whose backend accepts several independent
//! connections (a SQLite file) should also race two of them.
//!
//! - [`users`]: accounts, case-insensitive unique usernames, identity vs profile.
//! - [`rooms`]: rooms, issues, membership, the guest-never-alone removal, `waiting_since`.
//! - [`guests`]: guests join only with an employee present, also racing a removal.
//! - [`issues`]: `list_issues`, the supervisor queues.
//! - [`messages`]: gapless sequence numbers, idempotent sends, paging, visibility.
//! - [`guarded_sends`]: `ports::append_checked`, a send committed only while its guard holds.
//! - [`connections`]: connections, observers and a room's audience.
//! - [`tickets`]: single-use tickets.
//! - [`invites`]: single-use, expiring guest invitations.
//! - [`audit`]: the append-only audit log, gapless seqs and paging.
//! - [`files`]: uploaded files' records, created once and settled once.

pub mod audit;
pub mod connections;
pub mod files;
pub mod guarded_sends;
pub mod guests;
pub mod invites;
pub mod issue_history;
pub mod issues;
pub mod message_batches;
pub mod messages;
pub mod room_claims;
pub mod rooms;
pub mod tickets;
pub mod users;

use std::future::Future;

use crate::error::{CoreResult, ErrorCode};
use crate::ports::Store;

use super::run_checks;

/// Runs every store check, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    run_checks!(
        "store",
        make,
        [
            users::users_round_trip_and_are_found_by_any_case,
            users::usernames_are_unique_ignoring_case,
            users::update_identity_replaces_identity_and_hash_only,
            users::update_identity_never_changes_the_username,
            users::update_profile_replaces_profile_only,
            users::updates_of_unknown_users_are_not_found,
            users::list_users_is_ordered_by_username,
            rooms::create_room_with_a_new_issue_stores_room_member_and_issue,
            rooms::create_room_for_an_existing_issue_appends_the_room,
            rooms::create_room_for_a_missing_issue_fails_and_creates_nothing,
            rooms::update_room_changes_status_conclusion_title_but_never_last_seq,
            rooms::update_room_sets_and_clears_waiting_since,
            room_claims::update_room_if_writes_only_what_was_read,
            rooms::rooms_of_lists_a_members_rooms_newest_first,
            rooms::list_rooms_is_newest_first_and_filters_by_status,
            rooms::add_member_is_idempotent,
            guests::add_member_admits_a_guest_only_while_an_employee_is_in,
            rooms::add_member_to_a_missing_room_is_not_found,
            rooms::remove_member_reports_not_a_member,
            rooms::remove_member_never_leaves_a_guest_without_an_employee,
            rooms::save_issue_inserts_and_replaces,
            issues::list_issues_filters_by_tier_and_status_newest_first,
            issue_history::an_update_keeps_lines_appended_since_the_read,
            messages::append_assigns_gapless_seqs_and_bumps_the_room,
            messages::append_to_a_missing_room_is_not_found,
            messages::resend_with_the_same_client_id_returns_the_original,
            messages::same_client_id_from_another_author_is_a_new_message,
            messages::messages_round_trip_every_field,
            messages::update_message_replaces_status_text_data_and_updated_at,
            messages::page_after_seq_is_ascending_with_has_more,
            messages::page_before_seq_is_the_messages_just_before,
            messages::page_between_after_and_before,
            messages::page_for_guests_hides_employee_only_messages,
            message_batches::a_batch_gets_consecutive_seqs_in_one_step,
            message_batches::a_resent_batch_returns_the_originals,
            message_batches::a_batch_for_a_missing_room_is_not_found,
            guarded_sends::a_guarded_send_commits_while_its_guard_holds,
            guarded_sends::a_guarded_send_refuses_non_members_and_concluded_rooms,
            guarded_sends::a_resend_gets_its_original_but_only_while_a_member,
            guarded_sends::an_atomic_guard_refuses_a_closed_connection_or_a_changed_user,
            connections::connections_put_get_delete,
            connections::connections_of_lists_only_that_users_connections,
            connections::room_connections_are_members_connections_plus_observers,
            connections::connections_opened_before_joining_are_in_the_audience,
            connections::deleting_a_connection_drops_its_observer_entries,
            connections::the_audience_follows_every_change,
            connections::online_users_is_the_connected_subset,
            tickets::a_ticket_is_taken_once,
            tickets::an_expired_ticket_is_refused,
            invites::an_invite_is_taken_once,
            invites::an_expired_invite_is_refused,
            audit::audit_entries_round_trip_numbered_from_one,
            audit::audit_page_honours_after_seq_since_and_limit,
            files::files_round_trip_every_field,
            files::inserting_a_taken_id_is_a_conflict,
            files::update_file_if_replaces_only_from_the_expected_status,
            files::files_are_independent,
        ]
    );
    // The races, each on a fresh store, with two handles on it.
    eprintln!("contract store::rooms::concurrent_removals_leave_exactly_one_employee");
    let store = make().await;
    rooms::concurrent_removals_leave_exactly_one_employee(&[&store, &store]).await;
    eprintln!(
        "contract store::guests::guest_joining_while_the_last_employee_leaves_is_never_alone"
    );
    let store = make().await;
    guests::guest_joining_while_the_last_employee_leaves_is_never_alone(&[&store, &store]).await;
    eprintln!("contract store::messages::concurrent_appends_are_gapless");
    let store = make().await;
    messages::concurrent_appends_are_gapless(&[&store, &store]).await;
    eprintln!("contract store::guarded_sends::concurrent_guarded_sends_are_gapless");
    let store = make().await;
    guarded_sends::concurrent_guarded_sends_are_gapless(&[&store, &store]).await;
    eprintln!("contract store::message_batches::concurrent_batches_stay_whole");
    let store = make().await;
    message_batches::concurrent_batches_stay_whole(&[&store, &store]).await;
    eprintln!("contract store::room_claims::concurrent_claims_of_a_waiting_room_have_one_winner");
    let store = make().await;
    room_claims::concurrent_claims_of_a_waiting_room_have_one_winner(&[&store, &store]).await;
    eprintln!("contract store::issue_history::concurrent_appends_all_land");
    let store = make().await;
    issue_history::concurrent_appends_all_land(&[&store, &store]).await;
    eprintln!("contract store::tickets::concurrent_takes_have_one_winner");
    let store = make().await;
    tickets::concurrent_takes_have_one_winner(&[&store, &store]).await;
    eprintln!("contract store::invites::concurrent_invite_takes_have_one_winner");
    let store = make().await;
    invites::concurrent_invite_takes_have_one_winner(&[&store, &store]).await;
    eprintln!("contract store::audit::concurrent_audit_appends_are_gapless");
    let store = make().await;
    audit::concurrent_audit_appends_are_gapless(&[&store, &store]).await;
    eprintln!("contract store::files::concurrent_completions_have_one_winner");
    let store = make().await;
    files::concurrent_completions_have_one_winner(&[&store, &store]).await;
}

/// Unwraps an adapter result, naming the operation on failure.
pub(crate) fn ok<T>(what: &str, result: CoreResult<T>) -> T {
    result.unwrap_or_else(|e| panic!("{what}: expected success, got {e:?}"))
}

/// Asserts an adapter result is the error `code`.
pub(crate) fn expect_code<T: std::fmt::Debug>(what: &str, result: CoreResult<T>, code: ErrorCode) {
    match result {
        Ok(v) => panic!("{what}: expected {code:?}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.code(), code, "{what}: expected {code:?}, got {e:?}"),
    }
}
