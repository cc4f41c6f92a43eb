//! `Robots` contract: what the core relies on from any robot registry.
//!
//! - names are unique and non-empty, descriptions say something, argument names are
//!   unique per robot;
//! - every robot answers a plain request within the time limit, ending either with an
//!   answer (text, or a final typed result) or with a readable failure, never hanging
//!   silently and never panicking; streaming robots answer in text chunks.
//!
//! Robots listed in `may_hang` are skipped by the answer check (a scripted robot that
//! exists to test timeouts).

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;

use crate::ids::IssueId;
use crate::model::{Delivery, IssueBrief, RobotChunk, RobotRequest, Tier};
use crate::ports::Robots;

/// A request every robot must cope with.
pub fn plain_request(robot: &str) -> RobotRequest {
    RobotRequest {
        robot: robot.to_string(),
        text: "The submit button does nothing on my form".to_string(),
        args: serde_json::Map::new(),
        issue: IssueBrief {
            id: IssueId::parse("iss_contract").unwrap_or_else(|e| panic!("issue id: {e}")),
            title: "Form does not submit".to_string(),
            customer_name: Some("Dana".to_string()),
            form_id: None,
            tier: Tier::T1,
            observations: None,
        },
        attachment: None,
    }
}

pub fn catalog_is_well_formed(robots: &dyn Robots) {
    let mut names = HashSet::new();
    assert!(
        !robots.catalog().is_empty(),
        "a registry lists at least one robot"
    );
    for r in robots.catalog() {
        assert!(!r.name.trim().is_empty(), "robot names are not blank");
        assert!(
            names.insert(r.name.clone()),
            "robot {} is listed twice",
            r.name
        );
        assert!(
            !r.description.trim().is_empty(),
            "{} has a description",
            r.name
        );
        let mut args = HashSet::new();
        for a in &r.args {
            assert!(
                args.insert(a.name.clone()),
                "{} lists argument {} twice",
                r.name,
                a.name
            );
        }
        assert_eq!(
            robots.info(&r.name).map(|i| &i.name),
            Some(&r.name),
            "info finds {}",
            r.name
        );
    }
    assert!(
        robots.info("no.such.robot").is_none(),
        "unknown names are None"
    );
}

pub async fn every_robot_answers_or_fails_readably(
    robots: &dyn Robots,
    within: Duration,
    may_hang: &[&str],
) {
    for r in robots
        .catalog()
        .iter()
        .filter(|r| !may_hang.contains(&r.name.as_str()))
    {
        let mut stream = robots.answer(plain_request(&r.name));
        let mut text = String::new();
        let mut finals = 0;
        let mut texts = 0;
        let run = async {
            while let Some(item) = stream.next().await {
                match item {
                    Ok(RobotChunk::Text(t)) => {
                        texts += 1;
                        text.push_str(&t)
                    }
                    Ok(RobotChunk::More(a)) => {
                        assert!(
                            finals > 0,
                            "{}: further answers come after the first",
                            r.name
                        );
                        assert!(
                            a.file.is_some() || a.data.is_some() || !a.text.trim().is_empty(),
                            "{}: a further answer has content",
                            r.name
                        );
                    }
                    Ok(RobotChunk::Final(a)) => {
                        finals += 1;
                        assert!(
                            !a.text.trim().is_empty() || a.data.is_some(),
                            "{}: a final answer has content",
                            r.name
                        );
                    }
                    Err(failure) => {
                        assert!(
                            !failure.0.trim().is_empty(),
                            "{}: failures have a reason",
                            r.name
                        );
                        return true;
                    }
                }
            }
            false
        };
        let failed = tokio::time::timeout(within, run)
            .await
            .unwrap_or_else(|_| panic!("{} neither answered nor failed within {within:?}", r.name));
        if !failed {
            assert!(
                finals > 0 || !text.trim().is_empty(),
                "{}: an answer that is not a failure has content",
                r.name
            );
            if r.delivery == Delivery::Streaming && finals == 0 {
                assert!(texts > 0, "{} streams text chunks", r.name);
            }
        }
    }
}
