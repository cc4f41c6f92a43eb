//! Robots and files on the in-memory adapters, with the scripted `test.multi` robot
//! (four answers about a file, like the forms robot): the file a question names is
//! checked at the ask and handed to the robot; further answers arrive as their own
//! employees-only messages, files included; a redelivered job never doubles them.

use std::collections::BTreeMap;

use chat_core::ErrorCode;
use chat_core::ids::{ConnectionId, FileId, MessageId, RoomId};
use chat_core::model::{MessageStatus, UserRecord};
use chat_core::ports::Clock;
use chat_core::protocol::files::{CreateFileRequest, FileVariant};
use chat_core::testkit::harness::{T1, TestApp};
use chat_core::testkit::robots::MULTI;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Floor {
    t: TestApp,
    alice: UserRecord,
    alice_conn: ConnectionId,
    guest: UserRecord,
    guest_conn: ConnectionId,
    room: String,
}

async fn floor() -> Floor {
    let t = TestApp::new();
    let r = t.solo_room_with_guest("alice", "Dana").await;
    t.ok(
        &r.employee_conn,
        "robot.invite",
        json!({"roomId": r.room, "robot": MULTI}),
    )
    .await;
    t.events(&r.employee_conn);
    Floor {
        t,
        alice: r.employee,
        alice_conn: r.employee_conn,
        guest: r.guest,
        guest_conn: r.guest_conn,
        room: r.room,
    }
}

/// A completed file of `who`'s in `room`.
async fn upload(t: &TestApp, who: &UserRecord, room: &str, name: &str, bytes: &[u8]) -> FileId {
    let req: CreateFileRequest = serde_json::from_value(json!({
        "roomId": room, "name": name, "contentType": "application/json",
        "size": bytes.len(), "sha256": hex::encode(Sha256::digest(bytes)),
    }))
    .unwrap();
    let created = t.app.create_upload(who, req).await.unwrap();
    let headers: BTreeMap<String, String> = created.upload.headers.clone();
    t.blobs
        .accept_upload(&created.upload.url, &headers, bytes, t.clock.now())
        .unwrap();
    let done = t.app.complete_upload(who, &created.file_id).await.unwrap();
    assert_eq!(done.message.status, MessageStatus::Complete);
    created.file_id
}

/// The further answers (not the first, which was created pending at the ask).
fn answers_of<'a>(frames: &'a [Value], request_id: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|f| {
            f["type"] == "message.created"
                && f["message"]["replyTo"] == request_id
                && f["message"]["status"] == "complete"
        })
        .collect()
}

#[tokio::test]
async fn a_question_about_a_file_gets_four_employee_only_answers_in_order() {
    let f = floor().await;
    let form = br#"{"id": "5375703", "fields": []}"#;
    let file = upload(&f.t, &f.guest, &f.room, "form.json", form).await;
    f.t.events(&f.alice_conn);
    f.t.events(&f.guest_conn);
    let asked = f
        .t
        .ok(
            &f.alice_conn,
            "robot.ask",
            json!({"roomId": f.room, "robot": MULTI, "text": "what is wrong?", "args": {"fileId": file}}),
        )
        .await;
    let request_id = asked["request"]["id"].as_str().unwrap().to_string();
    let response_id = asked["response"]["id"].as_str().unwrap().to_string();
    f.t.run_jobs().await;
    let frames = f.t.events(&f.alice_conn);
    let more = answers_of(&frames, &request_id);
    let kinds: Vec<&str> = more
        .iter()
        .map(|m| m["message"]["contentType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["graph", "image", "file"], "{frames:?}");
    let updated = frames
        .iter()
        .find(|e| e["type"] == "message.updated" && e["message"]["id"] == response_id.as_str())
        .expect("the first answer completes");
    assert_eq!(
        updated["message"]["text"],
        format!("form.json is {} bytes", form.len())
    );
    // In the room's order: the first answer, then the others as given.
    let mut seqs = vec![updated["message"]["seq"].as_u64().unwrap()];
    seqs.extend(more.iter().map(|m| m["message"]["seq"].as_u64().unwrap()));
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for m in &more {
        assert_eq!(m["message"]["visibility"], "employees");
        assert_eq!(m["message"]["author"]["kind"], "robot");
        assert_eq!(m["message"]["status"], "complete");
    }
    // The guest heard nothing of it.
    let guest_frames = f.t.events(&f.guest_conn);
    assert!(
        guest_frames.iter().all(|e| !e.to_string().contains(&request_id)
            && !e.to_string().contains("drawing.svg")),
        "{guest_frames:?}"
    );

    // The image and the report are files employees can download, guests cannot.
    let image = &more[1]["message"]["data"];
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(40), Some(20))
    );
    let image_id = FileId::parse(image["fileId"].as_str().unwrap()).unwrap();
    let link =
        f.t.app
            .file_download(&f.alice, &image_id, FileVariant::Original)
            .await
            .unwrap();
    let (_, svg) =
        f.t.blobs
            .download(&link.download_url, f.t.clock.now())
            .unwrap();
    assert!(svg.starts_with(b"<svg"));
    let report_id = FileId::parse(more[2]["message"]["data"]["fileId"].as_str().unwrap()).unwrap();
    let refused =
        f.t.app
            .file_download(&f.guest, &report_id, FileVariant::Original)
            .await
            .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotFound);

    // Sharing the summary is what reaches the guest.
    f.t.ok(
        &f.alice_conn,
        "message.share",
        json!({"roomId": f.room, "messageId": response_id}),
    )
    .await;
    let shared = f.t.events(&f.guest_conn);
    assert!(
        shared.iter().any(|e| e["type"] == "message.created"
            && e["message"]["text"] == format!("form.json is {} bytes", form.len())),
        "{shared:?}"
    );
}

