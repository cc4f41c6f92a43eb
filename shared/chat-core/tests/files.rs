//! Files on the in-memory adapters: announce, upload through the signed URL, complete
//! (every check the server makes on the stored bytes), thumbnails, downloads and who
//! may have them, the expiry job, avatars.

use std::collections::BTreeMap;
use std::io::Cursor;

use chat_core::ErrorCode;
use chat_core::ids::{ConnectionId, FileId};
use chat_core::model::UserRecord;
use chat_core::protocol::files::{CreateFileRequest, CreateFileResponse, FileVariant};
use chat_core::protocol::http::ProfilePatch;
use chat_core::testkit::harness::{T1, TestApp};
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
    Floor {
        t,
        alice: r.employee,
        alice_conn: r.employee_conn,
        guest: r.guest,
        guest_conn: r.guest_conn,
        room: r.room,
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([10, 120, 200]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn request(room: &str, name: &str, content_type: &str, bytes: &[u8]) -> CreateFileRequest {
    serde_json::from_value(json!({
        "roomId": room,
        "name": name,
        "contentType": content_type,
        "size": bytes.len(),
        "sha256": sha(bytes),
    }))
    .unwrap()
}

impl Floor {
    async fn announce(&self, who: &UserRecord, req: CreateFileRequest) -> CreateFileResponse {
        self.t
            .app
            .create_upload(who, req)
            .await
            .unwrap_or_else(|e| panic!("create_upload: {e}"))
    }

    /// Sends `body` to the upload URL with the headers it asks for.
    fn upload(&self, created: &CreateFileResponse, body: &[u8]) -> Result<(), ErrorCode> {
        let headers: BTreeMap<String, String> = created.upload.headers.clone();
        self.t
            .blobs
            .accept_upload(&created.upload.url, &headers, body, self.t.clock_now())
            .map_err(|e| e.code())
    }

    async fn complete(&self, who: &UserRecord, id: &FileId) -> Value {
        let done = self
            .t
            .app
            .complete_upload(who, id)
            .await
            .unwrap_or_else(|e| panic!("complete: {e}"));
        serde_json::to_value(done.message).unwrap()
    }

    async fn send(&self, who: &UserRecord, name: &str, ct: &str, bytes: &[u8]) -> (FileId, Value) {
        let created = self
            .announce(who, request(&self.room, name, ct, bytes))
            .await;
        self.upload(&created, bytes).unwrap();
        let message = self.complete(who, &created.file_id).await;
        (created.file_id, message)
    }
}

trait Now {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for TestApp {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use chat_core::ports::Clock;
        self.clock.now()
    }
}

fn updates(frames: &[Value]) -> Vec<&Value> {
    frames
        .iter()
        .filter(|f| f["type"] == "message.updated")
        .collect()
}

#[tokio::test]
async fn a_guest_sends_a_file_and_members_see_it_go_from_pending_to_complete() {
    let f = floor().await;
    let bytes = b"order,total\n1,9.99\n".to_vec();
    let created = f
        .announce(&f.guest, request(&f.room, "orders.csv", "text/csv", &bytes))
        .await;
    assert_eq!(created.upload.method, "PUT");
    assert_eq!(created.upload.headers["content-type"], "text/csv");
    let announced = f.t.events(&f.alice_conn);
    let pending = &announced[0]["message"];
    assert_eq!(announced[0]["type"], "message.created");
    assert_eq!(
        (pending["status"].as_str(), pending["delivery"].as_str()),
        (Some("pending"), Some("batch-delay"))
    );
    assert_eq!(pending["contentType"], "file");
    assert_eq!(pending["data"]["fileId"], json!(created.file_id));

    f.upload(&created, &bytes).unwrap();
    let done = f.complete(&f.guest, &created.file_id).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["data"]["size"], bytes.len());
    for conn in [&f.alice_conn, &f.guest_conn] {
        let frames = f.t.events(conn);
        let up = updates(&frames);
        assert_eq!(up.len(), 1, "{frames:?}");
        assert_eq!(up[0]["message"]["status"], "complete");
    }
    // Complete again: the same answer, nothing announced twice.
    let again = f.complete(&f.guest, &created.file_id).await;
    assert_eq!(again, done);
    assert!(updates(&f.t.events(&f.alice_conn)).is_empty());

    let link =
        f.t.app
            .file_download(&f.alice, &created.file_id, FileVariant::Original)
            .await
            .unwrap();
    let (headers, got) =
        f.t.blobs
            .download(&link.download_url, f.t.clock_now())
            .unwrap();
    assert_eq!(got, bytes);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert!(
        header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(link.name, "orders.csv");
}

#[tokio::test]
async fn complete_checks_the_stored_bytes_not_the_declaration() {
    let f = floor().await;
    let real = png(8, 8);
    let cases: Vec<(&str, CreateFileRequest, Vec<u8>, &str)> = vec![
        {
            let mut r = request(&f.room, "a.png", "image/png", &real);
            r.size += 3;
            // What arrives is shorter than declared.
            ("size", r, real.clone(), "bytes")
        },
        {
            let mut r = request(&f.room, "b.png", "image/png", &real);
            r.sha256 = sha(b"something else");
            ("hash", r, real.clone(), "sha256")
        },
        {
            let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
            let r = request(&f.room, "c.png", "image/png", &pdf);
            ("sniffed type", r, pdf, "application/pdf")
        },
    ];
    for (what, req, body, reason) in cases {
        let created = f.announce(&f.alice, req).await;
        // Written straight to the staging key, as a store that does not enforce the
        // URL's binding (moto) would keep it: complete alone must refuse it.
        use chat_core::ports::Blobs;
        f.t.blobs
            .put(&format!("uploads/{}", created.file_id), &body, "image/png")
            .await
            .unwrap();
        let done = f.complete(&f.alice, &created.file_id).await;
        assert_eq!(done["status"], "failed", "{what}");
        let text = done["text"].as_str().unwrap();
        assert!(text.contains(reason), "{what}: {text}");
        assert_eq!(done["data"]["failure"], text, "{what}");
        let refused =
            f.t.app
                .file_download(&f.alice, &created.file_id, FileVariant::Original)
                .await
                .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Conflict, "{what}");
    }
}

#[tokio::test]
async fn the_upload_url_refuses_other_bodies_and_expires() {
    let f = floor().await;
    let bytes = b"hello, support".to_vec();
    let created = f
        .announce(&f.alice, request(&f.room, "note.txt", "text/plain", &bytes))
        .await;
    assert_eq!(
        f.upload(&created, b"hello, support!"),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        f.upload(&created, b"hello, suppory"),
        Err(ErrorCode::BadRequest)
    );
    // Another file's bytes sent to this URL, and this file's bytes to the other URL.
    let other_bytes = b"another file entirely".to_vec();
    let other = f
        .announce(
            &f.alice,
            request(&f.room, "other.txt", "text/plain", &other_bytes),
        )
        .await;
    assert_eq!(f.upload(&created, &other_bytes), Err(ErrorCode::BadRequest));
    assert_eq!(f.upload(&other, &bytes), Err(ErrorCode::BadRequest));
    let nothing = f.complete(&f.alice, &other.file_id).await;
    assert_eq!(nothing["status"], "failed");
    assert!(nothing["text"].as_str().unwrap().contains("no upload"));

    f.t.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(f.upload(&created, &bytes), Err(ErrorCode::Forbidden));
    let late = f.complete(&f.alice, &created.file_id).await;
    assert_eq!(late["status"], "failed");
    assert!(late["text"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn declarations_are_checked_before_anything_is_stored() {
    let f = floor().await;
    let ok = b"x".to_vec();
    let refuse = |r: CreateFileRequest, who: &UserRecord| {
        let app = f.t.app.clone();
        let who = who.clone();
        async move { app.create_upload(&who, r).await.unwrap_err().code() }
    };
    let mut too_big = request(&f.room, "big.pdf", "application/pdf", &ok);
    too_big.size = 26 * 1024 * 1024;
    assert_eq!(refuse(too_big, &f.alice).await, ErrorCode::PayloadTooLarge);
    for (name, ct) in [
        ("../../etc/passwd", "text/plain"),
        ("a\u{202e}txt.exe", "text/plain"),
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("setup.exe", "application/x-msdownload"),
    ] {
        assert_eq!(
            refuse(request(&f.room, name, ct, &ok), &f.alice).await,
            ErrorCode::BadRequest,
            "{name} {ct}"
        );
    }
    let mut empty = request(&f.room, "e.txt", "text/plain", &ok);
    empty.size = 0;
    assert_eq!(refuse(empty, &f.alice).await, ErrorCode::BadRequest);
    let mut bad_hash = request(&f.room, "h.txt", "text/plain", &ok);
    bad_hash.sha256 = "xyz".into();
    assert_eq!(refuse(bad_hash, &f.alice).await, ErrorCode::BadRequest);

    // Guests: no archive, no employees-only files, only their own room.
    let mut archive = request(&f.room, "a.txt", "text/plain", &ok);
    archive.storage_class = Some(chat_core::model::StorageClass::Archive);
    assert_eq!(refuse(archive, &f.guest).await, ErrorCode::Forbidden);
    let mut hidden = request(&f.room, "a.txt", "text/plain", &ok);
    hidden.visibility = Some(chat_core::model::Visibility::Employees);
    assert_eq!(refuse(hidden, &f.guest).await, ErrorCode::Forbidden);
    let bob = f.t.employee("bob", T1, &[]).await;
    let bob_conn = f.t.connect(&bob).await;
    let d = f
        .t
        .ok(&bob_conn, "room.create", json!({"kind": "solo", "title": "Other", "issue": {"title": "Other", "customerName": "Eve"}}))
        .await;
    let other_room = d["room"]["id"].as_str().unwrap();
    assert_eq!(
        refuse(request(other_room, "a.txt", "text/plain", &ok), &f.guest).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        refuse(request(other_room, "a.txt", "text/plain", &ok), &f.alice).await,
        ErrorCode::NotFound
    );
    // Nothing was announced for any refusal.
    assert!(f.t.events(&f.alice_conn).is_empty());
}

#[tokio::test]
async fn downloads_go_to_members_who_may_see_the_message_and_are_audited() {
    let f = floor().await;
    let secret = b"internal escalation notes".to_vec();
    let mut req = request(&f.room, "notes.txt", "text/plain", &secret);
    req.visibility = Some(chat_core::model::Visibility::Employees);
    let created = f.announce(&f.alice, req).await;
    // The guest never hears of the employees-only file.
    assert!(f.t.events(&f.guest_conn).is_empty());
    f.upload(&created, &secret).unwrap();
    f.complete(&f.alice, &created.file_id).await;
    assert!(f.t.events(&f.guest_conn).is_empty());

    let guest_try =
        f.t.app
            .file_download(&f.guest, &created.file_id, FileVariant::Original)
            .await
            .unwrap_err();
    assert_eq!(guest_try.code(), ErrorCode::NotFound);
    let outsider = f.t.employee("mallory", T1, &[]).await;
    let outsider_try =
        f.t.app
            .file_download(&outsider, &created.file_id, FileVariant::Original)
            .await
            .unwrap_err();
    assert_eq!(outsider_try.code(), ErrorCode::NotFound);
    // Refusals read exactly like an unknown id: nothing confirms the file exists.
    let unknown =
        f.t.app
            .file_download(
                &outsider,
                &FileId::parse("file_nope").unwrap(),
                FileVariant::Original,
            )
            .await
            .unwrap_err();
    assert_eq!(outsider_try.public_message(), unknown.public_message());
    // Only the uploader completes.
    let not_theirs =
        f.t.app
            .complete_upload(&outsider, &created.file_id)
            .await
            .unwrap_err();
    assert_eq!(not_theirs.code(), ErrorCode::NotFound);

    f.t.app
        .file_download(&f.alice, &created.file_id, FileVariant::Original)
        .await
        .unwrap();
    let entries = serde_json::to_value(f.t.store.audit_page(0, None, 500).await.unwrap()).unwrap();
    let downloads: Vec<&Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "file.download")
        .collect();
    assert_eq!(downloads.len(), 1, "{entries}");
    assert_eq!(downloads[0]["detail"]["fileId"], json!(created.file_id));
}

#[tokio::test]
async fn identical_content_in_two_rooms_is_stored_once_and_reveals_nothing() {
    let f = floor().await;
    let bytes = png(3, 3);
    let (first, _) = f.send(&f.alice, "shot.png", "image/png", &bytes).await;
    let bob = f.t.employee("bob", T1, &[]).await;
    let bob_conn = f.t.connect(&bob).await;
    let d = f
        .t
        .ok(&bob_conn, "room.create", json!({"kind": "solo", "title": "Other", "issue": {"title": "Other", "customerName": "Eve"}}))
        .await;
    let other = d["room"]["id"].as_str().unwrap().to_string();
    // Bob claims the same content without sending it: the server must not take his
    // word because the bytes exist elsewhere.
    let claim = f
        .announce(&bob, request(&other, "shot.png", "image/png", &bytes))
        .await;
    let done = f.complete(&bob, &claim.file_id).await;
    assert_eq!(done["status"], "failed");
    assert!(done["text"].as_str().unwrap().contains("no upload"));
    // Sent for real, it completes; alice's file is unaffected and bob cannot fetch it.
    let again = f
        .announce(&bob, request(&other, "shot.png", "image/png", &bytes))
        .await;
    f.upload(&again, &bytes).unwrap();
    assert_eq!(f.complete(&bob, &again.file_id).await["status"], "complete");
    let refused =
        f.t.app
            .file_download(&bob, &first, FileVariant::Original)
            .await
            .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotFound);
    let key = format!("files/conversation/{}", sha(&bytes));
    use chat_core::ports::Blobs;
    assert!(f.t.blobs.head(&key).await.unwrap().is_some());
    assert!(
        f.t.blobs
            .head(&format!("uploads/{}", again.file_id))
            .await
            .unwrap()
            .is_none(),
        "the staging copy is removed"
    );
}

#[tokio::test]
async fn images_get_dimensions_and_a_thumbnail_from_a_job() {
    let f = floor().await;
    let bytes = png(640, 480);
    let (id, message) = f.send(&f.guest, "screen.png", "image/png", &bytes).await;
    assert_eq!(message["contentType"], "image");
    f.t.events(&f.alice_conn);
    assert_eq!(f.t.run_jobs().await, 2, "thumbnail + upload expiry");
    let frames = f.t.events(&f.alice_conn);
    let up = updates(&frames);
    assert_eq!(up.len(), 1, "{frames:?}");
    let data = &up[0]["message"]["data"];
    assert_eq!(
        (data["width"].as_u64(), data["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(data["thumbnail"], json!({"width": 320, "height": 240}));

    let thumb =
        f.t.app
            .file_download(&f.guest, &id, FileVariant::Thumbnail)
            .await
            .unwrap();
    let (headers, png_bytes) =
        f.t.blobs
            .download(&thumb.download_url, f.t.clock_now())
            .unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG"));
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-disposition") && v.starts_with("inline"))
    );
}

#[tokio::test]
async fn an_upload_never_completed_fails_when_its_url_expires() {
    let f = floor().await;
    let created = f
        .announce(
            &f.guest,
            request(&f.room, "later.txt", "text/plain", b"soon"),
        )
        .await;
    f.t.events(&f.alice_conn);
    // Delivered early: it waits again rather than failing a live upload.
    assert_eq!(f.t.run_jobs().await, 1);
    assert!(f.t.events(&f.alice_conn).is_empty());
    f.t.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(f.t.run_jobs().await, 1);
    let frames = f.t.events(&f.alice_conn);
    let up = updates(&frames);
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["message"]["status"], "failed");
    assert_eq!(up[0]["message"]["data"]["fileId"], json!(created.file_id));
}

#[tokio::test]
async fn avatars_are_completed_images_of_the_users_own() {
    let f = floor().await;
    let (picture, _) = f.send(&f.alice, "me.png", "image/png", &png(64, 64)).await;
    let (text, _) = f
        .send(&f.alice, "me.txt", "text/plain", b"not a face")
        .await;
    let (guests, _) = f
        .send(&f.guest, "dana.png", "image/png", &png(32, 32))
        .await;
    let patch = |id: &FileId| ProfilePatch {
        display_name: None,
        avatar_file_id: Some(id.clone()),
    };
    for bad in [&text, &guests] {
        let err =
            f.t.app
                .update_profile(&f.alice, patch(bad))
                .await
                .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadRequest);
    }
    let done =
        f.t.app
            .update_profile(&f.alice, patch(&picture))
            .await
            .unwrap();
    let body = serde_json::to_value(&done).unwrap();
    assert_eq!(body["profile"]["avatarFileId"], json!(picture));
    let url = body["profile"]["avatarUrl"].as_str().unwrap();
    let (headers, bytes) = f.t.blobs.download(url, f.t.clock_now()).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-disposition") && v.starts_with("inline"))
    );
}
