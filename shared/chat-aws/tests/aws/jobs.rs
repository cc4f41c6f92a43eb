//! `SqsJobs` and the polling worker against SQS on a moto server: the `Jobs` contract
//! through `SqsJobPoller`, the worker deleting done jobs and leaving junk to the
//! dead-letter queue, a not-yet-due job hopping through the queue, and the queue's
//! creation. How long delays are sent is checked on a mocked client (moto would hold
//! such a message for 15 minutes).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use chat_aws::AwsClients;
use chat_aws::jobs::{
    Delivery, ENQUEUED_AT_ATTRIBUTE, KIND_ATTRIBUTE, NOT_BEFORE_ATTRIBUTE, SqsJobPoller, SqsJobs,
    ensure_queue, process_batch, queue::dead_letter_name, run_worker, send::Schedule,
};
use chat_aws::testkit::{clients, unique_target};
use chat_core::auth::PasswordHasher;
use chat_core::ports::{Job, Jobs, SystemClock, UlidGen};
use chat_core::testkit::contract::jobs::{JobSource, job, run_all};
use chat_core::testkit::harness::test_config;
use chat_core::testkit::memory::{MemoryBlobs, MemoryStore, RecordingPush};
use chat_core::{App, Deps};

/// Clients for a fresh queue (and its dead-letter queue) on the shared moto server.
async fn fresh_queue(label: &str) -> AwsClients {
    let mut clients = clients(unique_target(label)).await;
    let name = clients.target.table.clone();
    clients.target.queue_url = ensure_queue(&clients.sqs, &name)
        .await
        .unwrap_or_else(|e| panic!("ensure_queue {name}: {e}"));
    clients
}

/// An app whose jobs go to `jobs` (so a re-enqueued job lands on the real queue).
fn app_enqueueing_on(jobs: SqsJobs) -> Arc<App> {
    let deps = Deps {
        store: Arc::new(MemoryStore::new()),
        push: Arc::new(RecordingPush::new()),
        jobs: Arc::new(jobs),
        blobs: Arc::new(MemoryBlobs::new()),
        robots: std::sync::Arc::new(chat_core::testkit::robots::ScriptedRobots::new(
            std::time::Duration::ZERO,
        )),
        clock: Arc::new(SystemClock),
        ids: Arc::new(UlidGen),
    };
    let app = App::new(deps, test_config(), PasswordHasher::with_cost(8, 1))
        .unwrap_or_else(|e| panic!("app: {e}"));
    Arc::new(app)
}

/// The contract's view of the queue: received jobs, deleted as they are received.
struct PolledSource {
    poller: SqsJobPoller,
    buffered: VecDeque<Job>,
}

#[async_trait]
impl JobSource for PolledSource {
    async fn next_job(&mut self, wait: Duration) -> Option<Job> {
        let deadline = Instant::now() + wait;
        while self.buffered.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            // Long-poll in whole seconds; under a second, short polls.
            let batch = self
                .poller
                .receive_within(left)
                .await
                .unwrap_or_else(|e| panic!("receive: {e:?}"));
            if batch.is_empty() && left < Duration::from_secs(1) {
                tokio::time::sleep(Duration::from_millis(25).min(left)).await;
            }
            self.poller
                .delete(&batch)
                .await
                .unwrap_or_else(|e| panic!("delete: {e:?}"));
            for delivery in &batch {
                let job = delivery
                    .job()
                    .unwrap_or_else(|e| panic!("undecodable {}: {e}", delivery.body));
                self.buffered.push_back(job);
            }
        }
        self.buffered.pop_front()
    }
}

#[tokio::test]
async fn sqs_jobs_meet_the_jobs_contract() {
    run_all(|| async {
        let clients = fresh_queue("jobs-contract").await;
        let source = PolledSource {
            poller: SqsJobPoller::from_clients(&clients),
            buffered: VecDeque::new(),
        };
        (SqsJobs::from_clients(&clients), source)
    })
    .await;
}

async fn queue_counts(clients: &AwsClients, url: &str) -> (u64, u64) {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap_or_else(|e| panic!("queue attributes: {e:?}"));
    let read = |name: QueueAttributeName| {
        out.attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        read(QueueAttributeName::ApproximateNumberOfMessages),
        read(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test]
async fn the_worker_deletes_done_jobs_and_junk_ends_in_the_dead_letter_queue() {
    let clients = fresh_queue("jobs-worker").await;
    let queue = clients.target.queue_url.clone();
    let dlq = clients
        .sqs
        .get_queue_url()
        .queue_name(dead_letter_name(&clients.target.table))
        .send()
        .await
        .unwrap_or_else(|e| panic!("dlq url: {e:?}"))
        .queue_url()
        .expect("a dead-letter queue")
        .to_string();
    // Redeliver failures at once instead of after the default 30 s.
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&queue)
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("visibility: {e:?}"));
    let jobs = SqsJobs::from_clients(&clients);
    jobs.enqueue(&job(0), Duration::ZERO).await.unwrap();
    jobs.enqueue(&job(1), Duration::ZERO).await.unwrap();
    clients
        .sqs
        .send_message()
        .queue_url(&queue)
        .message_body("not a job")
        .send()
        .await
        .unwrap_or_else(|e| panic!("send junk: {e:?}"));

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let poller = SqsJobPoller::from_clients(&clients).with_wait(Duration::from_secs(1));
    let worker = tokio::spawn(run_worker(app_enqueueing_on(jobs), poller, stop_rx));

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let main = queue_counts(&clients, &queue).await;
        let dead = queue_counts(&clients, &dlq).await;
        if main == (0, 0) && dead.0 == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "queue {main:?}, dead letters {dead:?}: done jobs are deleted, junk moves to the DLQ"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker stops when told")
        .expect("the worker does not panic");

    let dead = clients
        .sqs
        .receive_message()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap_or_else(|e| panic!("receive dlq: {e:?}"));
    let bodies: Vec<&str> = dead.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies, ["not a job"], "only the junk is a dead letter");
}

