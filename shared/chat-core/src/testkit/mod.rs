//! Test support shared by every crate (feature `testkit`).
//!
//! - [`memory`]: in-memory adapters for every port (fast core tests, and the reference
//!   behaviour the contract suites pin down).
//! - [`contract`]: one contract suite per port; every adapter crate runs them against
//!   its own implementation.
//! - [`harness`]: an [`App`](crate::App) on memory adapters with a recording push, for
//!   use-case tests.

pub mod contract;
pub mod harness;
pub mod memory;
