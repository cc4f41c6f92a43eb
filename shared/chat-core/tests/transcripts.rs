//! Transcripts on the in-memory adapters (issue 13): a room's or an issue's
//! conversation as JSON or Markdown, for supervisors (audited) and employee members;
//! nobody else learns the room exists.

use chat_core::ErrorCode;
use chat_core::ids::{IssueId, RoomId};
use chat_core::model::{Role, UserRecord, Visibility};
use chat_core::service::transcripts::{Transcript, TranscriptFormat};
use chat_core::testkit::harness::{T1, T2, TestApp, test_config};
use serde_json::json;

fn json_of<T>(t: Transcript<T>) -> T {
    match t {
        Transcript::Json(body) => body,
        Transcript::Markdown(md) => panic!("asked for JSON, got Markdown:\n{md}"),
    }
}

fn markdown_of<T>(t: Transcript<T>) -> String {
    match t {
        Transcript::Markdown(md) => md,
        Transcript::Json(_) => panic!("asked for Markdown, got JSON"),
    }
}

/// Alice opens a solo room for customer Jane Doe, guest John joins and writes,
/// Alice leaves an internal note.
struct Conversation {
    room: RoomId,
    issue: IssueId,
    alice: UserRecord,
    john: UserRecord,
    alice_conn: chat_core::ids::ConnectionId,
}

async fn conversation(t: &TestApp) -> Conversation {
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let d = t
        .ok(
            &ca,
            "room.create",
            json!({"kind": "solo", "title": "Form help", "issue": {"title": "Hidden fields", "customerName": "Jane Doe"}}),
        )
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    let issue = d["issue"]["id"].as_str().unwrap().to_string();
    let code = t.ok(&ca, "room.inviteGuest", json!({"roomId": room})).await["inviteCode"]
        .as_str()
        .unwrap()
        .to_string();
    let (john, cg) = t.guest_joins(&code, "John Q").await;
    t.ok(
        &cg,
        "message.send",
        json!({"roomId": room, "clientMsgId": "g1", "text": "it broke\n# Injected heading\n> and a quote"}),
    )
    .await;
    t.ok(
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "n1", "text": "internal: check the logic tab", "visibility": "employees"}),
    )
    .await;
    Conversation {
        room: RoomId::parse(room).unwrap(),
        issue: IssueId::parse(issue).unwrap(),
        alice,
        john,
        alice_conn: ca,
    }
}

