//! A stand-in for the Formstack API v2 on 127.0.0.1 for the forms robot's tests, and the
//! repository's test forms it serves. Nothing here reaches the internet.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use robots::forms::{FormstackConfig, TokenSource};
use robots::llm::ApiKey;
use robots::{Registry, RobotsConfig};
use serde_json::{Value, json};

pub const TOKEN: &str = "fs-robot-token-0123456789";
/// The stub answers this form id only after [`SLOW_FOR`].
pub const SLOW_ID: &str = "999";
pub const SLOW_FOR: Duration = Duration::from_secs(3);
/// The stub answers this form id with 429 and `Retry-After: 30`.
pub const LIMITED_ID: &str = "429";

pub fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-observations/tests/forms")
}

pub fn form_bytes(name: &str) -> Vec<u8> {
    std::fs::read(forms_dir().join(name)).unwrap()
}

/// `GET /api/v2/form/{id}.json` with `Authorization: Bearer TOKEN`, answered from the
/// test forms; records the paths it was asked for.
pub struct Formstack {
    pub url: String,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Formstack {
    pub async fn start() -> Self {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(serve_form).with_state(asked.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Formstack { url, asked }
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    /// A registry whose forms robot uses this stub with `token` and `timeout`.
    pub fn registry(&self, token: Option<&str>, timeout: Duration) -> Registry {
        Registry::new(RobotsConfig {
            formstack: FormstackConfig {
                base_url: self.url.clone(),
                token: token.map(|t| TokenSource::Direct(ApiKey::new(t))),
                connect_timeout: Duration::from_secs(1),
                timeout,
                ..FormstackConfig::default()
            },
            ..RobotsConfig::default()
        })
    }
}

pub async fn serve_form(
    State(asked): State<Arc<Mutex<Vec<String>>>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    asked.lock().unwrap().push(uri.path().to_owned());
    let reply = |status: StatusCode, body: Value| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let bearer = format!("Bearer {TOKEN}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"status": "error", "error": "Invalid OAuth2 access token"}),
        );
    }
    let id = uri
        .path()
        .strip_prefix("/api/v2/form/")
        .and_then(|rest| rest.strip_suffix(".json"))
        .unwrap_or_default();
    if id == SLOW_ID {
        tokio::time::sleep(SLOW_FOR).await;
    }
    if id == LIMITED_ID {
        let mut response = reply(StatusCode::TOO_MANY_REQUESTS, json!({"status": "error"}));
        response
            .headers_mut()
            .insert("retry-after", "30".parse().unwrap());
        return response;
    }
    let known = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    match known.then(|| std::fs::read(forms_dir().join(format!("{id}.json")))) {
        Some(Ok(form)) => Response::builder()
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(form))
            .unwrap(),
        _ => reply(
            StatusCode::NOT_FOUND,
            json!({"status": "error", "error": "The form was not found"}),
        ),
    }
}
