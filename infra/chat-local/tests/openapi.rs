//! The HTTP API's OpenAPI description: the deployed routes (template.yaml) are exactly
//! the documented operations, and the gateway serves the document and its page.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// `(path, METHOD)` of every `HttpApi` event in template.yaml with an explicit method
/// and path. The catch-alls (`$default`, `ANY …/{proxy+}`) only route unknown paths to
/// a function's own `404`; they are not operations.
fn template_routes() -> BTreeSet<(String, String)> {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(&path).expect("template.yaml");
    let events: Vec<&str> = template
        .lines()
        .filter(|l| l.contains("Type: HttpApi"))
        .collect();
    assert!(
        events.len() > 10,
        "template.yaml has too few HttpApi events"
    );
    let mut routes = BTreeSet::new();
    for line in events {
        // Every event is one line (`Name: {Type: HttpApi, Properties: {…}}`); a
        // multi-line one would lose its method and path here, so refuse it.
        assert!(line.contains("ApiId:"), "unexpected HttpApi event: {line}");
        let (Some(method), Some(path)) = (field(line, "Method"), field(line, "Path")) else {
            assert!(
                !line.contains("Method:") && !line.contains("Path:"),
                "{line}"
            );
            continue;
        };
        if method == "ANY" {
            assert!(path.ends_with("{proxy+}"), "ANY on an exact path: {line}");
            continue;
        }
        routes.insert((path, method));
    }
    routes
}

/// The value after `name: ` up to the next `,` or `}`, without quotes.
fn field(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("{name}: "))? + name.len() + 2;
    let rest = &line[start..];
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        &quoted[..quoted.find('"')?]
    } else {
        &rest[..rest.find([',', '}'])?]
    };
    Some(value.trim().to_string())
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                ops.insert((path.clone(), method.to_ascii_uppercase()));
            }
        }
    }
    ops
}

#[test]
fn the_template_deploys_exactly_the_documented_operations() {
    let doc = serde_json::to_value(chat_local::api_docs::document("http://x")).unwrap();
    assert_eq!(template_routes(), documented(&doc));
}

#[tokio::test]
async fn the_gateway_serves_the_description_and_its_page() {
    let t = spawn(false).await;
    let c = http();
    let resp = c
        .get(format!("{}/openapi.json", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"][0]["url"], t.base.as_str());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Every operation with a bearer answers 401 in the one error shape.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"].is_array() {
                assert_eq!(
                    op["responses"]["401"]["$ref"], "#/components/responses/Unauthorized",
                    "{method} {path}"
                );
            }
        }
    }
    assert!(documented(&doc).contains(&("/files/{fileId}".into(), "GET".into())));
    assert!(
        !doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .any(|p| p.starts_with("/blobs"))
    );

    let page = c.get(format!("{}/api-docs", t.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("/supervisor/rooms/{roomId}/transcript"));
    assert!(html.contains("id=\"schema-Message\""));
    assert!(!html.contains("<script"));
    t.gateway.shutdown().await;
}

/// `(path, METHOD)` of every row of docs/PROTOCOL.md's HTTP table: the first cell holds
/// one or more "`METHOD /path?query`" entries.
fn prose_routes() -> BTreeSet<(String, String)> {
    let path = format!("{}/../../docs/PROTOCOL.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).expect("docs/PROTOCOL.md");
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with("| method, path | who |"));
    assert!(lines.next().is_some(), "PROTOCOL.md has no HTTP table");
    let mut routes = BTreeSet::new();
    for row in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let first = row
            .trim_start_matches('|')
            .split(" | ")
            .next()
            .unwrap_or("");
        for entry in first.split('`').filter(|e| e.contains(" /")) {
            let (method, target) = entry.trim().split_once(' ').expect("METHOD /path");
            let path = target.split('?').next().unwrap_or(target);
            routes.insert((path.to_string(), method.to_string()));
        }
    }
    routes
}

/// The prose explains; the generated description decides. A route the prose lists that
/// the API lacks, or one it leaves out, fails here.
#[test]
fn protocol_md_lists_exactly_the_documented_operations() {
    let doc = serde_json::to_value(chat_local::api_docs::document("http://x")).unwrap();
    assert_eq!(prose_routes(), documented(&doc));
}
