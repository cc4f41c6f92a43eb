//! The allowed-users list. One code path for the admin CLI and the admin routes:
//! both call these methods, the routes after checking the caller is an admin.
//!
//! Cutting an employee off (disable, revoke) never strands a guest: rooms where they
//! were the last employee with a guest present are marked as waiting for a supervisor
//! ([`App::hand_over`]), and the guest is told.

use serde::Deserialize;
use serde_json::json;
use tracing::info;

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::model::{
    AccountKind, DisplayName, Identity, ParticipantKind, Profile, Role, RoomStatus, Tier,
    UserRecord,
};
use crate::policy;
use crate::protocol::http::{AccountsResponse, IdentityResponse};
use crate::service::App;
use crate::service::audit::Actor;

/// Minimum password length for employees.
pub const MIN_PASSWORD_LEN: usize = 8;

/// A new employee account.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewEmployee {
    pub username: String,
    pub password: String,
    pub tier: Tier,
    #[serde(default)]
    #[cfg_attr(feature = "schema", ts(as = "Option<_>", optional))]
    pub roles: Vec<Role>,
    pub display_name: String,
}

/// Identity changes an admin may make.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct IdentityPatch {
    pub enabled: Option<bool>,
    pub tier: Option<Tier>,
    pub roles: Option<Vec<Role>>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", ts(as = "Option<_>", optional))]
    pub revoke_tokens: bool,
}

