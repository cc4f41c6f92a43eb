//! `AuditStore` contract: an append-only log numbered 1, 2, 3… without gaps (however
//! many appenders), read back in pages by cursor and time.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::json;

use crate::model::AuditEntry;
use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, audit_entry};

use super::ok;

fn seqs(entries: &[AuditEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

pub async fn audit_entries_round_trip_numbered_from_one(store: &dyn Store) {
    assert!(
        ok("page of an empty log", store.audit_page(0, None, 10).await).is_empty(),
        "an empty log has no entries"
    );
    let full = audit_entry("usr_sup", "supervisor.observe", 0);
    let mut bare = audit_entry("operator", "admin.user-updated", 1);
    bare.room_id = None;
    bare.issue_id = None;
    bare.detail = json!(null);
    let mut listy = audit_entry("usr_alice", "login", 2);
    listy.room_id = None;
    listy.detail = json!(["a", 1, {"b": true}]);

    let mut appended = Vec::new();
    for (i, entry) in [&full, &bare, &listy].into_iter().enumerate() {
        let stored = ok("append_audit", store.append_audit(entry).await);
        assert_eq!(stored.seq, i as u64 + 1, "seqs start at 1 and count up");
        assert_eq!(&stored.entry, entry, "append returns the entry as given");
        appended.push(stored);
    }
    let page = ok("audit_page", store.audit_page(0, None, 10).await);
    assert_eq!(
        page, appended,
        "entries round-trip every field (times, ids, JSON detail), ascending"
    );
}

pub async fn audit_page_honours_after_seq_since_and_limit(store: &dyn Store) {
    // `at` is the caller's clock and need not follow seq order.
    for (i, secs) in [10, 20, 5, 30, 40].into_iter().enumerate() {
        let entry = audit_entry("usr_alice", &format!("action.{i}"), secs);
        ok("append_audit", store.append_audit(&entry).await);
    }
    let page = |after, since, limit| async move {
        seqs(&ok(
            "audit_page",
            store.audit_page(after, since, limit).await,
        ))
    };
    assert_eq!(page(0, None, 2).await, [1, 2], "limit caps the page");
    assert_eq!(page(2, None, 2).await, [3, 4], "after_seq is exclusive");
    assert_eq!(page(4, None, 2).await, [5], "the last page is short");
    assert!(page(5, None, 2).await.is_empty(), "past the end is empty");
    assert!(page(0, None, 0).await.is_empty(), "limit 0 is empty");
    assert_eq!(
        page(0, Some(at(20)), 10).await,
        [2, 4, 5],
        "since keeps entries at or after it"
    );
    assert_eq!(
        page(2, Some(at(20)), 1).await,
        [4],
        "since, after_seq and limit combine"
    );
    assert!(
        page(0, Some(at(41)), 10).await.is_empty(),
        "since after every entry"
    );
}

/// Eight appenders each append 25 entries at once: the seqs are exactly 1..=200, each
/// appender's seqs ascend, and the log pages back exactly what each append returned.
pub async fn concurrent_audit_appends_are_gapless(stores: &[&dyn Store]) {
    let first = *stores
        .first()
        .unwrap_or_else(|| panic!("pass at least one store handle"));
    const APPENDERS: usize = 8;
    const EACH: usize = 25;
    let results = join_all((0..APPENDERS).map(|a| {
        let store = stores[a % stores.len()];
        async move {
            let mut mine = Vec::new();
            for n in 0..EACH {
                let entry = audit_entry(&format!("usr_{a}"), &format!("act.{n}"), n as i64);
                mine.push(ok(
                    "concurrent append_audit",
                    store.append_audit(&entry).await,
                ));
            }
            mine
        }
    }))
    .await;

    let mut by_seq = BTreeMap::new();
    for (a, mine) in results.iter().enumerate() {
        assert!(
            mine.windows(2).all(|w| w[0].seq < w[1].seq),
            "appender {a}: later appends get later seqs: {:?}",
            seqs(mine)
        );
        for e in mine {
            assert!(
                by_seq.insert(e.seq, e.clone()).is_none(),
                "seq {} handed out twice",
                e.seq
            );
        }
    }
    let total = (APPENDERS * EACH) as u64;
    assert_eq!(
        by_seq.keys().copied().collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>(),
        "seqs are exactly 1..={total}"
    );
    let page = ok("audit_page", first.audit_page(0, None, 1000).await);
    assert_eq!(
        page,
        by_seq.into_values().collect::<Vec<_>>(),
        "the log holds exactly what each append returned, in seq order"
    );
}