#[tokio::test]
async fn a_supervisor_reads_any_room_as_json_or_markdown_and_each_read_is_audited() {
    let t = TestApp::new();
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let c = conversation(&t).await;

    let body = json_of(
        t.app
            .room_transcript(&sam, &c.room, TranscriptFormat::Json)
            .await
            .unwrap(),
    );
    assert_eq!((&body.room.id, &body.issue.id), (&c.room, &c.issue));
    assert_eq!(body.issue.customer_name.as_deref(), Some("Jane Doe"));
    let seqs: Vec<u64> = body.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert!(
        body.messages
            .iter()
            .any(|m| m.visibility == Visibility::Employees),
        "supervisors see employees-only messages"
    );
    let wire = serde_json::to_value(&body).unwrap();
    for key in ["id", "title", "kind", "status", "createdAt", "issueId"] {
        assert!(wire["room"].get(key).is_some(), "room.{key} in {wire}");
    }
    assert_eq!(wire["issue"]["customerName"], "Jane Doe");
    assert!(wire["issue"]["history"].is_array());

    let md = markdown_of(
        t.app
            .room_transcript(&sam, &c.room, TranscriptFormat::Markdown)
            .await
            .unwrap(),
    );
    assert!(md.starts_with("# Transcript: Form help\n"), "{md}");
    assert!(md.contains("- **Customer:** Jane Doe"), "{md}");
    assert!(md.contains("## Room: Form help"), "{md}");
    assert!(md.contains("John Q** (guest): it broke"), "{md}");
    assert!(
        md.contains("(employee, employees only): internal: check the logic tab"),
        "{md}"
    );
    assert!(
        md.contains("(system):"),
        "joins are in the transcript: {md}"
    );
    assert!(md.contains("\\# Injected heading"), "{md}");
    assert!(
        !md.lines().any(
            |l| l.trim_start().starts_with("# Injected") || l.trim_start().starts_with("> and")
        ),
        "a guest must not add headings or quotes: {md}"
    );

    let audit = t.app.audit_log(&sam, None, Some(500)).await.unwrap();
    let formats: Vec<String> = audit
        .entries
        .iter()
        .filter(|e| {
            e.entry.action == "supervisor.transcript"
                && e.entry.actor == sam.identity.user_id.as_str()
                && e.entry.room_id.as_ref() == Some(&c.room)
                && e.entry.issue_id.as_ref() == Some(&c.issue)
        })
        .map(|e| e.entry.detail["format"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(formats, ["json", "markdown"]);
}

#[tokio::test]
async fn members_read_their_transcripts_and_nobody_else_learns_the_room_exists() {
    let t = TestApp::new();
    let bob = t.employee("bob", T2, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let c = conversation(&t).await;

    let mine = json_of(
        t.app
            .room_transcript(&c.alice, &c.room, TranscriptFormat::Json)
            .await
            .unwrap(),
    );
    assert!(
        mine.messages
            .iter()
            .any(|m| m.visibility == Visibility::Employees),
        "employees see employees-only messages"
    );
    let issue_md = markdown_of(
        t.app
            .issue_transcript(&c.alice, &c.issue, TranscriptFormat::Markdown)
            .await
            .unwrap(),
    );
    assert!(issue_md.contains("## Room: Form help"), "{issue_md}");
    let audit = t.app.audit_log(&sam, None, Some(500)).await.unwrap();
    assert!(
        !audit
            .entries
            .iter()
            .any(|e| e.entry.action == "supervisor.transcript"),
        "a member's read is not a supervisor action"
    );

    // A non-member employee: the same answer as for a room that does not exist.
    let missing_room = RoomId::parse("room_nope").unwrap();
    let missing_issue = IssueId::parse("iss_nope").unwrap();
    for room in [&c.room, &missing_room] {
        let err = t
            .app
            .room_transcript(&bob, room, TranscriptFormat::Json)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.public_message()),
            (ErrorCode::NotFound, "no such room".into()),
            "{room}"
        );
    }
    for issue in [&c.issue, &missing_issue] {
        let err = t
            .app
            .issue_transcript(&bob, issue, TranscriptFormat::Markdown)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.public_message()),
            (ErrorCode::NotFound, "no such issue".into()),
            "{issue}"
        );
    }
    assert_eq!(
        t.app
            .room_transcript(&sam, &missing_room, TranscriptFormat::Json)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );

    // The guest is a member of the room, yet transcripts are for employees.
    assert_eq!(
        t.app
            .room_transcript(&c.john, &c.room, TranscriptFormat::Json)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    assert_eq!(
        t.app
            .issue_transcript(&c.john, &c.issue, TranscriptFormat::Markdown)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
}

#[tokio::test]
async fn an_issue_transcript_spans_its_rooms_and_every_page_of_each() {
    // Pages of two: a transcript must walk all of them.
    let mut config = test_config();
    config.limits.history_max = 2;
    config.limits.history_default = 2;
    let t = TestApp::with_config(config);
    let bob = t.employee("bob", T2, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let c = conversation(&t).await;
    for i in 0..5 {
        t.ok(
            &c.alice_conn,
            "message.send",
            json!({"roomId": c.room, "clientMsgId": format!("m{i}"), "text": format!("first room {i}")}),
        )
        .await;
    }
    let second = t
        .ok(
            &c.alice_conn,
            "room.create",
            json!({"kind": "group", "title": "Second look", "issueId": c.issue}),
        )
        .await["room"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = RoomId::parse(second).unwrap();
    t.ok(
        &c.alice_conn,
        "room.invite",
        json!({"roomId": second, "userId": bob.identity.user_id}),
    )
    .await;
    t.ok(
        &c.alice_conn,
        "message.send",
        json!({"roomId": second, "clientMsgId": "s1", "text": "over here", "visibility": "employees"}),
    )
    .await;

    let body = json_of(
        t.app
            .issue_transcript(&sam, &c.issue, TranscriptFormat::Json)
            .await
            .unwrap(),
    );
    let rooms: Vec<&RoomId> = body.rooms.iter().map(|s| &s.room.id).collect();
    assert_eq!(rooms, [&c.room, &second]);
    for section in &body.rooms {
        let last_seq = t
            .store
            .room(&section.room.id)
            .await
            .unwrap()
            .unwrap()
            .last_seq;
        let seqs: Vec<u64> = section.messages.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=last_seq).collect::<Vec<_>>(),
            "{}",
            section.room.id
        );
    }
    assert!(body.rooms[0].messages.len() > 5);
    assert_eq!(body.issue.room_ids.len(), 2);

    // Bob is a member of the second room only: he reads the issue (both rooms)
    // but not the first room on its own.
    let md = markdown_of(
        t.app
            .issue_transcript(&bob, &c.issue, TranscriptFormat::Markdown)
            .await
            .unwrap(),
    );
    assert!(
        md.starts_with("# Issue transcript: Hidden fields\n"),
        "{md}"
    );
    let first = md.find("## Room: Form help").expect("first room");
    let second_heading = md.find("## Room: Second look").expect("second room");
    assert!(first < second_heading, "{md}");
    assert!(md.contains("first room 4"), "{md}");
    assert!(md.contains("(employee, employees only): over here"), "{md}");
    assert_eq!(
        t.app
            .room_transcript(&bob, &c.room, TranscriptFormat::Json)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    let audit = t.app.audit_log(&sam, None, Some(500)).await.unwrap();
    let issue_reads: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.entry.action == "supervisor.transcript")
        .collect();
    assert_eq!(issue_reads.len(), 1, "sam's read only, not bob's");
    assert_eq!(issue_reads[0].entry.issue_id.as_ref(), Some(&c.issue));
    assert!(issue_reads[0].entry.room_id.is_none());
    assert_eq!(
        issue_reads[0].entry.detail,
        json!({"format": "json", "rooms": 2})
    );
}
