//! The OpenAPI document as one self-contained HTML page (`GET /api-docs`).
//!
//! Rendered on the server from the document's JSON, so the page needs no script, no
//! stylesheet from a CDN and no network: the usual viewers (Swagger UI, Redoc) load
//! their code and fonts from elsewhere. It shows what a reader needs: each operation
//! with its parameters, body, answers and security, then every schema's fields.
//! Everything taken from the document is HTML-escaped.

use std::fmt::Write;

use serde_json::{Map, Value};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;\
padding:0 1em;line-height:1.45;color:#222}code{background:#f3f3f3;padding:0 .2em}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;\
padding:.25em .5em;text-align:left;vertical-align:top}section{border-top:1px solid #ddd;\
margin-top:1.5em}.m{font-weight:bold;text-transform:uppercase;font-family:monospace}\
.get{color:#0a6}.post{color:#06a}.patch{color:#a60}.put{color:#a60}.delete{color:#a00}";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The page for `doc` (an OpenAPI document as JSON).
pub fn render(doc: &Value) -> String {
    let title = str_at(doc, &["info", "title"]).unwrap_or("API");
    let version = str_at(doc, &["info", "version"]).unwrap_or("");
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{t}</title><style>{STYLE}</style></head><body><h1>{t} <small>{v}</small></h1>",
        t = esc(title),
        v = esc(version),
    );
    if let Some(description) = str_at(doc, &["info", "description"]) {
        out.push_str(&prose(description));
    }
    let _ = write!(
        out,
        "<p>OpenAPI {} — the document itself: <a href=\"openapi.json\">openapi.json</a>.</p>",
        esc(doc["openapi"].as_str().unwrap_or("?"))
    );
    if let Some(servers) = doc["servers"].as_array() {
        out.push_str("<p>Servers: ");
        for server in servers {
            let _ = write!(
                out,
                "<code>{}</code> ",
                esc(server["url"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</p>");
    }

    let operations = operations(doc);
    out.push_str("<h2>Operations</h2><ul>");
    for (path, method, op) in &operations {
        let _ = write!(
            out,
            "<li><a href=\"#{id}\"><span class=\"m {method}\">{method}</span> <code>{p}</code></a> {s}</li>",
            id = anchor(&format!("op-{method}-{path}")),
            p = esc(path),
            s = esc(first_line(op)),
        );
    }
    out.push_str("</ul>");
    for (path, method, op) in &operations {
        operation(&mut out, path, method, op);
    }

    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<section id=\"{}\"><h3>{}</h3>",
                anchor(&format!("schema-{name}")),
                esc(name)
            );
            schema_body(&mut out, schema);
            out.push_str("</section>");
        }
    }
    out.push_str("</body></html>");
    out
}

/// `(path, method, operation)` in document order.
fn operations(doc: &Value) -> Vec<(String, &'static str, &Value)> {
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    ops.push((path.clone(), method, op));
                }
            }
        }
    }
    ops
}

