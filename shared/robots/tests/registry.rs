//! The registry against chat-core's `Robots` contract, offline and on an LLM; and what
//! the jokes robots are given and give back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_core::model::{Delivery, RobotChunk};
use chat_core::ports::Robots;
use chat_core::testkit::contract::robots as contract;
use futures::StreamExt;
use robots::llm::{LlmProvider, Prompt, TextStream};
use robots::{JokeSource, OfflineSettings, Registry, RobotsConfig};
use serde_json::json;

fn offline(pace_ms: u64) -> Registry {
    Registry::new(RobotsConfig {
        jokes: true,
        joke_source: JokeSource::Offline(OfflineSettings {
            seed: 7,
            pace: Duration::from_millis(pace_ms),
        }),
        ..RobotsConfig::default()
    })
}

/// An LLM that records the prompt and answers with fixed fragments.
#[derive(Debug, Default)]
struct RecordingLlm {
    prompts: Mutex<Vec<Prompt>>,
}

#[async_trait::async_trait]
impl LlmProvider for RecordingLlm {
    async fn stream(&self, prompt: &Prompt) -> Result<TextStream, robots::Error> {
        self.prompts.lock().unwrap().push(prompt.clone());
        Ok(futures::stream::iter(
            ["Why, Dana, ", "the field ", "was shy."].map(|s| Ok(s.to_string())),
        )
        .boxed())
    }
}

async fn collect(
    robots: &dyn Robots,
    request: chat_core::model::RobotRequest,
) -> (Vec<String>, Option<String>, Option<String>) {
    let mut chunks = Vec::new();
    let mut last = None;
    let mut failed = None;
    let mut stream = robots.answer(request);
    while let Some(item) = stream.next().await {
        match item {
            Ok(RobotChunk::Text(t)) => chunks.push(t),
            Ok(RobotChunk::Final(a)) => last = Some(a.text),
            Ok(RobotChunk::More(a)) => panic!("a jokes robot answers once: {a:?}"),
            Err(f) => failed = Some(f.0),
        }
    }
    (chunks, last, failed)
}

#[tokio::test]
async fn the_offline_registry_keeps_the_robots_contract() {
    let registry = offline(0);
    contract::catalog_is_well_formed(&registry);
    contract::every_robot_answers_or_fails_readably(&registry, Duration::from_secs(5), &[]).await;
    let names: Vec<&str> = registry.catalog().iter().map(|r| r.name.as_str()).collect();
    for name in [
        "iStackBuddy.forms.diagnostics",
        "iStackBuddy.docs.jokes",
        "iStackBuddy.fsid.jokes",
        "iStackBuddy.stream.jokes",
        "iStackBuddy.sign.jokes",
    ] {
        assert!(names.contains(&name), "{name} is listed");
    }
    let stream = registry.info("iStackBuddy.stream.jokes").unwrap();
    assert_eq!(stream.delivery, Delivery::Streaming);
}

#[tokio::test]
async fn jokes_can_be_turned_off() {
    let registry = Registry::new(RobotsConfig {
        jokes: false,
        joke_source: JokeSource::Offline(OfflineSettings::default()),
        ..RobotsConfig::default()
    });
    assert_eq!(registry.catalog().len(), 1);
    let (_, _, failed) =
        collect(&registry, contract::plain_request("iStackBuddy.docs.jokes")).await;
    assert!(failed.unwrap().contains("not a robot of this installation"));
}

#[tokio::test]
async fn an_offline_joke_uses_the_argument_observations_and_streams_word_by_word() {
    let registry = offline(2);
    let mut request = contract::plain_request("iStackBuddy.stream.jokes");
    request.args.insert("customerName".into(), json!("Priya"));
    request.args.insert(
        "observations".into(),
        json!(["Field 7 is required but hidden"]),
    );
    let (chunks, last, failed) = collect(&registry, request.clone()).await;
    assert_eq!((last, failed), (None, None));
    assert!(chunks.len() > 5, "streamed in words: {chunks:?}");
    let joke: String = chunks.concat();
    assert!(
        joke.contains("Priya") && joke.contains("field 7 is required but hidden"),
        "{joke}"
    );
    let (again, _, _) = collect(&registry, request).await;
    assert_eq!(again.concat(), joke, "deterministic under the seed");
}

#[tokio::test]
async fn the_issue_s_diagnostics_beat_the_argument() {
    let registry = offline(0);
    let mut request = contract::plain_request("iStackBuddy.docs.jokes");
    request.issue.observations = Some(vec!["The calculation in field 9 divides by zero".into()]);
    request
        .args
        .insert("observations".into(), json!(["an argument observation"]));
    let (_, last, _) = collect(&registry, request).await;
    let joke = last.unwrap();
    assert!(
        joke.contains("the calculation in field 9 divides by zero"),
        "{joke}"
    );
}

#[tokio::test]
async fn an_llm_joke_gets_the_customer_and_observations_never_the_transcript() {
    let llm = Arc::new(RecordingLlm::default());
    let registry = Registry::new(RobotsConfig {
        jokes: true,
        joke_source: JokeSource::Llm(llm.clone()),
        ..RobotsConfig::default()
    });
    let mut request = contract::plain_request("iStackBuddy.sign.jokes");
    request.args.insert(
        "observations".into(),
        json!("The signature field has no label"),
    );
    let (_, last, failed) = collect(&registry, request).await;
    assert_eq!(failed, None);
    assert_eq!(last.as_deref(), Some("Why, Dana, the field was shy."));
    let prompts = llm.prompts.lock().unwrap();
    let prompt = &prompts[0];
    assert!(
        prompt.system.contains("signatures"),
        "the sign robot's angle"
    );
    assert!(prompt.user.contains("Customer: Dana"));
    assert!(prompt.user.contains("- The signature field has no label"));
    assert!(
        prompt.user.contains("The submit button does nothing"),
        "the request itself"
    );
}
