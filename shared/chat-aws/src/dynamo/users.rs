//! `UserStore` on the single table.
//!
//! One item per account (`USER#{id}`) holds the whole record as plain attributes, so an
//! update can `SET` exactly the fields it owns. A second item, the username claim
//! (`USERNAME#{lower}`), makes usernames unique ignoring ASCII case — DynamoDB has no
//! unique index, but a conditional put on a key is exactly that — and is the login
//! lookup's pointer to the user. Both are written by one transaction, so neither exists
//! without the other. Requests and costs: `docs/dynamodb.md`, "Users and username claims".

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use chat_core::ids::UserId;
use chat_core::model::{AccountKind, Identity, Profile, Role, Tier, UserRecord};
use chat_core::ports::UserStore;
use chat_core::{CoreError, CoreResult};

use super::DynamoStore;
use super::item::{
    Item, get_bool, get_id, get_n, get_opt_id, get_opt_s, get_s, get_time, key, n, s,
};
use super::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use super::ops::{self, build_error, sdk_error};

/// Rounds of re-sending an insert that collided with another transaction on its items.
const INSERT_ROUNDS: u32 = 5;

const USER_ID: &str = "user_id";
const USERNAME: &str = "username";
const KIND: &str = "kind";
const TIER: &str = "tier";
const ROLES: &str = "roles";
const ENABLED: &str = "enabled";
const TOKEN_VERSION: &str = "token_version";
const GUEST_ROOM: &str = "guest_room";
const GUEST_ISSUE: &str = "guest_issue";
const DISPLAY_NAME: &str = "display_name";
const AVATAR: &str = "avatar_file_id";
const PASSWORD_HASH: &str = "password_hash";
const CREATED_AT: &str = "created_at";

/// The case-folding every adapter uses for usernames (ASCII only, like SQLite's NOCASE).
fn fold(username: &str) -> String {
    username.to_ascii_lowercase()
}

pub(super) fn user_key(id: &str) -> Item {
    key(keys::user(id), keys::USER_SK)
}

fn corrupt(name: &str) -> CoreError {
    CoreError::Internal(format!("stored user has a bad `{name}` attribute"))
}

/// The fields `update_identity` owns, `None` meaning "absent". Shared by the insert and
/// the update so the two cannot drift apart.
fn identity_fields(
    id: &Identity,
    hash: Option<&str>,
) -> Vec<(&'static str, Option<AttributeValue>)> {
    let roles = id.roles.iter().map(|r| s(r.as_str())).collect();
    vec![
        (KIND, Some(s(id.kind.as_str()))),
        (TIER, id.tier.map(|t| s(t.as_str()))),
        (ROLES, Some(AttributeValue::L(roles))),
        (ENABLED, Some(AttributeValue::Bool(id.enabled))),
        (TOKEN_VERSION, Some(n(id.token_version))),
        (GUEST_ROOM, id.guest_room.as_ref().map(|r| s(r.as_str()))),
        (GUEST_ISSUE, id.guest_issue.as_ref().map(|i| s(i.as_str()))),
        (PASSWORD_HASH, hash.map(s)),
    ]
}