fn operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let _ = write!(
        out,
        "<section id=\"{id}\"><h3><span class=\"m {method}\">{method}</span> <code>{p}</code></h3>",
        id = anchor(&format!("op-{method}-{path}")),
        p = esc(path),
    );
    if let Some(text) = op["summary"].as_str() {
        out.push_str(&prose(text));
    }
    if let Some(text) = op["description"].as_str() {
        out.push_str(&prose(text));
    }
    match op["security"].as_array() {
        Some(reqs) if !reqs.is_empty() => {
            let names: Vec<String> = reqs
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|r| r.keys().map(|k| esc(k)))
                .collect();
            let _ = write!(out, "<p>Security: {}.</p>", names.join(", "));
        }
        _ => out.push_str("<p>Security: none.</p>"),
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th>\
             <th>schema</th><th>description</th></tr>",
        );
        for param in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(param["name"].as_str().unwrap_or("")),
                esc(param["in"].as_str().unwrap_or("")),
                if param["required"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                schema_summary(&param["schema"]),
                inline_prose(param["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        out.push_str("<h4>Body</h4><ul>");
        for (media, body) in content {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(media),
                schema_summary(&body["schema"])
            );
        }
        out.push_str("</ul>");
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str(
            "<h4>Answers</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>",
        );
        for (status, response) in responses {
            let (description, content) = match response["$ref"].as_str() {
                Some(reference) => {
                    let name = reference.rsplit('/').next().unwrap_or(reference);
                    (
                        format!(
                            "{} (<code>{}</code>)",
                            response_description(name),
                            esc(name)
                        ),
                        None,
                    )
                }
                None => (
                    inline_prose(response["description"].as_str().unwrap_or("")),
                    response["content"].as_object(),
                ),
            };
            let body = match content {
                Some(content) => content
                    .iter()
                    .map(|(media, c)| {
                        format!(
                            "<code>{}</code> {}",
                            esc(media),
                            schema_summary(&c["schema"])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>"),
                None if response.get("$ref").is_some() => {
                    "<code>application/json</code> <a href=\"#schema-ErrorBody\">ErrorBody</a>"
                        .to_string()
                }
                None => "none".to_string(),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{description}</td><td>{body}</td></tr>",
                esc(status)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

/// A shared response's meaning, from its name (the document keeps the text under
/// `components.responses`; the name already says which error it is).
fn response_description(name: &str) -> String {
    let code = match name {
        "BadRequest" => "bad_request",
        "Unauthorized" => "unauthorized",
        "Forbidden" => "forbidden",
        "NotFound" => "not_found",
        "Conflict" => "conflict",
        "PayloadTooLarge" => "payload_too_large",
        "RateLimited" => "rate_limited",
        "Internal" => "internal",
        "Unavailable" => "unavailable",
        other => return esc(other),
    };
    format!("error <code>{code}</code>")
}

/// A schema's fields (objects), values (enums) or shape (anything else).
fn schema_body(out: &mut String, schema: &Value) {
    if let Some(text) = schema["description"].as_str() {
        out.push_str(&prose(text));
    }
    if let Some(parts) = schema["allOf"].as_array() {
        out.push_str("<p>All of:</p>");
        for part in parts {
            schema_body(out, part);
        }
        return;
    }
    match schema["properties"].as_object() {
        Some(properties) => properties_table(out, properties, schema),
        None => {
            let _ = write!(out, "<p>{}</p>", schema_summary(schema));
        }
    }
}

fn properties_table(out: &mut String, properties: &Map<String, Value>, schema: &Value) {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str(
        "<table><tr><th>field</th><th>schema</th><th>required</th><th>description</th></tr>",
    );
    for (name, property) in properties {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            schema_summary(property),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            inline_prose(property["description"].as_str().unwrap_or("")),
        );
    }
    out.push_str("</table>");
    if schema["additionalProperties"] == Value::Bool(false) {
        out.push_str("<p>No other fields are accepted.</p>");
    }
}

/// One line describing a schema: a link for a reference, the type with its
/// constraints otherwise.
fn schema_summary(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!(
            "<a href=\"#{}\">{}</a>",
            anchor(&format!("schema-{name}")),
            esc(name)
        );
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[key].as_array() {
            let inner: Vec<String> = parts.iter().map(schema_summary).collect();
            return inner.join(" | ");
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ if schema.as_object().is_some_and(Map::is_empty) => "any".to_string(),
        _ => "object".to_string(),
    };
    let mut summary = esc(&ty);
    if ty.contains("array") {
        summary = format!("array of {}", schema_summary(&schema["items"]));
    } else if ty.contains("object") {
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            summary = format!("map of {}", schema_summary(values));
        }
    }
    let mut notes = Vec::new();
    for key in [
        "format",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
    ] {
        if let Some(value) = schema.get(key) {
            let shown = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            notes.push(format!("{key} <code>{}</code>", esc(&shown)));
        }
    }
    if !notes.is_empty() {
        summary.push_str(&format!(" ({})", notes.join(", ")));
    }
    summary
}

fn str_at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().try_fold(value, |v, k| v.get(k))?.as_str()
}

fn first_line(op: &Value) -> &str {
    op["summary"]
        .as_str()
        .or(op["description"].as_str())
        .and_then(|t| t.lines().next())
        .unwrap_or("")
}

/// Paragraphs of text, with `code` spans.
fn prose(text: &str) -> String {
    text.split("\n\n")
        .map(|para| format!("<p>{}</p>", inline_prose(para)))
        .collect()
}

/// Escaped text whose backtick spans become `<code>`.
fn inline_prose(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

/// A fragment id: letters, digits and `-` only.
fn anchor(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn esc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_from_the_document_is_escaped() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "<script>x</script>", "version": "1"},
            "paths": {"/a/{id}": {"get": {
                "summary": "Reads `a` & more",
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "string", "pattern": "^<b>$"}}],
                "responses": {"200": {"description": "ok", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}
            }}},
            "components": {"schemas": {"A": {"type": "object",
                "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}
        });
        let page = render(&doc);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("<code>a</code> &amp; more"));
        assert!(page.contains("^&lt;b&gt;$"));
        assert!(page.contains("href=\"#schema-A\""));
        assert!(page.contains("id=\"op-get--a--id-\""));
    }
}
