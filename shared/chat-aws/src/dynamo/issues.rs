//! Issues on the single table (`ISSUE#{id}` / `ISSUE`), listed newest first through
//! `gsi1` (`ISSUES` / `{created}#{id}`).
//!
//! Fields the queues filter on (`tier`, `status`) and the room list are plain
//! attributes — `room_ids` is a list so `create_room` can append to it with
//! `list_append` inside its transaction, without reading the issue. The history is a
//! JSON string: it is only ever read whole.

use aws_sdk_dynamodb::types::AttributeValue;

use chat_core::ids::{IssueId, RoomId};
use chat_core::model::{Conclusion, Issue, IssueStatus, Tier};
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{Item, get_id, get_json, get_opt_s, get_s, get_time, json, key, s};
use super::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use super::ops::{self, sdk_error};
use super::requests::{get_opt_parsed, get_parsed, names};

const ISSUE_ID: &str = "issue_id";
const TITLE: &str = "title";
const CUSTOMER_NAME: &str = "customer_name";
const FORM_ID: &str = "form_id";
const TIER: &str = "tier";
const STATUS: &str = "status";
const CONCLUSION: &str = "conclusion";
const ROOM_IDS: &str = "room_ids";
const HISTORY: &str = "history";
/// CSAT ratings, a JSON string like the history (absent when there are none).
const RATINGS: &str = "ratings";
const CREATED_AT: &str = "created_at";

fn status_name(status: IssueStatus) -> &'static str {
    match status {
        IssueStatus::Open => "open",
        IssueStatus::Concluded => "concluded",
    }
}

fn parse_status(raw: &str) -> Option<IssueStatus> {
    match raw {
        "open" => Some(IssueStatus::Open),
        "concluded" => Some(IssueStatus::Concluded),
        _ => None,
    }
}

pub(super) fn issue_key(id: &str) -> Item {
    key(keys::issue(id), keys::ISSUE_SK)
}

pub(super) fn issue_item(issue: &Issue) -> CoreResult<Item> {
    let mut item = issue_key(issue.id.as_str());
    item.insert(GSI1_PK.into(), s(keys::ISSUES_GSI));
    item.insert(
        GSI1_SK.into(),
        s(keys::created_then_id(&issue.created_at, issue.id.as_str())),
    );
    item.insert(ISSUE_ID.into(), s(issue.id.as_str()));
    item.insert(TITLE.into(), s(&issue.title));
    if let Some(name) = &issue.customer_name {
        item.insert(CUSTOMER_NAME.into(), s(name));
    }
    if let Some(form) = &issue.form_id {
        item.insert(FORM_ID.into(), s(form));
    }
    item.insert(TIER.into(), s(issue.tier.as_str()));
    item.insert(STATUS.into(), s(status_name(issue.status)));
    if let Some(c) = issue.conclusion {
        item.insert(CONCLUSION.into(), s(c.as_str()));
    }
    let rooms = issue.room_ids.iter().map(|r| s(r.as_str())).collect();
    item.insert(ROOM_IDS.into(), AttributeValue::L(rooms));
    item.insert(HISTORY.into(), json(&issue.history)?);
    if !issue.ratings.is_empty() {
        item.insert(RATINGS.into(), json(&issue.ratings)?);
    }
    item.insert(CREATED_AT.into(), s(keys::ts(&issue.created_at)));
    Ok(item)
}

