//! Guests: invite codes and the guest login that redeems them.
//!
//! A code is random (256 bits), single use, expiring, and stored only as its sha256.
//! Redeeming it creates a guest account scoped to the invitation's room and issue and
//! adds it to the room — only while the room has an employee (checked atomically by the
//! store), so a guest is never alone.

use serde_json::json;
use tracing::info;

use crate::auth::secrets::{random_token, secret_hash};
use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::model::{
    AccountKind, DisplayName, Identity, Invite, ParticipantKind, Profile, RoomStatus, UserRecord,
};
use crate::policy;
use crate::ports::Addition;
use crate::protocol::actions::InviteGuest;
use crate::protocol::http::{GuestLoginRequest, GuestTokenResponse};
use crate::protocol::replies::InviteGuestReply;
use crate::service::App;
use crate::service::dispatch::{Caller, UseCase};
use crate::service::rooms::member_of;

impl App {
    /// `room.inviteGuest`.
    pub(crate) async fn room_invite_guest(
        &self,
        actor: &UserRecord,
        req: InviteGuest,
    ) -> CoreResult<InviteGuestReply> {
        let room = self.member_room(&actor.identity, &req.room_id).await?;
        policy::must_be_open(&room)?;
        let display_name = match req.display_name {
            Some(n) if !n.trim().is_empty() => Some(DisplayName::parse(n)?.into_inner()),
            _ => None,
        };
        let code = random_token();
        let expires_at = self.deps.clock.now() + self.config.invite_ttl;
        let invite = Invite {
            room_id: room.id.clone(),
            issue_id: room.issue_id.clone(),
            created_by: actor.identity.user_id.clone(),
            display_name,
            expires_at,
        };
        self.deps
            .store
            .put_invite(&secret_hash(&code), &invite)
            .await?;
        self.audit(
            actor.identity.user_id.as_str(),
            "guest.invited",
            Some(&room.id),
            Some(&room.issue_id),
            json!({ "expiresAt": expires_at }),
        )
        .await?;
        Ok(InviteGuestReply {
            invite_code: code,
            expires_at,
        })
    }

    /// `POST /auth/guest`. Unknown, used and expired codes are all `Unauthorized`.
    pub async fn guest_login(&self, req: &GuestLoginRequest) -> CoreResult<GuestTokenResponse> {
        let display_name = DisplayName::parse(req.display_name.clone())?.into_inner();
        let now = self.deps.clock.now();
        let invite = self
            .deps
            .store
            .take_invite(&secret_hash(req.invite_code.trim()), now)
            .await?
            .ok_or(CoreError::Unauthorized)?;
        let room = match self.deps.store.room(&invite.room_id).await? {
            Some(r) if r.status == RoomStatus::Open => r,
            _ => return Err(CoreError::Unauthorized),
        };
        let members = self.deps.store.members(&room.id).await?;
        if !members.iter().any(|m| m.kind == ParticipantKind::Employee) {
            return Err(CoreError::GuestAlone);
        }
        let user_id = UserId::parse(self.new_id("gst"))?;
        let guest = UserRecord {
            identity: Identity {
                username: user_id.to_string().to_ascii_lowercase(),
                user_id,
                kind: AccountKind::Guest,
                tier: None,
                roles: vec![],
                enabled: true,
                token_version: 0,
                guest_room: Some(room.id.clone()),
                guest_issue: Some(room.issue_id.clone()),
            },
            profile: Profile {
                display_name: display_name.clone(),
                avatar_file_id: None,
            },
            password_hash: None,
            created_at: now,
        };
        self.deps.store.insert_user(&guest).await?;
        match self
            .deps
            .store
            .add_member(&room.id, &member_of(&guest, now))
            .await?
        {
            Addition::Added | Addition::AlreadyMember => {}
            Addition::GuestWithoutEmployee => return Err(CoreError::GuestAlone),
        }
        self.post_system(&room, format!("{display_name} (guest) joined"))
            .await?;
        self.broadcast_room_updated(&room).await?;
        self.audit(
            guest.identity.user_id.as_str(),
            "login.guest",
            Some(&room.id),
            Some(&room.issue_id),
            json!({ "invitedBy": invite.created_by }),
        )
        .await?;
        info!(user_id = %guest.identity.user_id, room_id = %room.id, "guest joined by invite");
        let token = self.token_for(&guest)?;
        Ok(GuestTokenResponse {
            token: token.token,
            expires_at: token.expires_at,
            identity: token.identity,
            room_id: room.id,
        })
    }
}

impl UseCase for InviteGuest {
    type Reply = InviteGuestReply;
    async fn run(self, app: &App, caller: &Caller<'_>) -> CoreResult<InviteGuestReply> {
        app.room_invite_guest(caller.user(), self).await
    }
}
