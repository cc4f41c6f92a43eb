//! A socket's writer: drains the frames the hub queued for one connection into its
//! WebSocket, gathering them so a busy socket costs one write per interval rather than
//! one per frame.
//!
//! Why gather: in a busy room every message is one frame to each member's sockets. Sent
//! one by one, each frame costs the gateway a task wake-up and a `write` syscall, and the
//! client a wake-up and a `read`; on the 2-core load box those wake-ups were the largest
//! item of the profile. Gathered, a socket that receives thousands of frames a second
//! writes a few hundred times a second, with no added delay when it is quiet.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, close_code};
use chat_embedded::push::Outgoing;
use futures::{Sink, SinkExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::Instant;
use tracing::debug;

/// A busy socket flushes at most once per this interval. Four milliseconds is far below
/// what a person notices; at 2,500 frames/s per socket it gathers about ten frames per
/// write. Only a busy socket waits (a quiet one writes at once). 1, 2 and 4 ms were
/// measured (BENCHMARKS.md): since the send path stopped hopping threads, 4 ms gives
/// both the higher saturation point and the lower p99 under load, because the fewer
/// writes leave the CPU to everything else on the message's path.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(4);

/// Most frames gathered into one flush, so one burst's buffer stays bounded.
const MAX_FRAMES_PER_FLUSH: usize = 256;

/// Drains the socket's channel until it closes (or `Outgoing::Close`, or a failed
/// write). Every frame queued when the writer runs goes into the WebSocket's write
/// buffer and they leave with one flush.
///
/// After a flush the writer sleeps out [`FLUSH_INTERVAL`] and then takes whatever
/// queued meanwhile without waiting on the channel, so frames posted to a busy socket
/// wake nothing: one timer wake-up and one syscall per interval. When an interval ends
/// with nothing queued the socket is quiet again and the writer waits on the channel,
/// so a frame on a quiet socket goes out at once (no added latency at low load) and a
/// frame on a busy one waits at most one interval (plus the timer's millisecond
/// granularity).
pub async fn write_loop<S>(sink: S, rx: UnboundedReceiver<Outgoing>)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    write_loop_every(sink, rx, FLUSH_INTERVAL).await
}

/// [`write_loop`] with another gathering interval (the `ws_floor` example measures
/// several).
pub async fn write_loop_every<S>(
    mut sink: S,
    mut rx: UnboundedReceiver<Outgoing>,
    interval: Duration,
) where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let mut busy_until: Option<Instant> = None;
    loop {
        let first = match busy_until {
            Some(due) => {
                tokio::time::sleep_until(due).await;
                match rx.try_recv() {
                    Ok(out) => out,
                    Err(TryRecvError::Empty) => {
                        busy_until = None;
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => break,
                }
            }
            None => match rx.recv().await {
                Some(out) => out,
                None => break,
            },
        };
        let mut next = Some(first);
        let mut fed = 0;
        while let Some(out) = next.take() {
            if !feed(&mut sink, out).await {
                return;
            }
            fed += 1;
            if fed < MAX_FRAMES_PER_FLUSH {
                next = rx.try_recv().ok();
            }
        }
        if let Err(e) = sink.flush().await {
            debug!(error = %e, "socket write failed");
            return;
        }
        busy_until = Some(Instant::now() + interval);
    }
    // The channel closed (the socket is being torn down): what was fed is flushed by
    // the close.
    let _ = sink.close().await;
}

