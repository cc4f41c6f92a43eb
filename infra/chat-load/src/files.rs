//! The files scenario: one employee sends files one after another, and each is timed
//! from `POST /files` through the upload to the pre-signed URL to the `complete` answer
//! (the latency a person waits between choosing a file and seeing it in the room).
//! Hashing the file happens before the clock starts: a client hashes once, locally.
//!
//! Sizes come from `--file-sizes`; `--messages` files are sent per size. Each file's
//! content differs (a counter up front), so no run is served by deduplication.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::Args;
use crate::setup;
use crate::socket::Socket;
use crate::stats::{Percentiles, ms};
use crate::users;

/// Runs the scenario; `Ok(true)` = every file completed.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    args.validate()?;
    let (client, base, user, mut socket) = sequential_session(&args).await?;
    let room = create_room(&mut socket).await?;
    println!("room {room}: {} files per size", args.messages);
    let mut pass = true;
    for &size in &args.file_sizes {
        let mut samples = Vec::with_capacity(args.messages);
        let started = Instant::now();
        for i in 0..args.messages {
            let body = content(size, i);
            let (_, took) = upload(
                &client,
                &base,
                &user.token,
                &room,
                ("bench.txt", "text/plain"),
                body,
            )
            .await?;
            samples.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        }
        let wall = started.elapsed().as_secs_f64();
        let p = Percentiles::of(samples);
        let mb = size as f64 / 1e6;
        println!(
            "size {size} B: upload+complete p50/p90/p99/max {} ms over {} files; {:.1} MB/s",
            p.compact(),
            p.count,
            mb * p.count as f64 / wall
        );
        println!(
            "TABLE_ROW: | {} | {:.1} MB | {} | {} | {} | {} |",
            args.label,
            mb,
            p.count,
            ms(p.p50),
            ms(p.p99),
            ms(p.max)
        );
        pass &= p.count == args.messages;
    }
    Ok(pass)
}

/// `size` bytes of printable text, different for every `i`.
fn content(size: usize, i: usize) -> Vec<u8> {
    let mut body = format!("file {i} of the files scenario\n").into_bytes();
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 \n";
    body.extend(
        (0..size.saturating_sub(body.len())).map(|n| alphabet[(n * 7 + i) % alphabet.len()]),
    );
    body.truncate(size);
    body
}

/// Announce, upload, complete; the file id and the time from the first request to the
/// `complete` answer.
pub(crate) async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    room: &str,
    (name, content_type): (&str, &str),
    body: Vec<u8>,
) -> anyhow::Result<(String, Duration)> {
    let sha = hex::encode(Sha256::digest(&body));
    let started = Instant::now();
    let created = post(
        client,
        &format!("{base}/files"),
        token,
        Some(json!({
            "roomId": room, "name": name, "contentType": content_type,
            "size": body.len(), "sha256": sha,
        })),
    )
    .await?;
    let upload = &created["upload"];
    let url = upload["url"].as_str().context("no upload URL")?;
    let mut put = client.put(url);
    for (k, v) in upload["headers"].as_object().context("no upload headers")? {
        put = put.header(k, v.as_str().unwrap_or_default());
    }
    let sent = put.body(body).send().await.context("upload")?;
    if !sent.status().is_success() {
        bail!("upload refused: HTTP {}", sent.status());
    }
    let file = created["fileId"].as_str().context("no file id")?;
    let done = post(
        client,
        &format!("{base}/files/{file}/complete"),
        token,
        None,
    )
    .await?;
    let took = started.elapsed();
    if done["message"]["status"] != "complete" {
        bail!("file did not complete: {}", done["message"]);
    }
    Ok((file.to_string(), took))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut req = client.post(url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let answer: Value = resp
        .json()
        .await
        .with_context(|| format!("POST {url}: not JSON"))?;
    if !status.is_success() {
        bail!("POST {url}: HTTP {status} {answer}");
    }
    Ok(answer)
}

/// What the sequential scenarios start from: the HTTP client, the base URL, the first
/// `--users` account logged in, and its socket.
pub(crate) async fn sequential_session(
    args: &Args,
) -> anyhow::Result<(reqwest::Client, String, users::User, Socket)> {
    let (client, base) = setup::client(args).await?;
    let name = args
        .users
        .first()
        .ok_or_else(|| anyhow!("--users is empty"))?;
    let password = args
        .password
        .clone()
        .unwrap_or_else(|| users::default_password(name));
    let user = users::login(&client, &base, name, &password).await?;
    let socket = Socket::open(&base, &user.token, args.request_timeout()).await?;
    Ok((client, base, user, socket))
}

/// A solo room of the user's, created over the WebSocket (rooms have no HTTP route).
pub(crate) async fn create_room(socket: &mut Socket) -> anyhow::Result<String> {
    let data = socket
        .call(
            "room.create",
            json!({
                "kind": "solo", "title": "chat-load",
                "issue": {"title": "chat-load", "customerName": "Bench"},
            }),
        )
        .await?;
    data["room"]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("room.create answered without a room: {data}"))
}
