//! Route tables: `(pattern, method, route)` rows matched against the request path.
//!
//! A pattern is a path whose segments are literals or `{name}` (one non-empty segment,
//! percent-decoded, available as a path parameter) — the same syntax as API Gateway's
//! route keys. An unknown path and a known path with the wrong method both answer
//! `404 not_found`: the protocol has no code for 405, so the message names the method
//! to use instead.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::Method;
use chat_core::{CoreError, CoreResult};

/// One row of a route table: path pattern, method, what the function calls it.
pub type RouteRow<R> = (&'static str, Method, R);

/// Values of a matched pattern's `{name}` segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    /// The value of `{name}`, if the matched pattern has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The path to route on: `rawPath`, without a named stage prefix (`/prod/me` → `/me`)
/// and without a trailing slash.
pub fn route_path(req: &ApiGatewayV2httpRequest) -> String {
    let raw = req
        .raw_path
        .as_deref()
        .or(req.request_context.http.path.as_deref())
        .unwrap_or("/");
    let mut path = raw;
    if let Some(stage) = req
        .request_context
        .stage
        .as_deref()
        .filter(|s| *s != "$default")
    {
        if let Some(rest) = raw.strip_prefix('/').and_then(|r| r.strip_prefix(stage)) {
            if rest.is_empty() || rest.starts_with('/') {
                path = rest;
            }
        }
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Finds the row for `method` and `path`.
pub fn find_route<R: Copy>(
    routes: &[RouteRow<R>],
    method: &Method,
    path: &str,
) -> CoreResult<(R, PathParams)> {
    let mut allowed = None;
    for (pattern, route_method, route) in routes {
        if let Some(params) = match_pattern(pattern, path) {
            if route_method == method {
                return Ok((*route, params));
            }
            allowed = Some(route_method);
        }
    }
    Err(match allowed {
        Some(expected) => CoreError::not_found(format!(
            "{method} is not supported on {path}; use {expected}"
        )),
        None => CoreError::not_found(format!("no route for {method} {path}")),
    })
}

fn match_pattern(pattern: &'static str, path: &str) -> Option<PathParams> {
    let mut wanted = pattern.split('/');
    let mut given = path.split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(PathParams(params)),
            (Some(w), Some(g)) => match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) if !g.is_empty() => params.push((name, percent_decode(g)?)),
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            },
            _ => return None,
        }
    }
}

/// `%2F`-style escapes in one path segment; a malformed escape matches nothing.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum R {
        Login,
        Participants,
        Messages,
        User,
    }

    const ROUTES: &[RouteRow<R>] = &[
        ("/auth/login", Method::POST, R::Login),
        (
            "/supervisor/rooms/{roomId}/participants",
            Method::GET,
            R::Participants,
        ),
        (
            "/supervisor/rooms/{roomId}/messages",
            Method::GET,
            R::Messages,
        ),
        ("/admin/users/{id}", Method::PATCH, R::User),
    ];

    fn request(raw_path: &str, stage: Option<&str>) -> ApiGatewayV2httpRequest {
        let mut req = ApiGatewayV2httpRequest::default();
        req.raw_path = Some(raw_path.into());
        req.request_context.stage = stage.map(String::from);
        req
    }

    #[test]
    fn named_stages_and_trailing_slashes_are_ignored_for_routing() {
        assert_eq!(route_path(&request("/prod/me", Some("prod"))), "/me");
        assert_eq!(route_path(&request("/me/", Some("$default"))), "/me");
        assert_eq!(
            route_path(&request("/production/me", Some("prod"))),
            "/production/me"
        );
        assert_eq!(route_path(&request("/", None)), "/");
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_not_found() {
        let (route, params) = find_route(ROUTES, &Method::POST, "/auth/login").unwrap();
        assert_eq!((route, params), (R::Login, PathParams::default()));
        let wrong = find_route(ROUTES, &Method::GET, "/auth/login").unwrap_err();
        assert_eq!(wrong.code().http_status(), 404);
        assert!(wrong.public_message().contains("use POST"));
        assert!(find_route(ROUTES, &Method::GET, "/nope").is_err());
    }

    #[test]
    fn braces_capture_one_decoded_segment() {
        let (route, params) =
            find_route(ROUTES, &Method::GET, "/supervisor/rooms/rm_1/participants").unwrap();
        assert_eq!(
            (route, params.get("roomId")),
            (R::Participants, Some("rm_1"))
        );
        let (route, params) =
            find_route(ROUTES, &Method::GET, "/supervisor/rooms/a%3Ab/messages").unwrap();
        assert_eq!((route, params.get("roomId")), (R::Messages, Some("a:b")));
        let (_, params) = find_route(ROUTES, &Method::PATCH, "/admin/users/usr_9").unwrap();
        assert_eq!(params.get("id"), Some("usr_9"));
        assert_eq!(params.get("roomId"), None);
    }

    #[test]
    fn a_parameter_never_matches_an_empty_or_extra_segment() {
        for path in [
            "/supervisor/rooms//participants",
            "/supervisor/rooms/a/b/participants",
            "/supervisor/rooms/participants",
            "/admin/users",
            "/admin/users/x/y",
            "/admin/users/bad%zz",
        ] {
            assert!(
                find_route(ROUTES, &Method::GET, path).is_err()
                    && find_route(ROUTES, &Method::PATCH, path).is_err(),
                "{path}"
            );
        }
    }
}
