//! # chat-local — the local gateway
//!
//! One process that stands in for API Gateway on localhost (DESIGN §2): it serves the
//! HTTP routes, the `/ws` WebSocket and the Management API, turns every request into
//! the event struct API Gateway would send (`aws_lambda_events`), and calls the *same*
//! function handlers the Lambdas run, in-process, on the embedded adapters (default) or
//! the AWS adapters against an emulator or a real account (`--backend aws`).
//!
//! - [`config`]: [`GatewayConfig`] and the gateway's defaults.
//! - [`server`]: [`start`] / [`RunningGateway`]: storage, app, listener, shutdown.
//! - `accept`: `TCP_NODELAY`, and connections that send nothing are dropped.
//! - `http_bridge`: every other HTTP request ⇄ `ApiGatewayV2httpRequest`, routed like
//!   API Gateway's routes: `/supervisor/*` → `fn_supervisor_api`, `/admin/*` →
//!   `fn_admin_api`, the rest → `fn_auth`.
//! - [`functions`]: who answers those events — the handlers in-process, or the Lambda
//!   binaries under `cargo lambda watch` through the Invoke API (`--lambda-endpoint`).
//! - `ws`: `/ws` handshake (`$connect`), frames (`$default`), close (`$disconnect`).
//! - `management`: `POST`/`GET`/`DELETE /@connections/{id}`, behind a key.
//! - `blob_routes`: `PUT`/`GET /blobs/{token}`, the folder store's pre-signed URLs
//!   (embedded backend), and its hourly sweeper.
//! - [`api_docs`]: `GET /openapi.json` (the HTTP functions' merged OpenAPI 3.1
//!   descriptions) and `GET /api-docs` (the same as a page, rendered by `api_docs_html`).
//! - `web_ui`: the web client (`web/dist`, built into the binary) at `/` and `/join`.
//! - [`secrets`]: the signing secret and management key kept in the data folder.
//! - [`demo`]: the PROTOCOL §0 demo accounts.
//! - [`backend`]: picks and assembles the adapters (embedded or AWS) and starts the
//!   matching worker.
//! - `worker`: the in-process job worker for the embedded queue.
//! - [`admin_cli`]: `users …` subcommands on the chosen backend's store.
//! - [`cli`]: the command line (`serve` is the default subcommand).

mod accept;
pub mod admin_cli;
pub mod api_docs;
mod api_docs_html;
pub mod backend;
mod blob_routes;
pub mod cli;
pub mod config;
pub mod demo;
pub mod functions;
mod http_bridge;
mod management;
pub mod secrets;
pub mod server;
mod web_ui;
mod worker;
mod ws;
/// Public only for the `ws_floor` example, which measures the socket layer on its own.
#[doc(hidden)]
pub mod ws_writer;

pub use config::GatewayConfig;
pub use server::{RunningGateway, start};
