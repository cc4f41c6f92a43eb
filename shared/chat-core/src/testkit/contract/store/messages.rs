//! `MessageStore` contract: gapless per-room sequence numbers (also under concurrent
//! appends), idempotent sends per author, paging in both directions, visibility.

use futures::future::join_all;

use crate::error::ErrorCode;
use crate::model::{Message, MessageStatus, Visibility};
use crate::ports::{Appended, PageQuery, Store};
use crate::testkit::contract::fixtures::{
    at, client_id, employee_member, message, message_with_client_id, mid, rich_message, rid,
    seed_room,
};

use super::{expect_code, ok};

fn seqs(messages: &[Message]) -> Vec<u64> {
    messages.iter().map(|m| m.seq).collect()
}

fn created(what: &str, appended: Appended) -> Message {
    match appended {
        Appended::Created(m) => m,
        Appended::Existing(m) => panic!("{what}: expected Created, got Existing({m:?})"),
    }
}

/// A room `room_1` holding messages seq 1..=`n`; those in `employee_only` are
/// employees-only.
async fn room_with_messages(store: &dyn Store, n: u64, employee_only: &[u64]) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    for i in 1..=n {
        let mut m = message("room_1", &format!("msg_{i}"), "usr_alice");
        if employee_only.contains(&i) {
            m.visibility = Visibility::Employees;
        }
        let got = created("append", ok("append", store.append_message(&m).await));
        assert_eq!(got.seq, i, "fixture append {i}");
    }
}

fn query(after: Option<u64>, before: Option<u64>, limit: usize) -> PageQuery {
    PageQuery {
        after_seq: after,
        before_seq: before,
        limit,
        include_employee_only: true,
    }
}

pub async fn append_assigns_gapless_seqs_and_bumps_the_room(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    seed_room(store, "room_2", 0, &[employee_member("usr_alice")]).await;
    for i in 1..=3u64 {
        let mut m = message("room_1", &format!("msg_{i}"), "usr_alice");
        m.created_at = at(100 + i as i64);
        let got = created("append", ok("append", store.append_message(&m).await));
        assert_eq!(got.seq, i, "seqs start at 1 and have no gaps");
        assert_eq!(
            got,
            m.clone().with_seq(i),
            "the committed message is the input plus seq"
        );
        let r = ok("room", store.room(&rid("room_1")).await)
            .unwrap_or_else(|| panic!("room_1 disappeared"));
        assert_eq!(r.last_seq, i, "the room's last_seq follows the append");
        assert_eq!(r.last_message_at, Some(m.created_at), "and last_message_at");
    }
    let other = created(
        "append to room_2",
        ok(
            "append",
            store
                .append_message(&message("room_2", "msg_x", "usr_alice"))
                .await,
        ),
    );
    assert_eq!(other.seq, 1, "each room has its own sequence");
}

pub async fn append_to_a_missing_room_is_not_found(store: &dyn Store) {
    expect_code(
        "append_message to an unknown room",
        store
            .append_message(&message("room_none", "msg_1", "usr_alice"))
            .await,
        ErrorCode::NotFound,
    );
}

/// `stores[i % len]` runs task `i`: 8 tasks append 25 messages each, concurrently.
pub async fn concurrent_appends_are_gapless(stores: &[&dyn Store]) {
    const TASKS: usize = 8;
    const EACH: usize = 25;
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    seed_room(first, "room_busy", 0, &[employee_member("usr_alice")]).await;
    let per_task = join_all((0..TASKS).map(|t| {
        let store = stores[t % stores.len()];
        async move {
            let mut seen = Vec::with_capacity(EACH);
            for i in 0..EACH {
                let m = message_with_client_id(
                    "room_busy",
                    &format!("msg_{t}_{i}"),
                    &format!("usr_{t}"),
                    &format!("c{i}"),
                );
                seen.push(
                    created(
                        "concurrent append",
                        ok("append", store.append_message(&m).await),
                    )
                    .seq,
                );
            }
            seen
        }
    }))
    .await;
    for (t, seen) in per_task.iter().enumerate() {
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "task {t}: one writer's sequential appends get increasing seqs: {seen:?}"
        );
    }
    let mut all: Vec<u64> = per_task.into_iter().flatten().collect();
    all.sort_unstable();
    let expected: Vec<u64> = (1..=(TASKS * EACH) as u64).collect();
    assert_eq!(
        all, expected,
        "concurrent appends get exactly 1..=N, no gaps or duplicates"
    );

    let page = ok(
        "page",
        first
            .messages_page(&rid("room_busy"), &query(None, None, 1000))
            .await,
    );
    assert_eq!(seqs(&page.messages), expected, "the stored log is 1..=N");
    let r = ok("room", first.room(&rid("room_busy")).await)
        .unwrap_or_else(|| panic!("room_busy disappeared"));
    assert_eq!(
        r.last_seq,
        (TASKS * EACH) as u64,
        "last_seq is the highest seq"
    );
}

