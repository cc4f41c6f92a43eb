//! Files over HTTP against chat-local, as clients send them: announce, upload to the
//! pre-signed URL, complete, download. The same tests run on the embedded backend (the
//! gateway's signed `/blobs` URLs) and on S3 in moto (`CHAT_E2E_BACKEND=aws`). Moto
//! accepts any body on a pre-signed PUT; real S3 and the gateway refuse one that does
//! not match what the URL is bound to. Either way `complete` reads what was stored and
//! fails the file, which is what these tests hold both backends to.

use chat_e2e::file_helpers::{declaration, fetch, png, put_upload, sha256_hex};
use chat_e2e::{TIMEOUT, TestServer, Ws, create_room, error_code, invite_guest, on_aws};
use serde_json::{Value, json};

/// Alice (employee) and a guest in one room; Bob (employee) outside it.
struct Desk {
    server: TestServer,
    room: String,
    alice_token: String,
    alice: Ws,
    guest_token: String,
    guest: Ws,
    bob_token: String,
}

async fn desk(server: TestServer) -> Desk {
    let (alice_token, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Screenshots").await;
    let room = room["id"].as_str().unwrap().to_string();
    let code = invite_guest(&alice, &room).await;
    let (guest_token, _, _, guest) = server.guest(&code, "Gina").await;
    let bob_token = server.login("bob").await;
    Desk {
        server,
        room,
        alice_token,
        alice,
        guest_token,
        guest,
        bob_token,
    }
}

fn updated<'a>(id: &'a str, status: &'static str) -> impl Fn(&Value) -> bool + 'a {
    move |e| {
        e["type"] == "message.updated"
            && e["message"]["id"] == id
            && e["message"]["status"] == status
    }
}

#[tokio::test]
async fn a_guest_uploads_a_screenshot_and_the_agent_gets_it_with_a_thumbnail() {
    let d = desk(TestServer::start().await).await;
    let bytes = png(800, 600);
    let (status, created) = d
        .server
        .announce_file(
            &d.guest_token,
            declaration(&d.room, "screen.png", "image/png", &bytes),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let message_id = created["messageId"].as_str().unwrap().to_string();
    let pending = d
        .alice
        .wait_event("the pending file message", TIMEOUT, |e| {
            e["type"] == "message.created" && e["message"]["id"] == message_id.as_str()
        })
        .await;
    assert_eq!(pending["message"]["status"], "pending");
    assert_eq!(pending["message"]["delivery"], "batch-delay");
    assert_eq!(pending["message"]["contentType"], "image");

    let sent = put_upload(&created["upload"], bytes.clone()).await;
    assert_eq!(sent.status, 200);
    let file_id = created["fileId"].as_str().unwrap();
    let (status, done) = d.server.complete_file(&d.guest_token, file_id).await;
    assert_eq!(
        (status, &done["message"]["status"]),
        (200, &json!("complete"))
    );
    for ws in [&d.alice, &d.guest] {
        ws.wait_event(
            "message.updated complete",
            TIMEOUT,
            updated(&message_id, "complete"),
        )
        .await;
    }
    // The thumbnail job adds the dimensions.
    let sized = d
        .alice
        .wait_event("the image's dimensions", TIMEOUT, |e| {
            updated(&message_id, "complete")(e) && e["message"]["data"]["width"] == 800
        })
        .await;
    assert_eq!(sized["message"]["data"]["height"], 600);
    assert_eq!(
        sized["message"]["data"]["thumbnail"],
        json!({"width": 320, "height": 240})
    );

    let (status, link) = d.server.file_link(&d.alice_token, file_id).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(
        (link["name"].as_str(), link["size"].as_u64()),
        (Some("screen.png"), Some(bytes.len() as u64))
    );
    let got = fetch(link["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(got.status, 200);
    assert_eq!(sha256_hex(&got.body), sha256_hex(&bytes));
    let url = link["downloadUrl"].as_str().unwrap();
    if on_aws() {
        // moto ignores S3's response-* overrides; the signed URL must still ask for them.
        assert!(
            url.contains("response-content-disposition=attachment"),
            "{url}"
        );
        assert!(url.contains("response-content-type=image%2Fpng"), "{url}");
    } else {
        let disposition = got.header("content-disposition").unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "{:?}", got.headers);
        assert_eq!(got.header("content-type"), Some("image/png"));
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    }
    let (status, thumb) = d
        .server
        .file_link(&d.guest_token, &format!("{file_id}?variant=thumbnail"))
        .await;
    assert_eq!(status, 200, "{thumb}");
    let thumb = fetch(thumb["downloadUrl"].as_str().unwrap()).await;
    assert!(thumb.body.starts_with(b"\x89PNG"));

    // Every download is in the audit log, readable by a supervisor.
    let sam = d.server.login("sam").await;
    let downloads = d.server.audit_entries(&sam, &d.room, "file.download").await;
    assert_eq!(downloads.len(), 2, "{downloads:?}");
}

/// Announces `declared`, sends `body` to its URL and completes it; returns the upload's
/// HTTP status and the completed message.
async fn try_upload(d: &Desk, declared: Value, body: Vec<u8>) -> (u16, Value) {
    let (status, created) = d.server.announce_file(&d.alice_token, declared).await;
    assert_eq!(status, 200, "{created}");
    let sent = put_upload(&created["upload"], body).await;
    let (status, done) = d
        .server
        .complete_file(&d.alice_token, created["fileId"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{done}");
    (sent.status, done["message"].clone())
}

fn assert_failed(message: &Value, reason: &str) {
    assert_eq!(message["status"], "failed", "{message}");
    let text = message["text"].as_str().unwrap();
    assert!(text.contains(reason), "{text:?} lacks {reason:?}");
}

#[tokio::test]
async fn uploads_that_differ_from_their_declaration_fail() {
    let d = desk(TestServer::start().await).await;
    let shot = png(16, 16);

    let mut longer = declaration(&d.room, "a.png", "image/png", &shot);
    longer["size"] = json!(shot.len() + 10);
    let (upload, message) = try_upload(&d, longer, shot.clone()).await;
    assert!(on_aws() || upload == 400, "size mismatch upload: {upload}");
    // The store refused the body (embedded) or kept it (moto): complete fails either way.
    assert!(message["status"] == "failed", "{message}");

    let mut other_hash = declaration(&d.room, "b.png", "image/png", &shot);
    other_hash["sha256"] = json!(sha256_hex(b"not the screenshot"));
    let (upload, message) = try_upload(&d, other_hash, shot.clone()).await;
    assert!(on_aws() || upload == 400, "hash mismatch upload: {upload}");
    assert_failed(&message, if on_aws() { "sha256" } else { "no upload" });

    // Size and hash right, but the bytes are a PDF, not the PNG declared.
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    let (upload, message) =
        try_upload(&d, declaration(&d.room, "c.png", "image/png", &pdf), pdf).await;
    assert_eq!(upload, 200);
    assert_failed(&message, "application/pdf");

    // A type no class accepts is refused before anything is stored or announced.
    let mark = d.alice.mark();
    let (status, body) = d
        .server
        .announce_file(
            &d.alice_token,
            declaration(&d.room, "run.exe", "application/x-msdownload", b"MZ"),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    let (status, body) = d
        .server
        .announce_file(
            &d.alice_token,
            declaration(&d.room, "../../x.txt", "text/plain", b"x"),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    d.alice
        .expect_no_event_since(mark, "a message for a refused file", chat_e2e::QUIET, |e| {
            e["type"] == "message.created"
        })
        .await;
}

#[tokio::test]
async fn an_expired_url_and_another_files_url_both_end_in_failure() {
    let d = desk(TestServer::start_with_env(&[("CHAT_UPLOAD_URL_SECONDS", "1")]).await).await;
    let note = b"call back after 5pm".to_vec();
    let (_, late) = d
        .server
        .announce_file(
            &d.alice_token,
            declaration(&d.room, "late.txt", "text/plain", &note),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let sent = put_upload(&late["upload"], note.clone()).await;
    assert!(
        on_aws() || sent.status == 403,
        "expired upload: {}",
        sent.status
    );
    let (_, done) = d
        .server
        .complete_file(&d.alice_token, late["fileId"].as_str().unwrap())
        .await;
    assert_failed(&done["message"], "expired");

    let d = desk(TestServer::start().await).await;
    let first = b"first file".to_vec();
    let second = b"second file, longer".to_vec();
    let (_, a) = d
        .server
        .announce_file(
            &d.alice_token,
            declaration(&d.room, "a.txt", "text/plain", &first),
        )
        .await;
    let (_, b) = d
        .server
        .announce_file(
            &d.alice_token,
            declaration(&d.room, "b.txt", "text/plain", &second),
        )
        .await;
    // B's bytes sent to A's URL.
    let sent = put_upload(&a["upload"], second.clone()).await;
    assert!(
        on_aws() || sent.status == 400,
        "cross upload: {}",
        sent.status
    );
    let (_, done_a) = d
        .server
        .complete_file(&d.alice_token, a["fileId"].as_str().unwrap())
        .await;
    assert_eq!(done_a["message"]["status"], "failed");
    let (_, done_b) = d
        .server
        .complete_file(&d.alice_token, b["fileId"].as_str().unwrap())
        .await;
    assert_failed(&done_b["message"], "no upload");
}

#[tokio::test]
async fn outsiders_and_guests_cannot_download_what_they_may_not_see() {
    let d = desk(TestServer::start().await).await;
    let notes = b"internal: customer disputes the charge".to_vec();
    let mut hidden = declaration(&d.room, "notes.txt", "text/plain", &notes);
    hidden["visibility"] = json!("employees");
    let (status, created) = d.server.announce_file(&d.alice_token, hidden).await;
    assert_eq!(status, 200, "{created}");
    let sent = put_upload(&created["upload"], notes.clone()).await;
    assert_eq!(sent.status, 200);
    let file_id = created["fileId"].as_str().unwrap();
    let (_, done) = d.server.complete_file(&d.alice_token, file_id).await;
    assert_eq!(done["message"]["status"], "complete");

    // The guest is told nothing and gets nothing.
    d.guest
        .expect_no_event(
            "anything about the employees-only file",
            chat_e2e::QUIET,
            |e| e.to_string().contains(file_id) || e.to_string().contains("notes.txt"),
        )
        .await;
    let (status, body) = d.server.file_link(&d.guest_token, file_id).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    // Bob is an employee but not a member; his refusal reads like an unknown id.
    let (status, refused) = d.server.file_link(&d.bob_token, file_id).await;
    let (_, unknown) = d.server.file_link(&d.bob_token, "file_01UNKNOWN").await;
    assert_eq!(status, 404);
    assert_eq!(refused, unknown);
    // Nobody but the uploader completes, and an anonymous caller learns nothing.
    let (status, _) = d.server.complete_file(&d.bob_token, file_id).await;
    assert_eq!(status, 404);
    let (status, _) = d
        .server
        .http("GET", &format!("/files/{file_id}"), None, None)
        .await;
    assert_eq!(status, 401);
    // Alice may.
    let (status, link) = d.server.file_link(&d.alice_token, file_id).await;
    assert_eq!(status, 200);
    assert_eq!(
        fetch(link["downloadUrl"].as_str().unwrap()).await.body,
        notes
    );
}

#[tokio::test]
async fn a_profile_takes_only_its_owners_completed_image_as_avatar() {
    let d = desk(TestServer::start().await).await;
    let (mine, _) = d
        .server
        .send_file(
            &d.alice_token,
            &d.room,
            "alice.png",
            "image/png",
            &png(48, 48),
        )
        .await;
    let (theirs, _) = d
        .server
        .send_file(
            &d.guest_token,
            &d.room,
            "gina.png",
            "image/png",
            &png(48, 48),
        )
        .await;
    let (text, _) = d
        .server
        .send_file(&d.alice_token, &d.room, "bio.txt", "text/plain", b"hello")
        .await;
    for bad in [&theirs, &text, &"file_01NOPE".to_string()] {
        let (status, body) = d
            .server
            .http(
                "PATCH",
                "/me/profile",
                Some(json!({"avatarFileId": bad})),
                Some(&d.alice_token),
            )
            .await;
        assert_eq!((status, error_code(&body)), (400, "bad_request"), "{bad}");
    }
    let (status, body) = d
        .server
        .http(
            "PATCH",
            "/me/profile",
            Some(json!({"avatarFileId": mine})),
            Some(&d.alice_token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = d
        .server
        .http("GET", "/me", None, Some(&d.alice_token))
        .await;
    assert_eq!(me["profile"]["avatarFileId"], json!(mine));
    let avatar = fetch(me["profile"]["avatarUrl"].as_str().unwrap()).await;
    assert_eq!(avatar.status, 200);
    assert!(avatar.body.starts_with(b"\x89PNG"));
}
