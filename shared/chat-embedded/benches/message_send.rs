//! `message.send` through the whole core (parse → rate limit → identity re-check →
//! membership → append → fan-out), for rooms of growing size, on two stores:
//! - `memory`: the domain's own cost per message;
//! - `sqlite`: the embedded store as the local gateway runs it (a file in a temp folder,
//!   WAL, `synchronous=FULL`: one fsync per committed message).
//!
//! Fan-out should grow with the connections C in the room and not with other rooms,
//! which the `busy_neighbours` case checks. Push is a recorder, so socket cost is
//! excluded (the `chat-load` tool measures the whole gateway).
//!
//! Run: `cargo bench -p chat-embedded --bench message_send`

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;

use chat_core::ports::Store;
use chat_core::testkit::harness::{T1, TestApp, test_config};
use chat_core::testkit::memory::MemoryStore;
use chat_embedded::sqlite::SqliteStore;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A room with `members` employees, each with one connection; returns the sender's
/// connection and the room id. `other_rooms` adds unrelated busy rooms beside it.
async fn setup(
    t: &TestApp,
    members: usize,
    other_rooms: usize,
) -> (chat_core::ids::ConnectionId, String) {
    let owner = t.employee("owner", T1, &[]).await;
    let c = t.connect(&owner).await;
    let d = t
        .ok(
            &c,
            "room.create",
            json!({"kind": "group", "title": "bench"}),
        )
        .await;
    let room = d["room"]["id"].as_str().unwrap_or_default().to_string();
    for i in 1..members {
        let u = t.employee(&format!("member{i}"), T1, &[]).await;
        t.connect(&u).await;
        t.ok(
            &c,
            "room.invite",
            json!({"roomId": room, "userId": u.identity.user_id.to_string()}),
        )
        .await;
    }
    for r in 0..other_rooms {
        let u = t.employee(&format!("other{r}"), T1, &[]).await;
        let oc = t.connect(&u).await;
        t.ok(
            &oc,
            "room.create",
            json!({"kind": "group", "title": "elsewhere"}),
        )
        .await;
    }
    (c, room)
}

/// One case's app, sender connection and room, built on first use.
struct Case {
    app: TestApp,
    conn: chat_core::ids::ConnectionId,
    room: String,
}

fn bench_send(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp folder");
    let mut group = c.benchmark_group("message_send");
    let cases = [(2, 0), (10, 0), (50, 0), (10, 200)];
    for (store_kind, (members, others)) in ["memory", "sqlite"]
        .into_iter()
        .flat_map(|k| cases.into_iter().map(move |c| (k, c)))
    {
        let label = if others == 0 {
            format!("{store_kind}/members")
        } else {
            format!("{store_kind}/members_with_{others}_busy_neighbours")
        };
        // Built inside the routine, so a filtered run (`cargo bench -- sqlite`, or the
        // test suite running one case at a time) sets up only the cases it measures.
        let mut case: Option<Case> = None;
        let mut n = 0u64;
        group.bench_with_input(BenchmarkId::new(label, members), &members, |b, _| {
            let Case { app: t, conn, room } = case.get_or_insert_with(|| {
                let store: Arc<dyn Store> = match store_kind {
                    "memory" => Arc::new(MemoryStore::new()),
                    _ => Arc::new(
                        SqliteStore::open(&dir.path().join(format!("bench-{members}-{others}.db")))
                            .expect("sqlite store"),
                    ),
                };
                let mut cfg = test_config();
                cfg.limits.actions_per_second = 0;
                let app = TestApp::with_store(store, cfg);
                let (conn, room) = rt.block_on(setup(&app, members, others));
                Case { app, conn, room }
            });
            b.iter(|| {
                n += 1;
                let frame = format!(
                    r#"{{"action":"message.send","requestId":"r{n}","roomId":"{room}","clientMsgId":"m{n}","text":"hello"}}"#
                );
                rt.block_on(t.app.handle_frame(conn, &frame));
                // Drop the recorded frames so memory stays flat across iterations.
                t.push.clear();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_send);
criterion_main!(benches);
