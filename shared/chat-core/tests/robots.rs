//! Robots on the in-memory adapters with the scripted robots: invite, ask, the answer
//! job (streaming, batch, failure, timeout, redelivery), share, and that a guest never
//! receives a byte of any of it.

use std::time::Duration;

use chat_core::ids::{ConnectionId, MessageId, RoomId};
use chat_core::ports::Job;
use chat_core::testkit::contract::robots as contract;
use chat_core::testkit::harness::{T1, TestApp, test_config};
use chat_core::testkit::robots::{BATCH, ECHO, FAIL, GRAPH, HANG, ScriptedRobots};
use chat_core::{Attempt, RobotSettings};
use serde_json::{Value, json};

struct Floor {
    t: TestApp,
    alice: ConnectionId,
    guest: ConnectionId,
    room: String,
}

async fn floor(t: TestApp) -> Floor {
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let d = t
        .ok(&ca, "room.create", json!({"kind": "solo", "title": "Dana's form", "issue": {"title": "Form 42 will not submit", "customerName": "Dana"}}))
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    let d = t
        .ok(
            &ca,
            "room.inviteGuest",
            json!({"roomId": room, "displayName": "Dana"}),
        )
        .await;
    let (_, guest) = t
        .guest_joins(d["inviteCode"].as_str().unwrap(), "Dana")
        .await;
    t.events(&ca);
    t.events(&guest);
    Floor {
        t,
        alice: ca,
        guest,
        room,
    }
}

async fn with_robot(robot: &str) -> Floor {
    let f = floor(TestApp::new()).await;
    f.t.ok(
        &f.alice,
        "robot.invite",
        json!({"roomId": f.room, "robot": robot}),
    )
    .await;
    f.t.events(&f.alice);
    f.t.events(&f.guest);
    f
}

fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

/// Nothing `frames` holds mentions any of `ids` or `texts`.
fn mentions_none(frames: &[Value], ids: &[&str], texts: &[&str]) {
    for f in frames {
        let raw = f.to_string();
        for needle in ids.iter().chain(texts) {
            assert!(
                !raw.contains(needle),
                "a guest frame leaks {needle:?}: {raw}"
            );
        }
    }
}

#[tokio::test]
async fn the_scripted_robots_keep_the_robots_contract() {
    let robots = ScriptedRobots::new(Duration::ZERO);
    contract::catalog_is_well_formed(&robots);
    contract::every_robot_answers_or_fails_readably(&robots, Duration::from_secs(5), &[HANG]).await;
}

