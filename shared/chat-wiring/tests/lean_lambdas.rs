//! The deployed Lambda functions link the AWS adapters and nothing heavier: no SQLite,
//! no embedded store, no second TLS stack. Each function's *normal* dependency tree
//! (what `cargo lambda build` compiles into its `bootstrap`, dev-dependencies excluded)
//! is read from `cargo tree`, resolved for that package alone as a Lambda build
//! resolves it. The tree is the host's (Linux, like Lambda's): `--target all` would
//! need every platform's crates downloaded, and nothing here is platform-specific.

use std::process::Command;

/// Crates no deployed function may contain, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "chat-embedded",
        "the embedded store belongs to the local gateway",
    ),
    (
        "rusqlite",
        "SQLite has no place in a Lambda: state lives in DynamoDB",
    ),
    ("libsqlite3-sys", "bundled SQLite C code"),
    (
        "utoipa",
        "API descriptions are built by chat-local and the tests (feature `schema`)",
    ),
    ("ts-rs", "TypeScript export is a test-time tool"),
    (
        "aws-lc-sys",
        "a second crypto C build; the SDK uses rustls on ring",
    ),
    (
        "aws-lc-rs",
        "a second crypto stack; the SDK uses rustls on ring",
    ),
    ("openssl-sys", "native TLS; everything uses rustls"),
    ("native-tls", "native TLS; everything uses rustls"),
];

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    cmd
}

/// The workspace's Lambda function packages (`functions/*`, named `fn-*`).
fn function_packages() -> Vec<String> {
    let out = cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|name| name.starts_with("fn-"))
        .map(str::to_string)
        .collect()
}

fn normal_dependencies(package: &str) -> String {
    let out = cargo()
        .args([
            "tree",
            "--package",
            package,
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--locked",
            "--offline",
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo tree prints UTF-8")
}

#[test]
fn deployed_functions_link_no_embedded_store_sqlite_or_second_tls_stack() {
    let functions = function_packages();
    assert_eq!(
        functions.len(),
        8,
        "expected the eight Lambda functions, found {functions:?}"
    );
    let mut offences = Vec::new();
    for function in &functions {
        let tree = normal_dependencies(function);
        assert!(
            tree.lines().any(|l| l.starts_with("chat-aws ")),
            "{function} should link the AWS adapters:\n{tree}"
        );
        for (forbidden, why) in FORBIDDEN {
            if tree
                .lines()
                .any(|l| l.starts_with(&format!("{forbidden} ")))
            {
                offences.push(format!("{function} links {forbidden} ({why})"));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn the_check_can_fail_the_local_gateway_links_sqlite() {
    // The same reading of the same tree finds SQLite where it is meant to be: were
    // the check broken (say, `cargo tree` printing nothing), this would fail too.
    let tree = normal_dependencies("chat-local");
    assert!(tree.lines().any(|l| l.starts_with("rusqlite ")));
    assert!(tree.lines().any(|l| l.starts_with("chat-embedded ")));
}
