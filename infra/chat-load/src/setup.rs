//! The phases every scenario shares: health check, accounts and logins, one WebSocket
//! per planned connection, and the rooms with their members.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

use crate::cli::{Args, loopback_base, ws_url};
use crate::conn::{Conn, Handler, Writes};
use crate::plan::Plan;
use crate::users::{self, User};

/// Handshakes in flight at once: enough to connect hundreds quickly, few enough that
/// the gateway's accept path is not the thing being measured.
const CONNECT_CONCURRENCY: usize = 16;

/// The HTTP client (no proxy: the tool must talk to the URL it was given and nothing
/// else) and the base URL, once `/healthz` answered.
pub async fn client(args: &Args) -> anyhow::Result<(reqwest::Client, String)> {
    let base = loopback_base(&args.url)?;
    let client = reqwest::Client::builder()
        .timeout(args.request_timeout())
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .with_context(|| format!("gateway at {base} is not reachable"))?;
    if !response.status().is_success() {
        bail!(
            "gateway at {base} is not ready: GET /healthz → {}",
            response.status()
        );
    }
    Ok((client, base))
}

/// Creates accounts if asked, builds the plan and logs in every user it puts in a room.
/// `what` describes the load for the opening line. Users by plan index; `None` for
/// users in no room.
pub async fn users_and_plan(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    what: &str,
) -> anyhow::Result<(Arc<Plan>, Vec<Option<User>>)> {
    let names = match args.create_users {
        Some(n) => {
            let names = users::generated_names(&args.user_prefix, n);
            let dir = args
                .data_dir
                .as_deref()
                .context("--create-users needs --data-dir")?;
            let bin = users::chat_local_bin(args.chat_local_bin.as_deref());
            println!("adding {n} users with {} users add", bin.display());
            users::create(&bin, dir, &names, args.request_timeout()).await?;
            names
        }
        None => args.users.clone(),
    };
    let plan = Arc::new(Plan::with_senders(
        names.len(),
        args.rooms,
        args.members_per_room,
        args.connections_per_user,
        args.sender_conns_per_user
            .unwrap_or(args.connections_per_user),
    )?);
    println!(
        "scenario {}: {} rooms × {} members × {} connections/user = {} connections over {} users; {what} at {}/s",
        args.label,
        plan.rooms,
        plan.members,
        plan.conns_per_user,
        plan.connections(),
        plan.active_users(),
        if args.rate > 0.0 {
            format!("{}", args.rate)
        } else {
            "max".into()
        },
    );
    let creds: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .filter(|(u, _)| !plan.user_rooms[*u].is_empty())
        .map(|(_, n)| {
            let password = match (&args.password, args.create_users) {
                (Some(p), None) => p.clone(),
                _ => users::default_password(n),
            };
            (n.clone(), password)
        })
        .collect();
    let logged_in = users::login_all(client, base, creds).await?;
    let mut by_index: Vec<Option<User>> = vec![None; names.len()];
    let mut logged = logged_in.into_iter();
    for (u, slot) in by_index.iter_mut().enumerate() {
        if !plan.user_rooms[u].is_empty() {
            *slot = logged.next();
        }
    }
    Ok((plan, by_index))
}

/// Opens every planned connection; `handler(c)` makes connection `c`'s frame handler.
pub async fn connect_all<H: Handler>(
    args: &Args,
    plan: &Plan,
    users: &[Option<User>],
    writes: Arc<dyn Writes>,
    handler: impl Fn(usize) -> H,
) -> anyhow::Result<Vec<Conn<H::Stats>>> {
    let total = plan.connections();
    let ws = ws_url(&loopback_base(&args.url)?);
    let done = AtomicUsize::new(0);
    let step = (total / 10).max(1);
    let mut conns: Vec<Conn<H::Stats>> = futures::stream::iter(0..total)
        .map(|c| {
            let (ws, done, writes) = (&ws, &done, Arc::clone(&writes));
            let h = handler(c);
            async move {
                let user = users[plan.conn_user[c]]
                    .as_ref()
                    .context("a connected user was not logged in")?;
                let conn = Conn::connect(c, ws, &user.token, h, writes, args.request_timeout())
                    .await
                    .with_context(|| format!("connection {c} of {}", user.username))?;
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % step == 0 || n == total {
                    println!("connected {n}/{total}");
                }
                anyhow::Ok(conn)
            }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .try_collect()
        .await?;
    conns.sort_by_key(|c| c.index);
    Ok(conns)
}

/// Each room is created by its first member, who then invites the other members and
/// then each of `robots`.
pub async fn create_rooms<S: Default + Send + 'static>(
    args: &Args,
    plan: &Plan,
    users: &[Option<User>],
    conns: &[Conn<S>],
    robots: &[String],
) -> anyhow::Result<Vec<String>> {
    let timeout = args.request_timeout();
    let done = AtomicUsize::new(0);
    let step = (plan.rooms / 10).max(1);
    let mut ids: Vec<(usize, String)> = futures::stream::iter(0..plan.rooms)
        .map(|r| {
            let done = &done;
            async move {
                let members = &plan.room_members[r];
                let creator = &conns[plan.user_conns[members[0]][0]];
                let title = format!("chat-load {} room {r}", args.label);
                let data = creator
                    .request(
                        json!({"action": "room.create", "kind": "group", "title": title}),
                        timeout,
                    )
                    .await
                    .with_context(|| format!("creating room {r}"))?;
                let id = data
                    .pointer("/room/id")
                    .and_then(Value::as_str)
                    .with_context(|| format!("room.create answer lacks room.id: {data}"))?
                    .to_string();
                for &u in &members[1..] {
                    let user = users[u].as_ref().context("a member was not logged in")?;
                    creator
                        .request(
                            json!({"action": "room.invite", "roomId": id, "userId": user.user_id}),
                            timeout,
                        )
                        .await
                        .with_context(|| format!("inviting {} to room {r}", user.username))?;
                }
                for robot in robots {
                    creator
                        .request(
                            json!({"action": "robot.invite", "roomId": id, "robot": robot}),
                            timeout,
                        )
                        .await
                        .with_context(|| format!("inviting {robot} to room {r}"))?;
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % step == 0 || n == plan.rooms {
                    println!("rooms ready {n}/{}", plan.rooms);
                }
                anyhow::Ok((r, id))
            }
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    ids.sort_by_key(|(r, _)| *r);
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}
