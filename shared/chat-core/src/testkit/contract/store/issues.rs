//! `RoomStore::list_issues` contract: the supervisor queues, filtered by tier and status,
//! newest first (ties broken by id, descending, as rooms are).

use crate::model::{Issue, IssueStatus, Tier};
use crate::ports::Store;
use crate::testkit::contract::fixtures::{at, issue};

use super::ok;

fn ids(issues: &[Issue]) -> Vec<&str> {
    issues.iter().map(|i| i.id.as_str()).collect()
}

async fn save(store: &dyn Store, id: &str, tier: Tier, status: IssueStatus, created: i64) -> Issue {
    let mut i = issue(id, &[]);
    i.tier = tier;
    i.status = status;
    i.created_at = at(created);
    ok("save_issue", store.save_issue(&i).await);
    i
}

pub async fn list_issues_filters_by_tier_and_status_newest_first(store: &dyn Store) {
    assert!(
        ok("list_issues empty", store.list_issues(None, None).await).is_empty(),
        "no issues yet"
    );
    let open_t1_old = save(store, "iss_a", Tier::T1, IssueStatus::Open, 0).await;
    save(store, "iss_b", Tier::T2, IssueStatus::Open, 10).await;
    save(store, "iss_c", Tier::T1, IssueStatus::Concluded, 20).await;
    save(store, "iss_d", Tier::T1, IssueStatus::Open, 30).await;
    save(store, "iss_e", Tier::T3, IssueStatus::Concluded, 40).await;
    // Same instant as iss_d: the id breaks the tie.
    save(store, "iss_f", Tier::T1, IssueStatus::Open, 30).await;

    let all = ok("list_issues all", store.list_issues(None, None).await);
    assert_eq!(
        ids(&all),
        ["iss_e", "iss_f", "iss_d", "iss_c", "iss_b", "iss_a"],
        "every issue, newest first, ties by id descending"
    );
    assert_eq!(
        all.last(),
        Some(&open_t1_old),
        "issues come back with every field"
    );
    let t1 = ok(
        "list_issues t1",
        store.list_issues(Some(Tier::T1), None).await,
    );
    assert_eq!(
        ids(&t1),
        ["iss_f", "iss_d", "iss_c", "iss_a"],
        "tier filter"
    );
    let open = ok(
        "list_issues open",
        store.list_issues(None, Some(IssueStatus::Open)).await,
    );
    assert_eq!(
        ids(&open),
        ["iss_f", "iss_d", "iss_b", "iss_a"],
        "status filter"
    );
    let open_t1 = ok(
        "list_issues t1 open",
        store
            .list_issues(Some(Tier::T1), Some(IssueStatus::Open))
            .await,
    );
    assert_eq!(ids(&open_t1), ["iss_f", "iss_d", "iss_a"], "both filters");
    let none = ok(
        "list_issues t3 open",
        store
            .list_issues(Some(Tier::T3), Some(IssueStatus::Open))
            .await,
    );
    assert!(none.is_empty(), "no match is an empty list: {none:?}");

    // Escalating and concluding move an issue between queues.
    save(store, "iss_a", Tier::T2, IssueStatus::Concluded, 0).await;
    let open_t1 = ok(
        "list_issues t1 open after save",
        store
            .list_issues(Some(Tier::T1), Some(IssueStatus::Open))
            .await,
    );
    assert_eq!(
        ids(&open_t1),
        ["iss_f", "iss_d"],
        "save_issue updates the filters"
    );
    let t2 = ok(
        "list_issues t2",
        store.list_issues(Some(Tier::T2), None).await,
    );
    assert_eq!(ids(&t2), ["iss_b", "iss_a"]);
}