/// Feeds one frame into the socket's write buffer (a close is sent and flushed at
/// once); `false` when the writer must stop.
async fn feed<S>(sink: &mut S, out: Outgoing) -> bool
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    match out {
        Outgoing::Text(frame) => {
            // Shares the frame's bytes with the other sockets' copies of it; the check
            // is a fast scan (a `SharedFrame` is UTF-8 by construction).
            match Utf8Bytes::try_from(frame.into_bytes()) {
                Ok(text) => {
                    if let Err(e) = sink.feed(Message::Text(text)).await {
                        debug!(error = %e, "socket write failed");
                        return false;
                    }
                }
                Err(_) => debug!("dropped a frame that is not UTF-8"),
            }
            true
        }
        Outgoing::Close => {
            let frame = CloseFrame {
                code: close_code::NORMAL,
                reason: "closed by the server".into(),
            };
            // `send` flushes the frames fed before the close as well.
            let _ = sink.send(Message::Close(Some(frame))).await;
            let _ = sink.close().await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
    use tokio::task::JoinHandle;

    use super::*;

    /// What the writer did to its socket: each flush's frames, in order.
    #[derive(Default)]
    struct Wire {
        fed: Vec<String>,
        writes: Vec<Vec<String>>,
        closed: bool,
    }

    /// A socket that records writes instead of sending them.
    struct RecordingSocket(Arc<Mutex<Wire>>);

    impl Sink<Message> for RecordingSocket {
        type Error = axum::Error;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), axum::Error> {
            let text = match item {
                Message::Text(t) => t.to_string(),
                Message::Close(_) => "<close>".to_string(),
                other => format!("{other:?}"),
            };
            self.0.lock().unwrap().fed.push(text);
            Ok(())
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            let mut wire = self.0.lock().unwrap();
            if !wire.fed.is_empty() {
                let batch = std::mem::take(&mut wire.fed);
                wire.writes.push(batch);
            }
            Poll::Ready(Ok(()))
        }

        fn poll_close(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Result<(), axum::Error>> {
            let flushed = self.as_mut().poll_flush(cx);
            self.0.lock().unwrap().closed = true;
            flushed
        }
    }

    fn writer() -> (UnboundedSender<Outgoing>, Arc<Mutex<Wire>>, JoinHandle<()>) {
        let (tx, rx) = unbounded_channel();
        let wire = Arc::new(Mutex::new(Wire::default()));
        let task = tokio::spawn(write_loop(RecordingSocket(Arc::clone(&wire)), rx));
        (tx, wire, task)
    }

    fn text(s: &str) -> Outgoing {
        Outgoing::Text(s.into())
    }

    /// Lets every runnable task run, without moving the (paused) clock.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    fn writes(wire: &Mutex<Wire>) -> Vec<Vec<String>> {
        wire.lock().unwrap().writes.clone()
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_on_a_quiet_socket_goes_out_at_once() {
        let (tx, wire, _task) = writer();
        tx.send(text("a")).unwrap();
        settle().await;
        assert_eq!(
            writes(&wire),
            vec![vec!["a"]],
            "no timer may delay a quiet socket"
        );

        // Once an interval has passed with nothing queued, the socket is quiet again.
        tokio::time::advance(FLUSH_INTERVAL * 2).await;
        settle().await;
        tx.send(text("b")).unwrap();
        settle().await;
        assert_eq!(writes(&wire), vec![vec!["a"], vec!["b"]]);
    }

    #[tokio::test(start_paused = true)]
    async fn frames_for_a_busy_socket_are_gathered_into_one_write_per_interval() {
        let (tx, wire, _task) = writer();
        tx.send(text("first")).unwrap();
        settle().await;
        for i in 0..10 {
            tx.send(text(&format!("m{i}"))).unwrap();
        }
        settle().await;
        assert_eq!(writes(&wire).len(), 1, "the burst waits for the interval");

        tokio::time::advance(FLUSH_INTERVAL).await;
        settle().await;
        let expected: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        assert_eq!(writes(&wire), vec![vec!["first".to_string()], expected]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_frame_waits_longer_than_one_interval() {
        let (tx, wire, _task) = writer();
        tx.send(text("first")).unwrap();
        settle().await;
        tokio::time::advance(FLUSH_INTERVAL / 2).await;
        tx.send(text("second")).unwrap();
        settle().await;
        tokio::time::advance(FLUSH_INTERVAL / 2).await;
        settle().await;
        assert_eq!(writes(&wire), vec![vec!["first"], vec!["second"]]);
    }

    /// Queues "a" and lets it go out, queues `more` (and drops the channel if told to),
    /// then lets the writer run to its end: every frame written, in order, and whether
    /// the socket was closed.
    async fn run_to_the_end(more: Vec<Outgoing>, drop_channel: bool) -> (Vec<String>, bool) {
        let (tx, wire, task) = writer();
        tx.send(text("a")).unwrap();
        settle().await;
        for out in more {
            tx.send(out).unwrap();
        }
        let kept = (!drop_channel).then_some(tx);
        tokio::time::advance(FLUSH_INTERVAL).await;
        task.await.unwrap();
        drop(kept);
        let wire = wire.lock().unwrap();
        (wire.writes.concat(), wire.closed)
    }

    #[tokio::test(start_paused = true)]
    async fn frames_queued_before_a_close_still_go_out_in_order() {
        let queued = vec![text("b"), text("c"), Outgoing::Close];
        let (written, closed) = run_to_the_end(queued, false).await;
        assert_eq!(written, ["a", "b", "c", "<close>"]);
        assert!(closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_channel_flushes_what_is_queued_and_closes() {
        let (written, closed) = run_to_the_end(vec![text("b")], true).await;
        assert_eq!(written, ["a", "b"]);
        assert!(closed);
    }
}