/// The condition under which the stored user is still `user` as far as a send depends
/// on it: enabled, on `token_version` (the connection's: a revoke bumps the stored one),
/// with the same kind, display name (the message's author name) and guest scope.
pub(super) fn unchanged_for_send(
    user: &UserRecord,
    token_version: u32,
) -> (String, Vec<(&'static str, AttributeValue)>) {
    let id = &user.identity;
    let mut condition = format!(
        "#{ENABLED} = :enabled AND #{TOKEN_VERSION} = :token_version AND #{KIND} = :kind \
         AND #{DISPLAY_NAME} = :display_name AND "
    );
    let mut values = vec![
        (":enabled", AttributeValue::Bool(true)),
        (":token_version", n(token_version)),
        (":kind", s(id.kind.as_str())),
        (":display_name", s(&user.profile.display_name)),
    ];
    match &id.guest_room {
        Some(room) => {
            condition.push_str(&format!("#{GUEST_ROOM} = :guest_room"));
            values.push((":guest_room", s(room.as_str())));
        }
        None => condition.push_str(&format!("attribute_not_exists(#{GUEST_ROOM})")),
    }
    (condition, values)
}

/// The fields `update_profile` owns.
fn profile_fields(profile: &Profile) -> Vec<(&'static str, Option<AttributeValue>)> {
    vec![
        (DISPLAY_NAME, Some(s(&profile.display_name))),
        (
            AVATAR,
            profile.avatar_file_id.as_ref().map(|f| s(f.as_str())),
        ),
    ]
}

fn user_item(user: &UserRecord) -> Item {
    let id = &user.identity;
    let mut item = user_key(id.user_id.as_str());
    item.insert(GSI1_PK.into(), s(keys::USERS_GSI));
    item.insert(GSI1_SK.into(), s(fold(&id.username)));
    item.insert(USER_ID.into(), s(id.user_id.as_str()));
    item.insert(USERNAME.into(), s(&id.username));
    item.insert(CREATED_AT.into(), s(keys::ts(&user.created_at)));
    let fields = identity_fields(id, user.password_hash.as_deref())
        .into_iter()
        .chain(profile_fields(&user.profile));
    for (name, value) in fields {
        if let Some(value) = value {
            item.insert(name.into(), value);
        }
    }
    item
}

fn read_roles(item: &Item) -> CoreResult<Vec<Role>> {
    match item.get(ROLES) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(raw) => Role::parse(raw).ok_or_else(|| corrupt(ROLES)),
                _ => Err(corrupt(ROLES)),
            })
            .collect(),
        _ => Err(corrupt(ROLES)),
    }
}

pub(super) fn read_user(item: &Item) -> CoreResult<UserRecord> {
    let tier = match get_opt_s(item, TIER)? {
        None => None,
        Some(raw) => Some(Tier::parse(raw).ok_or_else(|| corrupt(TIER))?),
    };
    Ok(UserRecord {
        identity: Identity {
            user_id: get_id(item, USER_ID)?,
            username: get_s(item, USERNAME)?.to_string(),
            kind: AccountKind::parse(get_s(item, KIND)?).ok_or_else(|| corrupt(KIND))?,
            tier,
            roles: read_roles(item)?,
            enabled: get_bool(item, ENABLED)?,
            token_version: get_n(item, TOKEN_VERSION)?,
            guest_room: get_opt_id(item, GUEST_ROOM)?,
            guest_issue: get_opt_id(item, GUEST_ISSUE)?,
        },
        profile: Profile {
            display_name: get_s(item, DISPLAY_NAME)?.to_string(),
            avatar_file_id: get_opt_id(item, AVATAR)?,
        },
        password_hash: get_opt_s(item, PASSWORD_HASH)?.map(str::to_string),
        created_at: get_time(item, CREATED_AT)?,
    })
}

fn condition_failed(codes: &[Option<String>], index: usize) -> bool {
    codes
        .get(index)
        .is_some_and(|c| c.as_deref() == Some("ConditionalCheckFailed"))
}

/// A transaction step putting `item` only where nothing is stored under its key.
fn put_new(table: &str, item: Item) -> CoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// `SET` the present fields and `REMOVE` the absent ones of an existing user. Attribute
/// names go through placeholders so none can collide with a reserved word.
fn update_user(
    store: &DynamoStore,
    user: &UserId,
    fields: Vec<(&'static str, Option<AttributeValue>)>,
) -> UpdateItemFluentBuilder {
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut request = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(user_key(user.as_str())))
        .condition_expression("attribute_exists(pk)");
    for (i, (name, value)) in fields.into_iter().enumerate() {
        request = request.expression_attribute_names(format!("#a{i}"), name);
        match value {
            Some(value) => {
                sets.push(format!("#a{i} = :v{i}"));
                request = request.expression_attribute_values(format!(":v{i}"), value);
            }
            None => removes.push(format!("#a{i}")),
        }
    }
    let mut expression = String::new();
    if !sets.is_empty() {
        expression = format!("SET {}", sets.join(", "));
    }
    if !removes.is_empty() {
        expression = format!("{expression} REMOVE {}", removes.join(", "));
    }
    request.update_expression(expression.trim())
}