#[tokio::test]
async fn a_job_received_before_its_time_goes_back_on_the_queue_for_the_rest() {
    let clients = fresh_queue("jobs-hop").await;
    let jobs = SqsJobs::from_clients(&clients);
    let app = app_enqueueing_on(jobs.clone());
    let not_before = chrono::Utc::now().timestamp_millis() + 1_500;
    let early = Delivery::new(
        "m-early",
        serde_json::to_string(&job(3)).unwrap(),
        Some(&not_before.to_string()),
    );

    let failed = process_batch(&app, &[early]).await;
    assert!(failed.is_empty(), "deferring is not a failure: {failed:?}");

    let poller = SqsJobPoller::from_clients(&clients);
    let now = poller.receive_within(Duration::ZERO).await.unwrap();
    assert!(now.is_empty(), "the rest of the delay is applied: {now:?}");
    let started = Instant::now();
    let mut later = Vec::new();
    while later.is_empty() && started.elapsed() < Duration::from_secs(10) {
        later = poller.receive_within(Duration::from_secs(2)).await.unwrap();
    }
    assert_eq!(later.len(), 1, "the job comes back once");
    assert_eq!(later[0].job().unwrap(), job(3));
    assert_eq!(
        later[0].not_before_ms, None,
        "the rest fits in one SQS delay"
    );
    assert!(
        chrono::Utc::now().timestamp_millis() >= not_before,
        "delivered again no earlier than its time"
    );
}

#[tokio::test]
async fn enqueue_is_one_send_message_with_kind_and_time_attributes() {
    let clients = fresh_queue("jobs-attrs").await;
    let jobs = SqsJobs::from_clients(&clients);
    clients.counter.take();
    jobs.enqueue(&job(0), Duration::ZERO).await.unwrap();
    let counts = clients.counter.take();
    assert_eq!(
        counts.get("SQS.SendMessage").copied(),
        Some(1),
        "{counts:?}"
    );
    assert_eq!(counts.values().sum::<u64>(), 1, "{counts:?}");

    let got = clients
        .sqs
        .receive_message()
        .queue_url(&clients.target.queue_url)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let message = &got.messages()[0];
    let attributes = message.message_attributes().expect("attributes");
    let value = |name: &str| attributes.get(name).and_then(|v| v.string_value());
    assert_eq!(value(KIND_ATTRIBUTE), Some("robotAnswer"));
    let enqueued: i64 = value(ENQUEUED_AT_ATTRIBUTE).unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - enqueued).abs() < 60_000);
    assert_eq!(
        value(NOT_BEFORE_ATTRIBUTE),
        None,
        "a short delay needs no notBefore"
    );
}

#[tokio::test]
async fn ensure_queue_creates_a_queue_with_a_dead_letter_queue_once() {
    let clients = clients(unique_target("jobs-ensure")).await;
    let name = clients.target.table.clone();
    let url = ensure_queue(&clients.sqs, &name).await.unwrap();
    assert!(url.ends_with(&format!("/{name}")), "{url}");
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(
        attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
            .expect("a redrive policy"),
    )
    .unwrap();
    assert!(
        policy["deadLetterTargetArn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(&format!(":{name}-dlq"))),
        "{policy}"
    );
    assert_eq!(policy["maxReceiveCount"].to_string().trim_matches('"'), "5");

    clients.counter.take();
    assert_eq!(ensure_queue(&clients.sqs, &name).await.unwrap(), url);
    let counts = clients.counter.take();
    assert_eq!(
        counts.values().sum::<u64>(),
        1,
        "an existing queue costs one lookup: {counts:?}"
    );
}

#[test]
fn delays_round_up_to_whole_seconds_and_long_ones_carry_not_before() {
    let now = 1_000_000;
    assert_eq!(
        Schedule::new(Duration::ZERO, now),
        Schedule {
            delay_seconds: 0,
            not_before_ms: None
        }
    );
    assert_eq!(
        Schedule::new(Duration::from_millis(300), now),
        Schedule {
            delay_seconds: 1,
            not_before_ms: None
        },
        "never early"
    );
    assert_eq!(
        Schedule::new(Duration::from_secs(900), now),
        Schedule {
            delay_seconds: 900,
            not_before_ms: None
        }
    );
    assert_eq!(
        Schedule::new(Duration::from_secs(3600), now),
        Schedule {
            delay_seconds: 900,
            not_before_ms: Some(now + 3_600_000)
        }
    );
    let far = Schedule::new(Duration::MAX, now);
    assert_eq!(far.delay_seconds, 900);
    assert!(
        far.not_before_ms.is_some_and(|t| t > now),
        "no overflow: {far:?}"
    );
}