fn read_room_ids(item: &Item) -> CoreResult<Vec<RoomId>> {
    let bad = || CoreError::Internal(format!("stored issue has a bad `{ROOM_IDS}` attribute"));
    match item.get(ROOM_IDS) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(raw) => RoomId::parse(raw.as_str()).map_err(|_| bad()),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

fn read_issue(item: &Item) -> CoreResult<Issue> {
    Ok(Issue {
        id: get_id(item, ISSUE_ID)?,
        title: get_s(item, TITLE)?.to_string(),
        customer_name: get_opt_s(item, CUSTOMER_NAME)?.map(str::to_string),
        form_id: get_opt_s(item, FORM_ID)?.map(str::to_string),
        tier: get_parsed(item, TIER, Tier::parse)?,
        status: get_parsed(item, STATUS, parse_status)?,
        conclusion: get_opt_parsed(item, CONCLUSION, Conclusion::parse)?,
        room_ids: read_room_ids(item)?,
        history: get_json(item, HISTORY)?,
        created_at: get_time(item, CREATED_AT)?,
        ratings: match get_opt_s(item, RATINGS)? {
            Some(_) => get_json(item, RATINGS)?,
            None => Vec::new(),
        },
    })
}

impl DynamoStore {
    pub(super) async fn read_issue(&self, id: &IssueId) -> CoreResult<Option<Issue>> {
        ops::get_item(&self.client, &self.table, issue_key(id.as_str()))
            .await?
            .as_ref()
            .map(read_issue)
            .transpose()
    }

    /// Inserts or replaces the whole issue (tier and status move it between queues).
    pub(super) async fn write_issue(&self, issue: &Issue) -> CoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(issue_item(issue)?))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    /// One query on the `ISSUES` index partition, newest first; the tier and status
    /// filters are a `FilterExpression` (every issue is read, matches are returned).
    pub(super) async fn query_issues(
        &self,
        tier: Option<Tier>,
        status: Option<IssueStatus>,
    ) -> CoreResult<Vec<Issue>> {
        let key_condition = "#gsi1pk = :issues";
        let mut filters = Vec::new();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression(key_condition)
            .expression_attribute_values(":issues", s(keys::ISSUES_GSI))
            .scan_index_forward(false);
        if let Some(tier) = tier {
            filters.push("#tier = :tier");
            query = query.expression_attribute_values(":tier", s(tier.as_str()));
        }
        if let Some(status) = status {
            filters.push("#status = :status");
            query = query.expression_attribute_values(":status", s(status_name(status)));
        }
        let filter = filters.join(" AND ");
        if !filter.is_empty() {
            query = query.filter_expression(&filter);
        }
        let query = query.set_expression_attribute_names(names(&[key_condition, &filter]));
        ops::query_all(query)
            .await?
            .iter()
            .map(read_issue)
            .collect()
    }
}

/// Rounds of an optimistic history append before giving up as `Unavailable`.
const APPEND_ROUNDS: u32 = 16;

impl DynamoStore {
    /// Tier, status, conclusion and ratings; the history and room list stay as stored.
    pub(super) async fn update_issue_fields(&self, issue: &Issue) -> CoreResult<()> {
        let mut set = vec!["#tier = :tier", "#status = :status"];
        let mut remove = Vec::new();
        let mut values = vec![
            (":tier", s(issue.tier.as_str())),
            (":status", s(status_name(issue.status))),
        ];
        match issue.conclusion {
            Some(c) => {
                set.push("#conclusion = :conclusion");
                values.push((":conclusion", s(c.as_str())));
            }
            None => remove.push("#conclusion"),
        }
        if issue.ratings.is_empty() {
            remove.push("#ratings");
        } else {
            set.push("#ratings = :ratings");
            values.push((":ratings", json(&issue.ratings)?));
        }
        let expression = super::requests::set_and_remove(&set, &remove);
        self.update_existing(
            issue_key(issue.id.as_str()),
            &expression,
            "attribute_exists(#pk)",
            values,
            "no such issue",
        )
        .await
    }

    /// Appends to the history, a JSON string: read it, write it back with the line
    /// added on condition it is still what was read, and go again when another writer
    /// got there first. No append is lost and none is doubled.
    pub(super) async fn append_history(
        &self,
        id: &IssueId,
        event: &chat_core::model::IssueEvent,
    ) -> CoreResult<()> {
        for attempt in 1..=APPEND_ROUNDS {
            let item = ops::get_item(&self.client, &self.table, issue_key(id.as_str()))
                .await?
                .ok_or_else(|| CoreError::not_found("no such issue"))?;
            let seen = get_s(&item, HISTORY)?.to_string();
            let mut history: Vec<chat_core::model::IssueEvent> = get_json(&item, HISTORY)?;
            history.push(event.clone());
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(issue_key(id.as_str())))
                .update_expression("SET #history = :new")
                .condition_expression("#history = :seen")
                .set_expression_attribute_names(names(&["SET #history = :new", "#history = :seen"]))
                .expression_attribute_values(":new", json(&history)?)
                .expression_attribute_values(":seen", s(seen))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) if ops::is_condition_failed(&e) => ops::backoff(attempt.min(5)).await,
                Err(e) => return Err(sdk_error("UpdateItem", e)),
            }
        }
        Err(CoreError::Unavailable(
            "the issue is too busy; try again shortly".into(),
        ))
    }
}
