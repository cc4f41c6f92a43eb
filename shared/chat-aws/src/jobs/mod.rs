//! `Jobs` on SQS, and the receiving side shared by every worker.
//!
//! - [`send`] — [`SqsJobs`], the port: one `SendMessage` per job, with the job's kind
//!   and enqueue time as message attributes.
//! - [`batch`] — [`process_batch`], what a worker does with received messages — the one
//!   code path of both the SQS-triggered Lambda (`fn-robot-worker`) and the local
//!   gateway's polling worker.
//! - [`poller`] — [`SqsJobPoller`] (long-polling `ReceiveMessage`, `DeleteMessageBatch`)
//!   and [`run_worker`], the loop the local gateway runs in place of Lambda's event
//!   source mapping.
//! - [`queue`] — [`ensure_queue`], creating the queue and its dead-letter queue where
//!   nothing else does (emulators, first local runs).
//!
//! Timers of any length: SQS delays a message by at most 15 minutes. A longer delay is
//! sent with the maximum delay and a `notBefore` attribute (epoch milliseconds); a
//! worker that receives it early enqueues it again with the remaining delay instead of
//! running it, so a job hops through the queue until it is due.

pub mod batch;
pub mod poller;
pub mod queue;
pub mod send;

use std::time::Duration;

pub use batch::{Delivery, process_batch};
pub use poller::{SqsJobPoller, run_worker, run_worker_with};
pub use queue::ensure_queue;
pub use send::SqsJobs;

/// Message attribute naming the job's kind (`robotAnswer`, …), for logs and filters.
pub const KIND_ATTRIBUTE: &str = "job";
/// Message attribute: when the job was enqueued, epoch milliseconds.
pub const ENQUEUED_AT_ATTRIBUTE: &str = "enqueuedAt";
/// Message attribute: the job must not run before this instant, epoch milliseconds.
/// Only present when the delay is longer than SQS allows.
pub const NOT_BEFORE_ATTRIBUTE: &str = "notBefore";

/// The longest delay SQS applies to one message.
pub const MAX_SQS_DELAY: Duration = Duration::from_secs(900);
