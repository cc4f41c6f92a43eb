//! The rooms half of the `Store` contract — rooms, guests, issues, messages,
//! connections — run against the DynamoDB store on a moto server, one check per test so
//! a failure names its check and the others still run.
//!
//! Each check gets a fresh table. The races get two `DynamoStore` handles built from
//! two separate client sets (separate connection pools) on the same table, as two
//! Lambda instances would be.

use chat_aws::dynamo::{DynamoStore, schema};
use chat_aws::testkit;
use chat_core::ports::Store;
use chat_core::testkit::contract::store::{connections, guests, issues, messages, rooms};

/// Two handles on one fresh table, from independent clients.
async fn two_handles() -> (DynamoStore, DynamoStore) {
    let target = testkit::unique_target("rooms");
    let first = testkit::clients(target.clone()).await;
    schema::ensure_table(&first.dynamodb, &first.target.table)
        .await
        .expect("create the table");
    let second = testkit::clients(target).await;
    (
        DynamoStore::from_clients(&first),
        DynamoStore::from_clients(&second),
    )
}

async fn store() -> DynamoStore {
    two_handles().await.0
}

/// One `#[tokio::test]` per single-handle check.
macro_rules! checks {
    ($($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $suite::$check(&store().await).await;
            }
        )*
    };
}

/// One `#[tokio::test]` per race, with two handles on the same table.
macro_rules! races {
    ($($suite:ident :: $check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (a, b) = two_handles().await;
                $suite::$check(&[&a as &dyn Store, &b]).await;
            }
        )*
    };
}

checks!(
    rooms::create_room_with_a_new_issue_stores_room_member_and_issue,
    rooms::create_room_for_an_existing_issue_appends_the_room,
    rooms::create_room_for_a_missing_issue_fails_and_creates_nothing,
    rooms::update_room_changes_status_conclusion_title_but_never_last_seq,
    rooms::update_room_sets_and_clears_waiting_since,
    rooms::rooms_of_lists_a_members_rooms_newest_first,
    rooms::list_rooms_is_newest_first_and_filters_by_status,
    rooms::add_member_is_idempotent,
    rooms::add_member_to_a_missing_room_is_not_found,
    rooms::remove_member_reports_not_a_member,
    rooms::remove_member_never_leaves_a_guest_without_an_employee,
    rooms::save_issue_inserts_and_replaces,
    guests::add_member_admits_a_guest_only_while_an_employee_is_in,
    issues::list_issues_filters_by_tier_and_status_newest_first,
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
    connections::connections_put_get_delete,
    connections::connections_of_lists_only_that_users_connections,
    connections::room_connections_are_members_connections_plus_observers,
    connections::deleting_a_connection_drops_its_observer_entries,
    connections::online_users_is_the_connected_subset,
);

races!(
    rooms::concurrent_removals_leave_exactly_one_employee,
    guests::guest_joining_while_the_last_employee_leaves_is_never_alone,
    messages::concurrent_appends_are_gapless,
);
