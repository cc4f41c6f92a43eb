//! Port contract suites: what every adapter of a port must do, written once.
//!
//! An adapter crate runs a suite with its own constructor, e.g.
//! `chat_core::testkit::contract::store::run_all(|| async { MyStore::new() }).await`.
