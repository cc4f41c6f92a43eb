//! `UserStore` on the `users` table: identity, profile and credential in one row;
//! usernames unique ignoring ASCII case through a `COLLATE NOCASE` unique index.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use chat_core::ids::UserId;
use chat_core::model::{Identity, Profile, Role, Tier, UserRecord};
use chat_core::ports::UserStore;
use chat_core::{CoreError, CoreResult};

use super::codec::{
    from_name, get_id, get_opt_id, get_opt_parsed, get_parsed, get_time, get_u32, name, time,
};
use super::{OpError, SqliteStore};
use crate::error::is_unique_violation;

const COLUMNS: &str = "user_id, username, kind, tier, roles, enabled, token_version, \
     guest_room, guest_issue, display_name, avatar_file_id, password_hash, created_at";

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_roles(raw: &str) -> Option<Vec<Role>> {
    raw.split(',')
        .filter(|r| !r.is_empty())
        .map(Role::parse)
        .collect()
}

fn read_user(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        identity: Identity {
            user_id: get_id(row, 0)?,
            username: row.get(1)?,
            kind: get_parsed(row, 2, from_name)?,
            tier: get_opt_parsed(row, 3, Tier::parse)?,
            roles: get_parsed(row, 4, parse_roles)?,
            enabled: row.get(5)?,
            token_version: get_u32(row, 6)?,
            guest_room: get_opt_id(row, 7)?,
            guest_issue: get_opt_id(row, 8)?,
        },
        profile: Profile {
            display_name: row.get(9)?,
            avatar_file_id: get_opt_id(row, 10)?,
        },
        password_hash: row.get(11)?,
        created_at: get_time(row, 12)?,
    })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, user: &UserRecord) -> CoreResult<()> {
        let u = user.clone();
        let kind = name(&u.identity.kind)?;
        self.run("insert user", move |conn| {
            let id = &u.identity;
            let inserted = conn
                .prepare_cached(&format!(
                    "INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ))?
                .execute(params![
                    id.user_id.as_str(),
                    id.username,
                    kind,
                    id.tier.map(Tier::as_str),
                    roles_text(&id.roles),
                    id.enabled,
                    id.token_version,
                    id.guest_room.as_ref().map(|r| r.as_str()),
                    id.guest_issue.as_ref().map(|i| i.as_str()),
                    u.profile.display_name,
                    u.profile.avatar_file_id.as_ref().map(|f| f.as_str()),
                    u.password_hash,
                    time(&u.created_at),
                ]);
            match inserted {
                Ok(_) => Ok(()),
                // Either the username (ignoring case) or the user id is taken.
                Err(e) if is_unique_violation(&e) => {
                    Err(CoreError::conflict("username is taken").into())
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn user_by_id(&self, id: &UserId) -> CoreResult<Option<UserRecord>> {
        let id = id.clone();
        self.run_point_read("read user", move |conn| {
            let sql = format!("SELECT {COLUMNS} FROM users WHERE user_id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.as_str()], read_user)
                .optional()?)
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> CoreResult<Option<UserRecord>> {
        let username = username.to_string();
        self.run("read user by username", move |conn| {
            // The comparison's collation matches the unique index, which it uses.
            let sql = format!("SELECT {COLUMNS} FROM users WHERE username = ?1 COLLATE NOCASE");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([username], read_user)
                .optional()?)
        })
        .await
    }

    async fn update_identity(
        &self,
        identity: &Identity,
        password_hash: Option<&str>,
    ) -> CoreResult<()> {
        let id = identity.clone();
        let hash = password_hash.map(str::to_string);
        let kind = name(&id.kind)?;
        self.run("update identity", move |conn| {
            // The username is not an identity field the port lists; it stays as created.
            let changed = conn
                .prepare_cached(
                    "UPDATE users SET kind = ?2, tier = ?3, roles = ?4, enabled = ?5, \
                     token_version = ?6, guest_room = ?7, guest_issue = ?8, password_hash = ?9 \
                     WHERE user_id = ?1",
                )?
                .execute(params![
                    id.user_id.as_str(),
                    kind,
                    id.tier.map(Tier::as_str),
                    roles_text(&id.roles),
                    id.enabled,
                    id.token_version,
                    id.guest_room.as_ref().map(|r| r.as_str()),
                    id.guest_issue.as_ref().map(|i| i.as_str()),
                    hash,
                ])?;
            if changed == 0 {
                return Err(OpError::Core(CoreError::not_found("no such user")));
            }
            Ok(())
        })
        .await
    }

    async fn update_profile(&self, user: &UserId, profile: &Profile) -> CoreResult<()> {
        let user = user.clone();
        let profile = profile.clone();
        self.run("update profile", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE users SET display_name = ?2, avatar_file_id = ?3 WHERE user_id = ?1",
                )?
                .execute(params![
                    user.as_str(),
                    profile.display_name,
                    profile.avatar_file_id.as_ref().map(|f| f.as_str()),
                ])?;
            if changed == 0 {
                return Err(OpError::Core(CoreError::not_found("no such user")));
            }
            Ok(())
        })
        .await
    }

    async fn list_users(&self) -> CoreResult<Vec<UserRecord>> {
        self.run("list users", |conn| {
            // BINARY order, as the other adapters compare strings.
            let sql =
                format!("SELECT {COLUMNS} FROM users ORDER BY username COLLATE BINARY, user_id");
            let mut stmt = conn.prepare_cached(&sql)?;
            let users = stmt
                .query_map([], read_user)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(users)
        })
        .await
    }
}
