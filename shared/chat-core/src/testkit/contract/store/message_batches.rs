//! `MessageStore::append_messages` contract: a batch is numbered consecutively and
//! committed whole, resends return the originals, and concurrent single appends never
//! land between a batch's messages.

use futures::future::join_all;

use crate::error::ErrorCode;
use crate::model::{Message, NewMessage};
use crate::ports::{AppendedAll, Store};
use crate::testkit::contract::fixtures::{
    employee_member, message, message_with_client_id, mid, rid, seed_room,
};

use super::{expect_code, ok};

fn created(what: &str, appended: AppendedAll) -> Vec<Message> {
    match appended {
        AppendedAll::Created(m) => m,
        AppendedAll::Existing(m) => panic!("{what}: expected Created, got Existing({m:?})"),
    }
}

/// A request from `usr_alice` and a robot's answer to it, sharing a client id.
fn exchange(request: &str, response: &str, client: Option<&str>) -> Vec<NewMessage> {
    let (mut req, mut resp) = match client {
        Some(c) => (
            message_with_client_id("room_1", request, "usr_alice", c),
            message_with_client_id("room_1", response, "iStackBuddy.test.robot", c),
        ),
        None => (
            message("room_1", request, "usr_alice"),
            message("room_1", response, "iStackBuddy.test.robot"),
        ),
    };
    req.text = format!("question {request}");
    resp.text = String::new();
    resp.reply_to = Some(mid(request));
    vec![req, resp]
}

pub async fn a_batch_gets_consecutive_seqs_in_one_step(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    ok(
        "first single",
        store
            .append_message(&message("room_1", "msg_0", "usr_alice"))
            .await,
    );
    let batch = exchange("msg_q", "msg_a", None);
    let got = created("batch", ok("batch", store.append_messages(&batch).await));
    assert_eq!(
        got.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![2, 3],
        "a batch takes the next seqs, in the order given"
    );
    assert_eq!(got[1].reply_to, Some(mid("msg_q")));
    let room = ok("room", store.room(&rid("room_1")).await).unwrap_or_else(|| panic!("room gone"));
    assert_eq!(room.last_seq, 3, "the room's last_seq moves past the batch");
    for m in &got {
        let stored = ok("read back", store.message(&rid("room_1"), &m.id).await);
        assert_eq!(
            stored.as_ref(),
            Some(m),
            "each message of a batch is stored whole"
        );
    }
}

pub async fn a_resent_batch_returns_the_originals(store: &dyn Store) {
    seed_room(store, "room_1", 0, &[employee_member("usr_alice")]).await;
    let first = created(
        "batch",
        ok(
            "batch",
            store
                .append_messages(&exchange("msg_q", "msg_a", Some("c-1")))
                .await,
        ),
    );
    match ok(
        "resend",
        store
            .append_messages(&exchange("msg_q2", "msg_a2", Some("c-1")))
            .await,
    ) {
        AppendedAll::Existing(m) => assert_eq!(m, first, "a resend returns both originals"),
        AppendedAll::Created(m) => panic!("a resent batch created {m:?}"),
    }
    let room = ok("room", store.room(&rid("room_1")).await).unwrap_or_else(|| panic!("room gone"));
    assert_eq!(room.last_seq, 2, "a resend writes nothing");
    assert_eq!(
        ok(
            "message",
            store.message(&rid("room_1"), &mid("msg_a2")).await
        ),
        None
    );
}

pub async fn a_batch_for_a_missing_room_is_not_found(store: &dyn Store) {
    seed_room(store, "room_other", 0, &[employee_member("usr_alice")]).await;
    let err = store
        .append_messages(&exchange("msg_q", "msg_a", None))
        .await;
    expect_code("batch to a missing room", err, ErrorCode::NotFound);
}

/// Four batches of two and eight single messages at once, on every handle: seqs are
/// 1..=16 without gaps and each batch's pair is adjacent.
pub async fn concurrent_batches_stay_whole(stores: &[&dyn Store]) {
    seed_room(stores[0], "room_1", 0, &[employee_member("usr_alice")]).await;
    let batches: Vec<Vec<NewMessage>> = (0..4)
        .map(|i| exchange(&format!("msg_q{i}"), &format!("msg_a{i}"), None))
        .collect();
    let singles: Vec<NewMessage> = (0..8)
        .map(|i| message("room_1", &format!("msg_s{i}"), "usr_alice"))
        .collect();
    let batch_runs = batches.iter().enumerate().map(|(i, b)| {
        let store = stores[i % stores.len()];
        async move { ok("concurrent batch", store.append_messages(b).await) }
    });
    let single_runs = singles.iter().enumerate().map(|(i, m)| {
        let store = stores[i % stores.len()];
        async move { ok("concurrent single", store.append_message(m).await) }
    });
    let (batch_results, single_results) =
        futures::join!(join_all(batch_runs), join_all(single_runs));
    let mut seqs: Vec<u64> = single_results.iter().map(|a| a.message().seq).collect();
    for result in batch_results {
        let pair = created("concurrent batch", result);
        assert_eq!(
            pair[1].seq,
            pair[0].seq + 1,
            "nothing lands between a request and its response"
        );
        seqs.extend(pair.iter().map(|m| m.seq));
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=16).collect::<Vec<_>>(),
        "gapless under concurrency"
    );
}