pub async fn resend_with_the_same_client_id_returns_the_original(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let original = message_with_client_id("room_1", "msg_1", "usr_alice", "c-1");
    let first = created("send", ok("send", store.append_message(&original).await));

    let mut resend = message_with_client_id("room_1", "msg_other", "usr_alice", "c-1");
    resend.text = "typed again".to_string();
    match ok("resend", store.append_message(&resend).await) {
        Appended::Existing(m) => assert_eq!(m, first, "a resend returns the original"),
        Appended::Created(m) => panic!("a resend with the same clientMsgId created {m:?}"),
    }
    let r = ok("room", store.room(&rid("room_1")).await).unwrap_or_else(|| panic!("room gone"));
    assert_eq!(r.last_seq, 1, "a resend writes nothing");
    assert_eq!(
        ok(
            "message",
            store.message(&rid("room_1"), &mid("msg_other")).await
        ),
        None
    );

    let found = ok(
        "message_by_client_id",
        store
            .message_by_client_id(&rid("room_1"), "usr_alice", &client_id("c-1"))
            .await,
    );
    assert_eq!(
        found,
        Some(first),
        "message_by_client_id finds the author's message"
    );
    let none = ok(
        "message_by_client_id other author",
        store
            .message_by_client_id(&rid("room_1"), "usr_bob", &client_id("c-1"))
            .await,
    );
    assert_eq!(none, None, "another author's clientMsgId is not theirs");

    // Without a clientMsgId every send is new.
    let a = ok(
        "plain 1",
        store
            .append_message(&message("room_1", "msg_p1", "usr_alice"))
            .await,
    );
    let b = ok(
        "plain 2",
        store
            .append_message(&message("room_1", "msg_p2", "usr_alice"))
            .await,
    );
    assert_eq!((created("p1", a).seq, created("p2", b).seq), (2, 3));
}

pub async fn same_client_id_from_another_author_is_a_new_message(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    seed_room(store, "room_2", 0, &[employee_member("usr_alice")]).await;
    let a = message_with_client_id("room_1", "msg_a", "usr_alice", "c-1");
    let b = message_with_client_id("room_1", "msg_b", "usr_bob", "c-1");
    let c = message_with_client_id("room_2", "msg_c", "usr_alice", "c-1");
    assert_eq!(
        created("alice", ok("alice", store.append_message(&a).await)).seq,
        1
    );
    assert_eq!(
        created(
            "bob, same clientMsgId",
            ok("bob", store.append_message(&b).await)
        )
        .seq,
        2,
        "clientMsgIds are scoped to their author"
    );
    assert_eq!(
        created(
            "alice in room_2",
            ok("room_2", store.append_message(&c).await)
        )
        .seq,
        1,
        "clientMsgIds are scoped to their room"
    );
}

pub async fn messages_round_trip_every_field(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let input = rich_message("room_1", "msg_rich");
    let committed = created("append", ok("append", store.append_message(&input).await));
    let expected = input.with_seq(1);
    assert_eq!(committed, expected, "append returns every field");
    let back = ok(
        "message",
        store.message(&rid("room_1"), &mid("msg_rich")).await,
    );
    assert_eq!(
        back,
        Some(expected.clone()),
        "message() returns every field"
    );
    let page = ok(
        "page",
        store
            .messages_page(&rid("room_1"), &query(None, None, 10))
            .await,
    );
    assert_eq!(page.messages, vec![expected], "pages return every field");
    assert_eq!(
        ok(
            "message elsewhere",
            store.message(&rid("room_2"), &mid("msg_rich")).await
        ),
        None,
        "message() looks only in the given room"
    );
    assert_eq!(
        ok(
            "unknown message",
            store.message(&rid("room_1"), &mid("msg_no")).await
        ),
        None
    );
}

