//! `update_issue` / `append_issue_event` contract: an issue's history only grows, and no
//! writer can drop a line another just added.

use futures::future::join_all;

use crate::error::ErrorCode;
use crate::model::{Conclusion, IssueEvent, IssueStatus, Tier};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, iid, issue};

use super::{expect_code, ok};

fn line(n: u32) -> IssueEvent {
    IssueEvent {
        at: at(i64::from(n)),
        event: format!("event-{n}"),
        by: "usr_alice".to_string(),
        note: Some(format!("note {n}")),
    }
}

pub async fn an_update_keeps_lines_appended_since_the_read(store: &dyn Store) {
    let original = issue("iss_1", &["room_1"]);
    ok("save", store.save_issue(&original).await);
    let stale = ok("read", store.issue(&iid("iss_1")).await).unwrap_or_else(|| panic!("no issue"));
    ok(
        "append",
        store.append_issue_event(&iid("iss_1"), &line(1)).await,
    );
    let mut changed = stale.clone();
    changed.tier = Tier::T2;
    changed.status = IssueStatus::Concluded;
    changed.conclusion = Some(Conclusion::Resolved);
    changed.ratings.clear();
    ok("update", store.update_issue(&changed).await);
    let stored = ok("read", store.issue(&iid("iss_1")).await).unwrap_or_else(|| panic!("no issue"));
    assert_eq!(
        (stored.tier, stored.status),
        (Tier::T2, IssueStatus::Concluded)
    );
    assert_eq!(stored.conclusion, Some(Conclusion::Resolved));
    assert!(stored.ratings.is_empty(), "ratings are replaced");
    assert_eq!(
        stored.history.len(),
        original.history.len() + 1,
        "the appended line survives"
    );
    assert_eq!(stored.history.last(), Some(&line(1)));
    assert_eq!(
        stored.room_ids, original.room_ids,
        "the room list is not touched"
    );
    expect_code(
        "update a missing issue",
        store.update_issue(&issue("iss_missing", &[])).await,
        ErrorCode::NotFound,
    );
    expect_code(
        "append to a missing issue",
        store
            .append_issue_event(&iid("iss_missing"), &line(2))
            .await,
        ErrorCode::NotFound,
    );
}

/// Eight appends at once from every handle: all eight land.
pub async fn concurrent_appends_all_land(stores: &[&dyn Store]) {
    ok(
        "save",
        stores[0].save_issue(&issue("iss_1", &["room_1"])).await,
    );
    let appends = (1..=8).map(|n| {
        let store = stores[n as usize % stores.len()];
        async move {
            ok(
                "append",
                store.append_issue_event(&iid("iss_1"), &line(n)).await,
            )
        }
    });
    join_all(appends).await;
    let stored =
        ok("read", stores[0].issue(&iid("iss_1")).await).unwrap_or_else(|| panic!("no issue"));
    for n in 1..=8 {
        assert!(stored.history.contains(&line(n)), "line {n} was lost");
    }
    assert_eq!(stored.history.len(), 9, "no line doubled");
}
