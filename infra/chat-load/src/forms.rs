//! The forms scenario: the forms-diagnostics robot asked about an uploaded form export,
//! one question at a time, each timed from sending `robot.ask` to the last of its four
//! answers at the asker's socket. The robot posts the graph, image and report first and
//! completes its first answer (the summary) last, so the summary's `message.updated`
//! marks the end; the scenario also checks that the three others arrived before it.

use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;

use crate::cli::Args;
use crate::files::{create_room, sequential_session, upload};
use crate::socket::Socket;
use crate::stats::{Percentiles, ms};

const ROBOT: &str = "iStackBuddy.forms.diagnostics";

/// Runs the scenario; `Ok(true)` = every question got its four answers.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    args.validate()?;
    let path = args
        .form_file
        .clone()
        .context("--scenario forms needs --form-file (a Formstack form export)")?;
    let form = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
    let (client, base, user, mut socket) = sequential_session(&args).await?;
    let room = create_room(&mut socket).await?;
    socket
        .call("robot.invite", json!({"roomId": room, "robot": ROBOT}))
        .await?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "form.json".into());
    let (file_id, _) = upload(
        &client,
        &base,
        &user.token,
        &room,
        (&file_name, "application/json"),
        form,
    )
    .await?;
    let mut samples = Vec::with_capacity(args.messages);
    for _ in 0..args.messages {
        samples.push(ask_once(&mut socket, &room, &file_id).await?);
    }
    let p = Percentiles::of(samples);
    println!(
        "{file_name}: robot.ask → last of 4 answers p50/p90/p99/max {} ms over {} questions",
        p.compact(),
        p.count
    );
    println!(
        "TABLE_ROW: | {} | {file_name} | {} | {} | {} | {} |",
        args.label,
        p.count,
        ms(p.p50),
        ms(p.p99),
        ms(p.max)
    );
    Ok(p.count == args.messages)
}

/// One question; the nanoseconds until its summary completed.
async fn ask_once(socket: &mut Socket, room: &str, file_id: &str) -> anyhow::Result<u64> {
    let started = Instant::now();
    let asked = socket
        .call(
            "robot.ask",
            json!({"roomId": room, "robot": ROBOT, "text": "diagnose", "args": {"fileId": file_id}}),
        )
        .await?;
    let request = asked["request"]["id"]
        .as_str()
        .context("no request id")?
        .to_string();
    let response = asked["response"]["id"]
        .as_str()
        .context("no response id")?
        .to_string();
    let mut further = 0;
    loop {
        let event = socket.next_event().await?;
        let message = &event["message"];
        if event["type"] == "message.created"
            && message["replyTo"] == request.as_str()
            && message["id"] != response.as_str()
        {
            further += 1;
        }
        if event["type"] == "message.updated" && message["id"] == response.as_str() {
            let took = started.elapsed();
            if message["status"] != "complete" {
                bail!("the robot failed: {}", message["text"]);
            }
            if further != 3 {
                bail!("{further} further answers arrived before the summary, not 3");
            }
            return Ok(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        }
    }
}