fn valid_username(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

impl App {
    /// Adds an employee. Taken username → `Conflict`.
    pub async fn add_employee(&self, actor: Actor<'_>, new: NewEmployee) -> CoreResult<UserRecord> {
        let username = new.username.trim().to_ascii_lowercase();
        if !valid_username(&username) {
            return Err(CoreError::bad_request(
                "username: 2-64 characters of a-z, 0-9, '.', '_' or '-'",
            ));
        }
        if new.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(CoreError::bad_request(format!(
                "password must be at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        let display_name = DisplayName::parse(new.display_name)?.into_inner();
        let mut roles = new.roles;
        roles.sort();
        roles.dedup();
        let record = UserRecord {
            identity: Identity {
                user_id: UserId::parse(self.new_id("usr"))?,
                username,
                kind: AccountKind::Employee,
                tier: Some(new.tier),
                roles,
                enabled: true,
                token_version: 0,
                guest_room: None,
                guest_issue: None,
            },
            profile: Profile {
                display_name,
                avatar_file_id: None,
            },
            password_hash: Some(self.hasher.hash(&new.password)?),
            created_at: self.deps.clock.now(),
        };
        self.deps.store.insert_user(&record).await?;
        info!(user_id = %record.identity.user_id, username = %record.identity.username, "employee added");
        self.audit(
            &actor.audit_name(),
            "admin.user-added",
            None,
            None,
            json!({ "userId": record.identity.user_id, "username": record.identity.username,
                    "tier": record.identity.tier, "roles": record.identity.roles }),
        )
        .await?;
        Ok(record)
    }

    /// Adds the employee unless the username exists (demo seeding, idempotent).
    pub async fn ensure_employee(&self, new: NewEmployee) -> CoreResult<UserRecord> {
        if let Some(existing) = self.deps.store.user_by_username(&new.username).await? {
            return Ok(existing);
        }
        match self.add_employee(Actor::Operator, new.clone()).await {
            Err(CoreError::Conflict(_)) => self
                .deps
                .store
                .user_by_username(&new.username)
                .await?
                .ok_or_else(|| CoreError::Internal("user vanished while seeding".into())),
            other => other,
        }
    }

    pub async fn list_accounts(&self) -> CoreResult<Vec<UserRecord>> {
        self.deps.store.list_users().await
    }

    /// Finds an account by id or username (the CLI accepts either).
    pub async fn find_account(&self, id_or_username: &str) -> CoreResult<UserRecord> {
        if let Ok(id) = UserId::parse(id_or_username) {
            if let Some(u) = self.deps.store.user_by_id(&id).await? {
                return Ok(u);
            }
        }
        self.deps
            .store
            .user_by_username(id_or_username)
            .await?
            .ok_or_else(|| CoreError::not_found("no such user"))
    }

    /// Applies an identity patch. Disabling or revoking bumps the token version (every
    /// issued token stops working) and closes the user's open sockets.
    pub async fn update_identity(
        &self,
        actor: Actor<'_>,
        user_id: &UserId,
        patch: IdentityPatch,
    ) -> CoreResult<UserRecord> {
        if actor == Actor::User(user_id)
            && (patch.enabled == Some(false)
                || patch
                    .roles
                    .as_ref()
                    .is_some_and(|r| !r.contains(&Role::Admin)))
        {
            // An admin locking themselves out needs another admin (or the CLI) to undo.
            return Err(CoreError::conflict(
                "admins cannot disable themselves or drop their own admin role",
            ));
        }
        let mut user = self
            .deps
            .store
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| CoreError::not_found("no such user"))?;
        let was_supervisor = user.identity.has_role(Role::Supervisor);
        let id = &mut user.identity;
        if let Some(tier) = patch.tier {
            if id.kind != AccountKind::Employee {
                return Err(CoreError::bad_request("only employees have a tier"));
            }
            id.tier = Some(tier);
        }
        if let Some(mut roles) = patch.roles.clone() {
            if id.kind != AccountKind::Employee && !roles.is_empty() {
                return Err(CoreError::bad_request("only employees have roles"));
            }
            roles.sort();
            roles.dedup();
            id.roles = roles;
        }
        let disabling = patch.enabled == Some(false) && id.enabled;
        if let Some(enabled) = patch.enabled {
            id.enabled = enabled;
        }
        let cut_off = disabling || patch.revoke_tokens;
        if cut_off {
            id.token_version = id.token_version.saturating_add(1);
        }
        self.deps
            .store
            .update_identity(&user.identity, user.password_hash.as_deref())
            .await?;
        info!(user_id = %user_id, disabled = disabling, revoked = patch.revoke_tokens, "identity updated");
        self.audit(
            &actor.audit_name(),
            "admin.user-updated",
            None,
            None,
            json!({ "userId": user_id, "enabled": patch.enabled, "tier": patch.tier,
                    "roles": patch.roles, "revokeTokens": patch.revoke_tokens }),
        )
        .await?;
        // Live subscriptions are re-evaluated at once. Observing a room is a supervisor
        // right held by a *connection* (`supervisor.observe`); a demoted supervisor's
        // sockets would keep receiving the room's events, employees-only ones
        // included, so they are closed. The token stays valid: the client reconnects
        // with what its roles now allow. Memberships are per user and stay.
        let lost_supervision = was_supervisor && !user.identity.has_role(Role::Supervisor);
        if cut_off || lost_supervision {
            let open = self.deps.store.connections_of(user_id).await?;
            self.close_connections(&open).await;
        }
        if cut_off && user.identity.is_employee() {
            self.hand_over(&user).await?;
        }
        Ok(user)
    }

    /// After `employee` was cut off: in every open room where they are the last
    /// employee and a guest is present, the room waits for a supervisor (queues show
    /// it) and the members are told. Elsewhere a disabled employee simply leaves.
    pub(crate) async fn hand_over(&self, employee: &UserRecord) -> CoreResult<()> {
        let me = employee.identity.user_id.as_str();
        for mut room in self.deps.store.rooms_of(me).await? {
            if room.status != RoomStatus::Open {
                continue;
            }
            let members = self.deps.store.members(&room.id).await?;
            let has_guest = members.iter().any(|m| m.kind == ParticipantKind::Guest);
            let other_employee = members
                .iter()
                .any(|m| m.kind == ParticipantKind::Employee && m.id != me);
            if has_guest && !other_employee {
                if room.waiting_since.is_none() {
                    room.waiting_since = Some(self.deps.clock.now());
                    self.deps.store.update_room(&room).await?;
                }
                self.post_system(
                    &room,
                    format!(
                        "{} is no longer available; a supervisor will take over shortly.",
                        employee.profile.display_name
                    ),
                )
                .await?;
                self.audit(
                    "system",
                    "room.handover-needed",
                    Some(&room.id),
                    Some(&room.issue_id),
                    json!({ "employee": me }),
                )
                .await?;
                self.broadcast_room_updated(&room).await?;
            } else if !employee.identity.enabled {
                self.deps.store.remove_member(&room.id, me).await?;
                self.broadcast_room_updated(&room).await?;
            }
        }
        Ok(())
    }

    /// `POST /admin/users`.
    pub async fn admin_add_user(
        &self,
        caller: &UserRecord,
        new: NewEmployee,
    ) -> CoreResult<IdentityResponse> {
        policy::may_administer(&caller.identity)?;
        let user = self
            .add_employee(Actor::User(&caller.identity.user_id), new)
            .await?;
        Ok(IdentityResponse {
            identity: user.view(),
        })
    }

    /// `GET /admin/users`.
    pub async fn admin_list_users(&self, caller: &UserRecord) -> CoreResult<AccountsResponse> {
        policy::may_administer(&caller.identity)?;
        let users = self
            .list_accounts()
            .await?
            .iter()
            .map(UserRecord::view)
            .collect();
        Ok(AccountsResponse { users })
    }

    /// `PATCH /admin/users/{id}`.
    pub async fn admin_update_user(
        &self,
        caller: &UserRecord,
        user_id: &UserId,
        patch: IdentityPatch,
    ) -> CoreResult<IdentityResponse> {
        policy::may_administer(&caller.identity)?;
        let user = self
            .update_identity(Actor::User(&caller.identity.user_id), user_id, patch)
            .await?;
        Ok(IdentityResponse {
            identity: user.view(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_username;

    #[test]
    fn usernames_are_lowercase_slugs() {
        assert!(valid_username("alice"));
        assert!(valid_username("a.b-c_1"));
        assert!(!valid_username("A"));
        assert!(!valid_username("has space"));
        assert!(!valid_username("x"));
    }
}