#[tokio::test]
async fn a_file_id_must_name_a_complete_file_of_the_same_room() {
    let f = floor().await;
    let bob = f.t.employee("bob", T1, &[]).await;
    let bob_conn = f.t.connect(&bob).await;
    let d = f
        .t
        .ok(&bob_conn, "room.create", json!({"kind": "solo", "title": "Other", "issue": {"title": "Other", "customerName": "Eve"}}))
        .await;
    let elsewhere = upload(
        &f.t,
        &bob,
        d["room"]["id"].as_str().unwrap(),
        "x.json",
        b"{}",
    )
    .await;
    for file in [
        json!(elsewhere),
        json!("file_nope"),
        json!(42),
        json!("../x"),
    ] {
        let code =
            f.t.refused(
                &f.alice_conn,
                "robot.ask",
                json!({"roomId": f.room, "robot": MULTI, "text": "?", "args": {"fileId": file}}),
            )
            .await;
        assert_eq!(code, "bad_request", "{file}");
    }
    // Without a file the robot fails with its reason; nothing else is posted.
    let asked =
        f.t.ok(
            &f.alice_conn,
            "robot.ask",
            json!({"roomId": f.room, "robot": MULTI, "text": "?"}),
        )
        .await;
    f.t.run_jobs().await;
    let frames = f.t.events(&f.alice_conn);
    let failed = frames
        .iter()
        .find(|e| e["type"] == "message.updated" && e["message"]["id"] == asked["response"]["id"])
        .unwrap();
    assert_eq!(failed["message"]["status"], "failed");
    assert!(answers_of(&frames, asked["request"]["id"].as_str().unwrap()).is_empty());
}

#[tokio::test]
async fn a_job_run_again_after_a_crash_does_not_double_the_answers() {
    let f = floor().await;
    let file = upload(&f.t, &f.alice, &f.room, "form.json", b"{\"fields\": []}").await;
    let asked =
        f.t.ok(
            &f.alice_conn,
            "robot.ask",
            json!({"roomId": f.room, "robot": MULTI, "text": "?", "args": {"fileId": file}}),
        )
        .await;
    let jobs = f.t.jobs.drain();
    let (job, _) = jobs
        .iter()
        .find(|(j, _)| matches!(j, chat_core::ports::Job::RobotAnswer { .. }))
        .unwrap();
    f.t.app
        .run_job(job, chat_core::Attempt::new(1, 5))
        .await
        .unwrap();
    // As if the worker died after posting the further answers but before the first
    // one was stored: the response is pending again when the job comes back.
    let room = RoomId::parse(f.room.clone()).unwrap();
    let response_id = MessageId::parse(asked["response"]["id"].as_str().unwrap()).unwrap();
    let mut response =
        f.t.store
            .message(&room, &response_id)
            .await
            .unwrap()
            .unwrap();
    response.status = MessageStatus::Pending;
    f.t.store.update_message(&response).await.unwrap();
    f.t.app
        .run_job(job, chat_core::Attempt::new(2, 5))
        .await
        .unwrap();

    let history =
        f.t.ok(
            &f.alice_conn,
            "history.get",
            json!({"roomId": f.room, "limit": 50}),
        )
        .await;
    let replies: Vec<&Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["replyTo"] == asked["request"]["id"])
        .collect();
    assert_eq!(
        replies.len(),
        4,
        "the first answer and three more: {history}"
    );
    let response =
        f.t.store
            .message(&room, &response_id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(response.status, MessageStatus::Complete);
}