#[tokio::test]
async fn only_employees_list_invite_and_ask() {
    let f = floor(TestApp::new()).await;
    let listed = f.t.ok(&f.alice, "robot.list", json!({})).await;
    let names: Vec<&str> = listed["robots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&ECHO) && names.contains(&BATCH));
    assert_eq!(listed["robots"][0]["delivery"], "streaming");
    assert_eq!(
        f.t.refused(&f.guest, "robot.list", json!({})).await,
        "forbidden"
    );
    let guest_invite = json!({"roomId": f.room, "robot": ECHO});
    assert_eq!(
        f.t.refused(&f.guest, "robot.invite", guest_invite.clone())
            .await,
        "forbidden"
    );
    assert_eq!(
        f.t.refused(
            &f.alice,
            "robot.invite",
            json!({"roomId": f.room, "robot": "no.such"})
        )
        .await,
        "not_found"
    );
    let ask = json!({"roomId": f.room, "robot": ECHO, "text": "hi"});
    assert_eq!(
        f.t.refused(&f.alice, "robot.ask", ask.clone()).await,
        "conflict",
        "not invited yet"
    );
    let room = f.t.ok(&f.alice, "robot.invite", guest_invite).await;
    let robot = room["room"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == ECHO)
        .cloned()
        .unwrap();
    assert_eq!(robot["kind"], "robot");
    assert_eq!(
        f.t.refused(&f.guest, "robot.ask", ask.clone()).await,
        "forbidden"
    );
    assert_eq!(
        f.t.refused(
            &f.guest,
            "robot.remove",
            json!({"roomId": f.room, "robot": ECHO})
        )
        .await,
        "forbidden"
    );
    // The guest sees the robot among the members, not the employees' note about it.
    let guest_frames = f.t.events(&f.guest);
    assert!(
        of_type(&guest_frames, "message.created").is_empty(),
        "{guest_frames:?}"
    );
    f.t.ok(
        &f.alice,
        "robot.remove",
        json!({"roomId": f.room, "robot": ECHO}),
    )
    .await;
    assert_eq!(
        f.t.refused(&f.alice, "robot.ask", ask).await,
        "conflict",
        "removed again"
    );
}

#[tokio::test]
async fn a_streamed_answer_reaches_employees_only_in_order() {
    let f = with_robot(ECHO).await;
    let text = "one two three four five six";
    let reply =
        f.t.ok(
            &f.alice,
            "robot.ask",
            json!({"roomId": f.room, "robot": ECHO, "text": text}),
        )
        .await;
    assert_eq!(reply["request"]["visibility"], "employees");
    assert_eq!(reply["response"]["visibility"], "employees");
    assert_eq!(reply["response"]["status"], "streaming");
    assert_eq!(reply["response"]["replyTo"], reply["request"]["id"]);
    assert_eq!(reply["response"]["author"]["kind"], "robot");
    assert_eq!(f.t.run_jobs().await, 1);
    let frames = f.t.events(&f.alice);
    let deltas = of_type(&frames, "message.delta");
    assert!(!deltas.is_empty());
    let joined: String = deltas
        .iter()
        .enumerate()
        .map(|(i, d)| {
            assert_eq!(d["index"], i as u64, "deltas come in order");
            d["text"].as_str().unwrap().to_string()
        })
        .collect();
    let updated = of_type(&frames, "message.updated");
    assert_eq!(updated.len(), 1);
    let answer = &updated[0]["message"];
    assert_eq!(answer["status"], "complete");
    assert_eq!(answer["text"], text);
    assert_eq!(joined, text, "the deltas join up to the final text");
    assert!(deltas.len() + updated.len() <= 20);
    let ids = [
        reply["request"]["id"].as_str().unwrap(),
        reply["response"]["id"].as_str().unwrap(),
    ];
    let guest_frames = f.t.events(&f.guest);
    mentions_none(&guest_frames, &ids, &[text]);
    let history =
        f.t.ok(&f.guest, "history.get", json!({"roomId": f.room}))
            .await;
    mentions_none(history["messages"].as_array().unwrap(), &ids, &[text]);
    let employee_history =
        f.t.ok(&f.alice, "history.get", json!({"roomId": f.room}))
            .await;
    assert!(employee_history.to_string().contains(ids[1]));
}

#[tokio::test]
async fn a_long_stream_costs_at_most_twenty_pushes() {
    let f = with_robot(ECHO).await;
    // 400 words with a pause each: long enough for the coalescer's budget to matter.
    f.t.ok(
        &f.alice,
        "robot.ask",
        json!({"roomId": f.room, "robot": ECHO, "text": "word", "args": {"repeat": 2000}}),
    )
    .await;
    f.t.run_jobs().await;
    let frames = f.t.events(&f.alice);
    let pushes =
        of_type(&frames, "message.delta").len() + of_type(&frames, "message.updated").len();
    assert!(pushes <= 20, "{pushes} pushes for one answer");
    let updated = of_type(&frames, "message.updated");
    assert_eq!(
        updated[0]["message"]["text"]
            .as_str()
            .unwrap()
            .split(' ')
            .count(),
        2000
    );
}

#[tokio::test]
async fn batch_failing_hanging_and_typed_answers() {
    let mut config = test_config();
    config.robots = RobotSettings {
        answer_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let f = floor(TestApp::with_config(config)).await;
    for robot in [BATCH, FAIL, HANG, GRAPH] {
        f.t.ok(
            &f.alice,
            "robot.invite",
            json!({"roomId": f.room, "robot": robot}),
        )
        .await;
    }
    let ask = |robot: &str| json!({"roomId": f.room, "robot": robot, "text": "why?"});
    let batch = f.t.ok(&f.alice, "robot.ask", ask(BATCH)).await;
    assert_eq!(batch["response"]["status"], "pending");
    assert_eq!(batch["response"]["delivery"], "batch-delay");
    f.t.ok(&f.alice, "robot.ask", ask(FAIL)).await;
    f.t.ok(&f.alice, "robot.ask", ask(HANG)).await;
    f.t.ok(&f.alice, "robot.ask", ask(GRAPH)).await;
    f.t.events(&f.alice);
    assert_eq!(f.t.run_jobs().await, 4);
    let frames = f.t.events(&f.alice);
    let by_robot = |robot: &str| -> Value {
        of_type(&frames, "message.updated")
            .into_iter()
            .find(|u| u["message"]["author"]["id"] == robot)
            .map(|u| u["message"].clone())
            .unwrap_or_else(|| panic!("no update for {robot}"))
    };
    assert_eq!(by_robot(BATCH)["status"], "complete");
    assert!(
        by_robot(BATCH)["text"]
            .as_str()
            .unwrap()
            .contains("answer for Dana"),
        "the robot got the issue's metadata"
    );
    assert_eq!(by_robot(FAIL)["status"], "failed");
    assert_eq!(by_robot(FAIL)["text"], "the test robot failed on purpose");
    assert_eq!(by_robot(HANG)["status"], "failed");
    assert!(
        by_robot(HANG)["text"]
            .as_str()
            .unwrap()
            .contains("did not answer within")
    );
    assert_eq!(by_robot(GRAPH)["contentType"], "graph");
    assert_eq!(by_robot(GRAPH)["data"]["edges"][0]["kind"], "logic");
    assert!(
        of_type(&frames, "message.delta")
            .iter()
            .all(|d| d["messageId"] != batch["response"]["id"]),
        "batch answers have no deltas"
    );
    assert!(of_type(&f.t.events(&f.guest), "message.updated").is_empty());
}

#[tokio::test]
async fn a_redelivered_job_changes_nothing_and_an_exhausted_one_fails_the_answer() {
    let f = with_robot(BATCH).await;
    let reply =
        f.t.ok(
            &f.alice,
            "robot.ask",
            json!({"roomId": f.room, "robot": BATCH, "text": "q"}),
        )
        .await;
    let jobs = f.t.jobs.drain();
    let (job, _) = jobs.first().cloned().unwrap();
    f.t.app.run_job(&job, Attempt::new(1, 5)).await.unwrap();
    f.t.events(&f.alice);
    f.t.app.run_job(&job, Attempt::new(2, 5)).await.unwrap();
    assert!(
        f.t.events(&f.alice).is_empty(),
        "a redelivery pushes nothing"
    );
    let room = RoomId::parse(f.room.clone()).unwrap();
    let id = MessageId::parse(reply["response"]["id"].as_str().unwrap()).unwrap();
    let stored = f.t.store.message(&room, &id).await.unwrap().unwrap();
    assert_eq!(stored.status, chat_core::model::MessageStatus::Complete);
    let history =
        f.t.ok(&f.alice, "history.get", json!({"roomId": f.room}))
            .await;
    let answers = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"]["id"] == BATCH)
        .count();
    assert_eq!(answers, 1, "never a second answer");

    let second =
        f.t.ok(
            &f.alice,
            "robot.ask",
            json!({"roomId": f.room, "robot": BATCH, "text": "q2"}),
        )
        .await;
    let (job, _) = f.t.jobs.drain().first().cloned().unwrap();
    f.t.app.run_job(&job, Attempt::new(6, 5)).await.unwrap();
    let id = MessageId::parse(second["response"]["id"].as_str().unwrap()).unwrap();
    let stored = f.t.store.message(&room, &id).await.unwrap().unwrap();
    assert_eq!(
        stored.status,
        chat_core::model::MessageStatus::Failed,
        "a job past its attempts fails its answer"
    );
    assert!(matches!(job, Job::RobotAnswer { .. }));
}

#[tokio::test]
async fn a_retried_ask_returns_the_first_exchange() {
    let f = with_robot(BATCH).await;
    let ask = json!({"roomId": f.room, "robot": BATCH, "text": "q", "clientMsgId": "ask-1"});
    let first = f.t.ok(&f.alice, "robot.ask", ask.clone()).await;
    let again = f.t.ok(&f.alice, "robot.ask", ask).await;
    assert_eq!(first, again);
    assert_eq!(
        f.t.jobs.drain().len(),
        2,
        "the unfinished answer's job is queued again"
    );
    let history =
        f.t.ok(&f.alice, "history.get", json!({"roomId": f.room}))
            .await;
    assert_eq!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["author"]["id"] == BATCH)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_share_reaches_the_guest_without_the_original() {
    let f = with_robot(BATCH).await;
    let reply =
        f.t.ok(
            &f.alice,
            "robot.ask",
            json!({"roomId": f.room, "robot": BATCH, "text": "q"}),
        )
        .await;
    let answer_id = reply["response"]["id"].as_str().unwrap().to_string();
    let share = json!({"roomId": f.room, "messageId": answer_id});
    assert_eq!(
        f.t.refused(&f.alice, "message.share", share.clone()).await,
        "conflict",
        "not answered yet"
    );
    f.t.run_jobs().await;
    f.t.events(&f.alice);
    f.t.events(&f.guest);
    assert_eq!(
        f.t.refused(&f.guest, "message.share", share.clone()).await,
        "forbidden"
    );
    let edited =
        json!({"roomId": f.room, "messageId": answer_id, "text": "Dana, here is what we found"});
    let shared = f.t.ok(&f.alice, "message.share", edited).await;
    assert_eq!(shared["message"]["sharedFrom"], answer_id.as_str());
    assert_eq!(shared["message"]["visibility"], "everyone");
    let guest_frames = f.t.events(&f.guest);
    let created = of_type(&guest_frames, "message.created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["message"]["text"], "Dana, here is what we found");
    mentions_none(&guest_frames, &[&answer_id], &["answer for"]);
    let alice_frames = f.t.events(&f.alice);
    assert_eq!(
        of_type(&alice_frames, "message.created")[0]["message"]["sharedFrom"],
        answer_id.as_str()
    );
    let history =
        f.t.ok(&f.guest, "history.get", json!({"roomId": f.room}))
            .await;
    mentions_none(
        history["messages"].as_array().unwrap(),
        &[&answer_id],
        &["answer for"],
    );
    // The original is unchanged, and the share is audited.
    let room = RoomId::parse(f.room.clone()).unwrap();
    let original =
        f.t.store
            .message(&room, &MessageId::parse(answer_id.clone()).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(original.text.starts_with("answer for"));
    let audit = f.t.store.audit_page(0, None, 100).await.unwrap();
    assert!(
        audit.iter().any(|e| e.entry.action == "message.share"
            && e.entry.detail["original"] == answer_id.as_str())
    );
    assert_eq!(
        f.t.refused(
            &f.alice,
            "message.share",
            json!({"roomId": f.room, "messageId": shared["message"]["id"]})
        )
        .await,
        "conflict",
        "already for everyone"
    );
}

#[tokio::test]
async fn a_reply_everyone_sees_cannot_point_at_an_employee_only_message() {
    let f = with_robot(BATCH).await;
    let reply =
        f.t.ok(
            &f.alice,
            "robot.ask",
            json!({"roomId": f.room, "robot": BATCH, "text": "q"}),
        )
        .await;
    let hidden = reply["response"]["id"].clone();
    let send = |visibility: &str, id: &str| json!({"roomId": f.room, "clientMsgId": id, "text": "see above", "replyTo": hidden, "visibility": visibility});
    assert_eq!(
        f.t.refused(&f.alice, "message.send", send("everyone", "r1"))
            .await,
        "bad_request"
    );
    f.t.ok(&f.alice, "message.send", send("employees", "r2"))
        .await;
    assert_eq!(
        f.t.refused(&f.guest, "message.send", send("everyone", "r3"))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn robots_get_the_issue_s_latest_diagnostics_not_the_conversation() {
    use chat_core::model::{
        Author, AuthorKind, ContentType, Delivery, FORMS_DIAGNOSTICS_ROBOT, MessageStatus,
        NewMessage, Visibility,
    };
    let f = with_robot(BATCH).await;
    f.t.ok(
        &f.guest,
        "message.send",
        json!({"roomId": f.room, "clientMsgId": "g1", "text": "my secret guest words"}),
    )
    .await;
    let room = RoomId::parse(f.room.clone()).unwrap();
    for (id, observation) in [
        ("msg_diag_old", "an old finding"),
        ("msg_diag_new", "Field 12 is hidden by a rule"),
    ] {
        let diagnostics = NewMessage {
            id: MessageId::parse(id).unwrap(),
            room_id: room.clone(),
            client_msg_id: None,
            author: Author {
                id: FORMS_DIAGNOSTICS_ROBOT.into(),
                kind: AuthorKind::Robot,
                display_name: FORMS_DIAGNOSTICS_ROBOT.into(),
            },
            content_type: ContentType::Chat,
            delivery: Delivery::BatchDelay,
            status: MessageStatus::Complete,
            visibility: Visibility::Employees,
            text: "diagnostics".into(),
            data: Some(json!({"observations": [observation]})),
            reply_to: None,
            shared_from: None,
            created_at: chrono::Utc::now(),
        };
        f.t.store.append_message(&diagnostics).await.unwrap();
    }
    f.t.ok(
        &f.alice,
        "robot.ask",
        json!({"roomId": f.room, "robot": BATCH, "text": "q"}),
    )
    .await;
    f.t.run_jobs().await;
    let frames = f.t.events(&f.alice);
    let answer = of_type(&frames, "message.updated")[0]["message"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        answer.ends_with("[diagnostics: Field 12 is hidden by a rule]"),
        "{answer}"
    );
    assert!(
        !answer.contains("my secret guest words"),
        "never the transcript"
    );
}
