//! The store contract against `SqliteStore`: in memory, file-backed, and with two
//! connections racing on one file.

use std::sync::atomic::{AtomicUsize, Ordering};

use chat_core::ports::Store;
use chat_core::testkit::contract::store;
use chat_embedded::sqlite::SqliteStore;

#[tokio::test]
async fn in_memory_sqlite_meets_the_store_contract() {
    store::run_all(|| async {
        SqliteStore::open_in_memory().unwrap_or_else(|e| panic!("open in memory: {e}"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_sqlite_meets_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    store::run_all(|| {
        // A fresh file per check, in a nested folder `open` must create.
        let path = dir
            .path()
            .join(format!("check-{}", n.fetch_add(1, Ordering::Relaxed)))
            .join("chat.db");
        async move { SqliteStore::open(&path).unwrap_or_else(|e| panic!("open {path:?}: {e}")) }
    })
    .await;
}

/// Two independent connections (as the gateway and the admin CLI would hold) on one
/// file: the races must hold across connections, not only behind one mutex.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connections_on_one_file_keep_the_races_safe() {
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| {
        let path = dir.path().join(name).join("chat.db");
        let a = SqliteStore::open(&path).unwrap();
        let b = SqliteStore::open(&path).unwrap();
        (a, b)
    };
    let (a, b) = open("appends");
    store::messages::concurrent_appends_are_gapless(&[&a as &dyn Store, &b]).await;
    let (a, b) = open("removals");
    store::rooms::concurrent_removals_leave_exactly_one_employee(&[&a as &dyn Store, &b]).await;
    let (a, b) = open("tickets");
    store::tickets::concurrent_takes_have_one_winner(&[&a as &dyn Store, &b]).await;
    let (a, b) = open("joins");
    store::guests::guest_joining_while_the_last_employee_leaves_is_never_alone(&[
        &a as &dyn Store,
        &b,
    ])
    .await;
    let (a, b) = open("invites");
    store::invites::concurrent_invite_takes_have_one_winner(&[&a as &dyn Store, &b]).await;
    let (a, b) = open("audience");
    store::connections::the_audience_follows_changes_made_through(&a, &b).await;
    let (a, b) = open("audit");
    store::audit::concurrent_audit_appends_are_gapless(&[&a as &dyn Store, &b]).await;
    let (a, b) = open("files");
    store::files::concurrent_completions_have_one_winner(&[&a as &dyn Store, &b]).await;
}
