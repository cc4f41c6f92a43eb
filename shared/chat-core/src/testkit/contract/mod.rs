//! Port contract suites: what every adapter of a port must do, written once.
//!
//! An adapter crate runs a suite with its own constructor, e.g.
//! `chat_core::testkit::contract::store::run_all(|| async { MyStore::new() }).await`.
//!
//! - [`store`]: `UserStore`, `RoomStore`, `MessageStore`, `ConnectionStore`,
//!   `TicketStore`, `InviteStore`, `AuditStore`, `FileStore` (one submodule per concern,
//!   one runner for all).
//! - [`jobs`]: `Jobs`, observed through the adapter's own delivery side ([`jobs::JobSource`]).
//! - [`push`]: `Push`, `post_many` included, observed through the adapter's delivery side
//!   ([`push::PushProbe`]).
//! - [`blobs`]: the `Blobs` contract.
//! - [`robots`]: the `Robots` contract (catalog shape, every robot answers or fails).
//! - [`fixtures`]: builders for users, rooms, members, messages, connections, invites and
//!   audit entries with fixed timestamps (nanosecond precision, so adapters prove they
//!   store time exactly).
//!
//! Every check is a `pub async fn` that panics with a message naming the check and what
//! was expected, so an adapter can also run a single check (or run one against several
//! handles on the same backend, e.g. two SQLite connections to one file).
//!
//! Concurrency checks run their operations with `futures::future::join_all` rather than
//! spawning: the core carries no runtime. The futures are polled together, so an adapter
//! whose operations do real I/O (a blocking-pool thread per SQLite call, an HTTP request
//! per DynamoDB call) executes them truly in parallel; the checks accept several store
//! handles so a backend shared by independent connections can be raced as well.

pub mod blobs;
pub mod fixtures;
pub mod jobs;
pub mod push;
pub mod robots;
pub mod store;

/// Runs `$check(&store)` for each named check, each on a fresh store from `$make`, and
/// prints the check's name first so a failure is easy to place.
macro_rules! run_checks {
    ($suite:literal, $make:expr, [$($check:path),* $(,)?]) => {
        $(
            {
                eprintln!(concat!("contract ", $suite, "::", stringify!($check)));
                let store = ($make)().await;
                $check(&store).await;
            }
        )*
    };
}
pub(crate) use run_checks;