pub async fn update_message_replaces_status_text_data_and_updated_at(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let original = created(
        "append",
        ok(
            "append",
            store.append_message(&rich_message("room_1", "msg_r")).await,
        ),
    );
    let mut done = original.clone();
    done.status = MessageStatus::Complete;
    done.text = "final answer".to_string();
    done.data = None;
    done.updated_at = at(500);
    ok("update_message", store.update_message(&done).await);
    let back = ok("message", store.message(&rid("room_1"), &original.id).await);
    assert_eq!(
        back,
        Some(done.clone()),
        "status, text, data and updated_at replaced"
    );

    let mut ghost = done;
    ghost.id = mid("msg_ghost");
    expect_code(
        "update of an unknown message",
        store.update_message(&ghost).await,
        ErrorCode::NotFound,
    );
}

pub async fn page_after_seq_is_ascending_with_has_more(store: &dyn Store) {
    room_with_messages(store, 10, &[]).await;
    let r = rid("room_1");
    let page = ok("page", store.messages_page(&r, &query(None, None, 4)).await);
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![1, 2, 3, 4], true),
        "first page"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(4), None, 4)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![5, 6, 7, 8], true),
        "after 4"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(8), None, 4)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![9, 10], false),
        "last page"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(6), None, 4)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![7, 8, 9, 10], false),
        "exact fit"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(10), None, 4)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![], false),
        "caught up"
    );
    let page = ok(
        "page",
        store
            .messages_page(&rid("room_x"), &query(None, None, 4))
            .await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![], false),
        "unknown room: empty"
    );
}

pub async fn page_before_seq_is_the_messages_just_before(store: &dyn Store) {
    room_with_messages(store, 10, &[]).await;
    let r = rid("room_1");
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, Some(11), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![8, 9, 10], true),
        "the `limit` messages just before, ascending; older ones remain"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, Some(8), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![5, 6, 7], true),
        "before 8"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, Some(4), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![1, 2, 3], false),
        "exact fit"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, Some(3), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![1, 2], false),
        "the oldest"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, Some(1), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![], false),
        "nothing before 1"
    );
}

pub async fn page_between_after_and_before(store: &dyn Store) {
    room_with_messages(store, 10, &[]).await;
    let r = rid("room_1");
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(2), Some(9), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![3, 4, 5], true),
        "with both bounds the page starts after `after_seq`"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(Some(5), Some(9), 3)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![6, 7, 8], false),
        "has_more ignores messages at or beyond `before_seq`"
    );
}

pub async fn page_for_guests_hides_employee_only_messages(store: &dyn Store) {
    room_with_messages(store, 8, &[2, 3, 6]).await;
    let r = rid("room_1");
    let guest = |after, before, limit| PageQuery {
        include_employee_only: false,
        ..query(after, before, limit)
    };
    let page = ok("page", store.messages_page(&r, &guest(None, None, 3)).await);
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![1, 4, 5], true),
        "employees-only messages are skipped and do not count towards `limit`"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &guest(Some(5), None, 3)).await,
    );
    assert_eq!((seqs(&page.messages), page.has_more), (vec![7, 8], false));
    let page = ok(
        "page",
        store.messages_page(&r, &guest(None, Some(7), 2)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![4, 5], true),
        "backwards too"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &guest(Some(5), Some(7), 5)).await,
    );
    assert_eq!(
        (seqs(&page.messages), page.has_more),
        (vec![], false),
        "only hidden ones between"
    );
    let page = ok(
        "page",
        store.messages_page(&r, &query(None, None, 100)).await,
    );
    assert_eq!(
        seqs(&page.messages),
        (1..=8).collect::<Vec<u64>>(),
        "employees see all"
    );
}
