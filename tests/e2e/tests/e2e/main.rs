//! The end-to-end tests, one module per journey or concern, in ONE test binary.
//!
//! Every test here links the whole gateway (chat-local with both backends and the AWS
//! SDK); sixteen binaries meant sixteen such links per CI build. cargo-nextest still
//! runs each test in its own process, so merging them changed no isolation.

mod admins;
mod auth;
mod fanout;
mod files;
mod forms_robot;
mod frames;
mod guests;
mod handshake;
mod history;
mod idempotency;
mod issues;
mod ordering;
mod restart;
mod robots;
mod rooms;
mod supervisors;