/// Sends an update built by [`update_user`]: a refused condition means no such user.
async fn send_update(request: UpdateItemFluentBuilder) -> CoreResult<()> {
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e) if ops::is_condition_failed(&e) => Err(CoreError::not_found("no such user")),
        Err(e) => Err(sdk_error("UpdateItem", e)),
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn insert_user(&self, user: &UserRecord) -> CoreResult<()> {
        let mut claim = key(
            keys::username(&fold(&user.identity.username)),
            keys::USERNAME_SK,
        );
        claim.insert(USER_ID.into(), s(user.identity.user_id.as_str()));
        let request = self
            .client
            .transact_write_items()
            .transact_items(put_new(&self.table, user_item(user))?)
            .transact_items(put_new(&self.table, claim)?);
        for attempt in 1..=INSERT_ROUNDS {
            let err = match request.clone().send().await {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            match ops::cancellation_codes(&err) {
                Some(codes) if condition_failed(&codes, 1) => {
                    return Err(CoreError::conflict("username is taken"));
                }
                Some(codes) if condition_failed(&codes, 0) => {
                    return Err(CoreError::conflict("user id is taken"));
                }
                // Another transaction held one of the items (e.g. a racing insert of the
                // same name): run again, which then sees the outcome as a refused claim.
                Some(codes) if ops::is_transient_cancellation(&codes) => {
                    ops::backoff(attempt).await;
                }
                _ => return Err(sdk_error("TransactWriteItems", err)),
            }
        }
        Err(CoreError::Unavailable(
            "the database is busy; try again shortly".into(),
        ))
    }

    async fn user_by_id(&self, id: &UserId) -> CoreResult<Option<UserRecord>> {
        let user = ops::get_item(&self.client, &self.table, user_key(id.as_str()))
            .await?
            .as_ref()
            .map(read_user)
            .transpose()?;
        // Every fresh read refreshes the hint a send may start from.
        match &user {
            Some(u) => self.hints.saw_user(u),
            None => self.hints.forget_user(id),
        }
        Ok(user)
    }

    async fn user_by_username(&self, username: &str) -> CoreResult<Option<UserRecord>> {
        let claim_key = key(keys::username(&fold(username)), keys::USERNAME_SK);
        let claim = ops::get_item(&self.client, &self.table, claim_key).await?;
        let Some(claim) = claim else {
            return Ok(None);
        };
        let id: UserId = get_id(&claim, USER_ID)?;
        self.user_by_id(&id).await
    }

    async fn update_identity(
        &self,
        identity: &Identity,
        password_hash: Option<&str>,
    ) -> CoreResult<()> {
        // The username (and its claim and index key) is the login key: never updated.
        let fields = identity_fields(identity, password_hash);
        self.hints.forget_user(&identity.user_id);
        send_update(update_user(self, &identity.user_id, fields)).await
    }

    async fn update_profile(&self, user: &UserId, profile: &Profile) -> CoreResult<()> {
        self.hints.forget_user(user);
        send_update(update_user(self, user, profile_fields(profile))).await
    }

    async fn list_users(&self) -> CoreResult<Vec<UserRecord>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(keys::USERS_GSI));
        let mut users = ops::query_all(query)
            .await?
            .iter()
            .map(read_user)
            .collect::<CoreResult<Vec<_>>>()?;
        // The index orders by the folded name; the port orders by the name as stored
        // (byte order, like the other adapters), so sort what was read.
        users.sort_by(|a, b| {
            (&a.identity.username, &a.identity.user_id)
                .cmp(&(&b.identity.username, &b.identity.user_id))
        });
        Ok(users)
    }
}
