//! `fetch_secret` against a local stub of the Parameters and Secrets Lambda Extension.

mod llm_stub;

use std::collections::HashMap;

use llm_stub::{Received, Reply, Stub};
use robots::{
    Error,
    llm::{SecretSource, fetch_secret},
};
use serde_json::json;

const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
const VALUE: &str = "sk-ant-from-secrets-0123456789";

fn query(request: &Received) -> HashMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://stub{}", request.uri)).unwrap();
    url.query_pairs().into_owned().collect()
}

fn assert_nothing_secret_in(error: &Error) {
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(VALUE), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test]
async fn secrets_manager_secret_is_read_by_name_with_the_session_token() {
    let body = json!({
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:istackbuddy/llm key-AbCdEf",
        "Name": "istackbuddy/llm key",
        "SecretString": format!("{VALUE}\n"),
        "VersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": "2024-01-01T00:00:00.000000Z",
        "ResultMetadata": {}
    });
    let stub = Stub::start(vec![Reply::Status(200, vec![], body.to_string())]).await;
    let source = SecretSource::SecretsManager("istackbuddy/llm key".into());

    let key = fetch_secret(&source, &stub.url, TOKEN).await.unwrap();

    assert_eq!(key.expose(), VALUE, "the value, trimmed");
    let received = stub.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "GET");
    assert_eq!(received[0].uri.path(), "/secretsmanager/get");
    assert_eq!(
        query(&received[0]).get("secretId").map(String::as_str),
        Some("istackbuddy/llm key")
    );
    assert_eq!(
        received[0].header("x-aws-parameters-secrets-token"),
        Some(TOKEN)
    );
}

#[tokio::test]
async fn parameter_is_read_decrypted_by_name() {
    let body = json!({
        "Parameter": {
            "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/istackbuddy/llm/key",
            "DataType": "text",
            "LastModifiedDate": "2024-01-01T00:00:00.000Z",
            "Name": "/istackbuddy/llm/key",
            "Selector": null,
            "SourceResult": null,
            "Type": "SecureString",
            "Value": VALUE,
            "Version": 1
        },
        "ResultMetadata": {}
    });
    let stub = Stub::start(vec![Reply::Status(200, vec![], body.to_string())]).await;
    let source = SecretSource::Parameter("/istackbuddy/llm/key".into());

    let key = fetch_secret(&source, &format!("{}/", stub.url), TOKEN)
        .await
        .unwrap();

    assert_eq!(key.expose(), VALUE);
    let received = stub.received();
    assert_eq!(received[0].uri.path(), "/systemsmanager/parameters/get");
    let query = query(&received[0]);
    assert_eq!(
        query.get("name").map(String::as_str),
        Some("/istackbuddy/llm/key")
    );
    assert_eq!(
        query.get("withDecryption").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        received[0].header("x-aws-parameters-secrets-token"),
        Some(TOKEN)
    );
}

#[tokio::test]
async fn an_extension_error_names_the_source_and_status() {
    let body = format!(
        "{{\"__type\":\"AccessDeniedException\",\"Message\":\"token {TOKEN} value {VALUE}\"}}"
    );
    let stub = Stub::start(vec![Reply::Status(400, vec![], body)]).await;
    let source = SecretSource::SecretsManager("istackbuddy/llm".into());

    let error = fetch_secret(&source, &stub.url, TOKEN)
        .await
        .expect_err("an error");

    assert_eq!(
        error.to_string(),
        "could not read the API key from Secrets Manager secret \"istackbuddy/llm\": \
         the secrets extension answered 400 Bad Request"
    );
    assert_nothing_secret_in(&error);
}

#[tokio::test]
async fn a_binary_secret_is_refused() {
    let body = json!({"Name": "istackbuddy/llm", "SecretBinary": "c2stYW50LXh4eA=="});
    let stub = Stub::start(vec![Reply::Status(200, vec![], body.to_string())]).await;
    let source = SecretSource::SecretsManager("istackbuddy/llm".into());

    let error = fetch_secret(&source, &stub.url, TOKEN)
        .await
        .expect_err("an error");

    assert!(error.to_string().contains("no SecretString"), "{error}");
}

#[tokio::test]
async fn an_unexpected_answer_is_not_quoted_in_the_error() {
    let body = json!({"Parameter": {"Name": "/k", "Valeur": VALUE}});
    let stub = Stub::start(vec![Reply::Status(200, vec![], body.to_string())]).await;
    let source = SecretSource::Parameter("/k".into());

    let error = fetch_secret(&source, &stub.url, TOKEN)
        .await
        .expect_err("an error");

    assert!(
        matches!(error, Error::SecretUnavailable { .. }),
        "{error:?}"
    );
    assert_nothing_secret_in(&error);
}

#[tokio::test]
async fn a_missing_extension_is_reported_as_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let source = SecretSource::Parameter("/istackbuddy/llm/key".into());

    let error = fetch_secret(&source, &endpoint, TOKEN)
        .await
        .expect_err("an error");

    assert!(error.to_string().contains("unreachable"), "{error}");
    assert_nothing_secret_in(&error);
}
