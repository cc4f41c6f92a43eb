//! `/me`, profile edits (avatars are checked images of the user's own) and the employee
//! directory.

use crate::error::{CoreError, CoreResult};
use crate::model::{DisplayName, UserRecord};
use crate::protocol::http::{
    DirectoryEntry, MeResponse, ProfilePatch, ProfileResponse, ProfileView, UsersResponse,
};
use crate::service::App;

impl App {
    /// `GET /me`.
    pub async fn me(&self, user: &UserRecord) -> CoreResult<MeResponse> {
        Ok(MeResponse {
            identity: user.view(),
            profile: self.profile_view(user).await?,
        })
    }

    async fn profile_view(&self, user: &UserRecord) -> CoreResult<ProfileView> {
        let avatar = self.avatar_url(user).await?;
        Ok(ProfileView {
            profile: user.profile.clone(),
            avatar_url: avatar.as_ref().map(|(url, _)| url.clone()),
            avatar_url_expires_at: avatar.map(|(_, at)| at),
        })
    }

    /// `PATCH /me/profile`: the user's own display name and avatar. Identity fields are
    /// not part of [`ProfilePatch`], so nothing here can change permissions.
    pub async fn update_profile(
        &self,
        user: &UserRecord,
        patch: ProfilePatch,
    ) -> CoreResult<ProfileResponse> {
        let mut profile = user.profile.clone();
        if let Some(name) = patch.display_name {
            profile.display_name = DisplayName::parse(name)?.into_inner();
        }
        if let Some(avatar) = patch.avatar_file_id {
            // Only a checked image of the caller's own: never someone else's file, which
            // would hand its URL to whoever sees the profile.
            self.own_image(user, &avatar).await?;
            profile.avatar_file_id = Some(avatar);
        }
        self.deps
            .store
            .update_profile(&user.identity.user_id, &profile)
            .await?;
        let updated = UserRecord {
            profile,
            ..user.clone()
        };
        Ok(ProfileResponse {
            profile: self.profile_view(&updated).await?,
        })
    }

    /// `GET /users?online=`: enabled employees, for invitations. Guests never appear.
    pub async fn directory(
        &self,
        caller: &UserRecord,
        online: Option<bool>,
    ) -> CoreResult<UsersResponse> {
        if !caller.identity.is_employee() {
            return Err(CoreError::forbidden("only employees can list users"));
        }
        let employees: Vec<UserRecord> = self
            .deps
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.identity.is_employee() && u.identity.enabled)
            .collect();
        let ids: Vec<String> = employees
            .iter()
            .map(|u| u.identity.user_id.to_string())
            .collect();
        let online_now = self.deps.store.online_users(&ids).await?;
        let users = employees
            .into_iter()
            .map(|u| {
                let is_online = online_now.contains(u.identity.user_id.as_str());
                DirectoryEntry {
                    user_id: u.identity.user_id,
                    display_name: u.profile.display_name,
                    kind: "employee",
                    tier: u.identity.tier,
                    online: is_online,
                }
            })
            .filter(|e| online.is_none_or(|want| want == e.online))
            .collect();
        Ok(UsersResponse { users })
    }
}
