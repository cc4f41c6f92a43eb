//! chat-aws's integration tests (contracts, costs, faults, jobs, push, blobs against
//! moto on loopback), one module each, in ONE test binary: each binary links the AWS
//! SDK, and one link instead of nine saves CI minutes. cargo-nextest still runs every
//! test in its own process.

mod blobs;
mod dynamo_contract;
mod dynamo_costs_accounts;
mod dynamo_costs_rooms;
mod dynamo_faults;
mod faults;
mod jobs;
mod push;
mod request_counts;
