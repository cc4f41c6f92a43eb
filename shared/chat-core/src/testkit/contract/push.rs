//! `Push` contract: a frame reaches exactly the connections it was posted to, intact
//! and in call order per connection; `post_many` behaves as one `post` per target and
//! reports exactly the targets that failed.
//!
//! Delivery is each adapter's own (a socket's channel, an HTTP endpoint, API Gateway),
//! so the suite observes it through [`PushProbe`], which the adapter's test implements.
//! A backend that cannot show deliveries (moto's API Gateway keeps no frames) or never
//! answers `Gone` says so with `None`, and those parts of a check are skipped.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use crate::ids::ConnectionId;
use crate::ports::{Push, PushError, SharedFrame};

/// The other side of a push adapter, as the suite sees it.
#[async_trait]
pub trait PushProbe: Send {
    /// A new open connection that frames can reach.
    async fn open(&mut self) -> ConnectionId;
    /// A connection the adapter answers `Gone` for, or `None` if the backend never says
    /// so.
    async fn gone(&mut self) -> Option<ConnectionId>;
    /// The frames `connection` got since the last call, oldest first, waiting up to
    /// `wait` until there are `at_least`; `None` if the backend cannot show deliveries.
    async fn delivered(
        &mut self,
        connection: &ConnectionId,
        at_least: usize,
        wait: Duration,
    ) -> Option<Vec<String>>;
}

/// How long the suite waits for something that should arrive; generous for slow CI.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the suite waits to be sure something does not arrive.
const QUIET: Duration = Duration::from_millis(100);

/// Runs every push check, each on a fresh adapter and probe from `make`.
pub async fn run_all<P, R, F, Fut>(make: F)
where
    P: Push,
    R: PushProbe,
    F: Fn() -> Fut,
    Fut: Future<Output = (P, R)>,
{
    macro_rules! check {
        ($name:ident) => {{
            eprintln!(concat!("contract push::", stringify!($name)));
            let (push, mut probe) = make().await;
            $name(&push, &mut probe).await;
        }};
    }
    check!(a_post_reaches_only_its_connection);
    check!(post_many_gives_every_target_the_frame_once);
    check!(post_and_post_many_keep_call_order_per_connection);
    check!(post_many_reports_exactly_the_gone_targets);
    check!(post_many_without_targets_does_nothing);
    check!(post_many_carries_any_text_intact);
}

fn frame(n: usize) -> String {
    format!(r#"{{"type":"contract","n":{n}}}"#)
}

async fn post_many(
    push: &dyn Push,
    targets: &[ConnectionId],
    frame: &str,
) -> Vec<(ConnectionId, PushError)> {
    push.post_many(targets, &SharedFrame::from(frame)).await
}

/// Checks `connection` got exactly `expected`, if the probe can tell.
async fn expect_delivered(
    probe: &mut dyn PushProbe,
    check: &str,
    connection: &ConnectionId,
    expected: &[String],
) {
    let wait = if expected.is_empty() { QUIET } else { PATIENCE };
    if let Some(got) = probe.delivered(connection, expected.len(), wait).await {
        assert_eq!(got, expected, "{check}: frames delivered to {connection}");
    }
}

fn assert_no_failures(check: &str, failed: &[(ConnectionId, PushError)]) {
    assert!(
        failed.is_empty(),
        "{check}: every target is open, yet post_many reported {failed:?}"
    );
}

pub async fn a_post_reaches_only_its_connection(push: &dyn Push, probe: &mut dyn PushProbe) {
    let check = "a_post_reaches_only_its_connection";
    let (a, b) = (probe.open().await, probe.open().await);
    push.post(&a, &frame(1))
        .await
        .unwrap_or_else(|e| panic!("{check}: post to an open connection: {e:?}"));
    expect_delivered(probe, check, &a, &[frame(1)]).await;
    expect_delivered(probe, check, &b, &[]).await;
}

pub async fn post_many_gives_every_target_the_frame_once(
    push: &dyn Push,
    probe: &mut dyn PushProbe,
) {
    let check = "post_many_gives_every_target_the_frame_once";
    let mut targets = Vec::new();
    for _ in 0..5 {
        targets.push(probe.open().await);
    }
    let bystander = probe.open().await;
    assert_no_failures(check, &post_many(push, &targets, &frame(7)).await);
    for t in &targets {
        expect_delivered(probe, check, t, &[frame(7)]).await;
    }
    expect_delivered(probe, check, &bystander, &[]).await;
}

pub async fn post_and_post_many_keep_call_order_per_connection(
    push: &dyn Push,
    probe: &mut dyn PushProbe,
) {
    let check = "post_and_post_many_keep_call_order_per_connection";
    let (a, b) = (probe.open().await, probe.open().await);
    let both = [a.clone(), b.clone()];
    let reversed = [b.clone(), a.clone()];
    push.post(&a, &frame(1))
        .await
        .unwrap_or_else(|e| panic!("{check}: post: {e:?}"));
    assert_no_failures(check, &post_many(push, &both, &frame(2)).await);
    push.post(&a, &frame(3))
        .await
        .unwrap_or_else(|e| panic!("{check}: post: {e:?}"));
    assert_no_failures(check, &post_many(push, &reversed, &frame(4)).await);
    assert_no_failures(check, &post_many(push, &both, &frame(5)).await);
    let for_a = [frame(1), frame(2), frame(3), frame(4), frame(5)];
    expect_delivered(probe, check, &a, &for_a).await;
    expect_delivered(probe, check, &b, &[frame(2), frame(4), frame(5)]).await;
}

pub async fn post_many_reports_exactly_the_gone_targets(
    push: &dyn Push,
    probe: &mut dyn PushProbe,
) {
    let check = "post_many_reports_exactly_the_gone_targets";
    let Some(gone) = probe.gone().await else {
        eprintln!("{check}: skipped, this backend never answers Gone");
        return;
    };
    let (a, b) = (probe.open().await, probe.open().await);
    let failed = post_many(push, &[a.clone(), gone.clone(), b.clone()], &frame(9)).await;
    assert!(
        matches!(failed.as_slice(), [(c, PushError::Gone)] if *c == gone),
        "{check}: expected only {gone} reported Gone, got {failed:?}"
    );
    expect_delivered(probe, check, &a, &[frame(9)]).await;
    expect_delivered(probe, check, &b, &[frame(9)]).await;
    // `post` agrees.
    assert!(
        matches!(push.post(&gone, &frame(10)).await, Err(PushError::Gone)),
        "{check}: post to {gone} must answer Gone too"
    );
}

pub async fn post_many_without_targets_does_nothing(push: &dyn Push, probe: &mut dyn PushProbe) {
    let check = "post_many_without_targets_does_nothing";
    let a = probe.open().await;
    assert_no_failures(check, &post_many(push, &[], &frame(1)).await);
    expect_delivered(probe, check, &a, &[]).await;
}

pub async fn post_many_carries_any_text_intact(push: &dyn Push, probe: &mut dyn PushProbe) {
    let check = "post_many_carries_any_text_intact";
    let (a, b) = (probe.open().await, probe.open().await);
    let text = format!(
        r#"{{"type":"contract","text":"é ✓ 😀 \" \\ {}"}}"#,
        "x".repeat(20_000)
    );
    assert_no_failures(
        check,
        &post_many(push, &[a.clone(), b.clone()], &text).await,
    );
    expect_delivered(probe, check, &a, std::slice::from_ref(&text)).await;
    expect_delivered(probe, check, &b, std::slice::from_ref(&text)).await;
}
