//! `test.echo`: a made-up action that exists only with the `made-up-action` feature.
//! It shows what adding an action takes: this file (request, reply and use case), one
//! line in the registry and the `mod` line in `service`. See
//! `tests/made_up_action.rs`.

use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct TestEcho {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
pub struct EchoReply {
    pub text: String,
}

impl UseCase for TestEcho {
    type Reply = EchoReply;
    async fn run(self, _: &App, _: &Caller<'_>) -> CoreResult<EchoReply> {
        Ok(EchoReply { text: self.text })
    }
}
