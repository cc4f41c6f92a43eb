//! Test support shared by every crate (feature `testkit`).
//!
//! - [`memory`]: in-memory adapters for every port (fast core tests, and the reference
//!   behaviour the contract suites pin down); the store lives in `memory.rs`, the other
//!   ports' adapters in `memory_io.rs`.
//! - [`contract`]: one contract suite per port; every adapter crate runs them against
//!   its own implementation.
//! - [`harness`]: an [`App`](crate::App) on memory adapters with a recording push, for
//!   use-case tests.
//! - [`robots`]: scripted robots (echo, batch, fail, hang, graph).

pub mod contract;
pub mod harness;
pub mod memory;
mod memory_io;
pub mod robots;
