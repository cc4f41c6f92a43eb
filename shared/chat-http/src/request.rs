//! [`Request`]: a routed HTTP API event and the typed inputs handlers read from it —
//! the bearer's account, the JSON body, path and query parameters. Every malformed
//! input is a `bad_request` naming the field; none reaches the core unparsed.

use std::fmt::Display;
use std::str::FromStr;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::header;
use base64::Engine;
use chat_core::model::UserRecord;
use chat_core::{App, CoreError, CoreResult};
use serde::de::DeserializeOwned;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

use crate::routing::PathParams;

/// An event that matched a route of the table, with its path parameters.
#[derive(Debug)]
pub struct Request {
    event: ApiGatewayV2httpRequest,
    params: PathParams,
}

impl Request {
    pub fn new(event: ApiGatewayV2httpRequest, params: PathParams) -> Self {
        Request { event, params }
    }

    pub fn event(&self) -> &ApiGatewayV2httpRequest {
        &self.event
    }

    /// The value of the route pattern's `{name}` segment. Asking for a name the
    /// pattern lacks is a bug in the route table, answered `internal`.
    pub fn path_param(&self, name: &str) -> CoreResult<&str> {
        self.params
            .get(name)
            .ok_or_else(|| CoreError::Internal(format!("route has no {{{name}}} segment")))
    }

    /// The bearer's account, re-checked against the store (missing, bad, expired or
    /// revoked token → `unauthorized`).
    pub async fn caller(&self, app: &App) -> CoreResult<UserRecord> {
        let authorization = self
            .event
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        app.authenticate_header(authorization).await
    }

    /// Decodes the body as JSON into `T`; empty, undecodable or mistyped bodies are
    /// `bad_request`.
    pub fn json_body<T: DeserializeOwned>(&self) -> CoreResult<T> {
        let raw = self.event.body.as_deref().unwrap_or("");
        let bytes = if self.event.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| CoreError::bad_request("body is not valid base64"))?
        } else {
            raw.as_bytes().to_vec()
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(CoreError::bad_request("a JSON body is required"));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::bad_request(format!("invalid JSON body: {e}")))
    }

    /// A query parameter; absent and empty are the same. Given twice → `bad_request`
    /// (API Gateway would join the values with a comma; neither reading is meant).
    pub fn query(&self, name: &str) -> CoreResult<Option<&str>> {
        let values = self
            .event
            .query_string_parameters
            .all(name)
            .unwrap_or_default();
        match values.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one).filter(|v| !v.is_empty())),
            _ => Err(CoreError::bad_request(format!(
                "{name} is given more than once"
            ))),
        }
    }

    /// A query parameter parsed with [`FromStr`] (numbers, booleans).
    pub fn query_parse<T>(&self, name: &str) -> CoreResult<Option<T>>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.query(name)?
            .map(|raw| {
                raw.parse()
                    .map_err(|e| CoreError::bad_request(format!("{name}: {e} (got {raw:?})")))
            })
            .transpose()
    }

    /// A filter over a wire enum (`status=open`, `tier=T2`), spelled as on the wire;
    /// absent, empty or `all` → no filter.
    pub fn query_filter<T: DeserializeOwned>(&self, name: &str) -> CoreResult<Option<T>> {
        match self.query(name)? {
            None | Some("all") => Ok(None),
            Some(raw) => {
                let wire: StrDeserializer<'_, ValueError> = raw.into_deserializer();
                T::deserialize(wire)
                    .map(Some)
                    .map_err(|e| CoreError::bad_request(format!("{name}: {e}, or all")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_lambda_events::query_map::QueryMap;
    use chat_core::model::{RoomStatus, Tier};

    use super::*;

    fn with_query(pairs: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        let mut event = ApiGatewayV2httpRequest::default();
        event.query_string_parameters = QueryMap::from(map);
        Request::new(event, PathParams::default())
    }

    fn code(err: CoreError) -> u16 {
        err.code().http_status()
    }

    #[test]
    fn numbers_parse_and_junk_is_a_bad_request() {
        let r = with_query(&[("afterSeq", "42"), ("limit", "ten"), ("empty", "")]);
        assert_eq!(r.query_parse::<u64>("afterSeq").unwrap(), Some(42));
        assert_eq!(r.query_parse::<u64>("missing").unwrap(), None);
        assert_eq!(r.query_parse::<u64>("empty").unwrap(), None);
        let err = r.query_parse::<usize>("limit").unwrap_err();
        assert!(err.public_message().contains("limit"));
        assert_eq!(code(err), 400);
        let negative = with_query(&[("afterSeq", "-1")]);
        assert_eq!(
            code(negative.query_parse::<u64>("afterSeq").unwrap_err()),
            400
        );
    }

    #[test]
    fn filters_use_wire_spellings_and_all_means_none() {
        let r = with_query(&[
            ("status", "concluded"),
            ("tier", "T2"),
            ("any", "all"),
            ("bad", "closed"),
            ("lower", "t2"),
        ]);
        assert_eq!(
            r.query_filter::<RoomStatus>("status").unwrap(),
            Some(RoomStatus::Concluded)
        );
        assert_eq!(r.query_filter::<Tier>("tier").unwrap(), Some(Tier::T2));
        assert_eq!(r.query_filter::<RoomStatus>("any").unwrap(), None);
        assert_eq!(r.query_filter::<Tier>("missing").unwrap(), None);
        let err = r.query_filter::<RoomStatus>("bad").unwrap_err();
        assert!(err.public_message().contains("open"), "{err}");
        assert_eq!(code(err), 400);
        assert_eq!(code(r.query_filter::<Tier>("lower").unwrap_err()), 400);
    }

    #[test]
    fn a_parameter_given_twice_is_a_bad_request() {
        let r = with_query(&[("limit", "1"), ("limit", "2")]);
        assert_eq!(code(r.query("limit").unwrap_err()), 400);
    }

    #[test]
    fn bodies_are_json_possibly_base64_encoded() {
        let mut event = ApiGatewayV2httpRequest::default();
        event.body = Some("eyJhIjoxfQ==".into());
        event.is_base64_encoded = true;
        let r = Request::new(event, PathParams::default());
        let v: serde_json::Value = r.json_body().unwrap();
        assert_eq!(v["a"], 1);
        let empty = Request::new(ApiGatewayV2httpRequest::default(), PathParams::default());
        assert_eq!(
            code(empty.json_body::<serde_json::Value>().unwrap_err()),
            400
        );
    }

    #[test]
    fn a_missing_path_parameter_is_an_internal_error() {
        let r = Request::new(ApiGatewayV2httpRequest::default(), PathParams::default());
        assert_eq!(code(r.path_param("id").unwrap_err()), 500);
    }
}
