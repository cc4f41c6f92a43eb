//! Who may do what. Pure decisions over identities, rooms and memberships; the service
//! gathers the facts from the store and asks here. Each rule is one function named after
//! the rule, so a reader finds it by name and the authorization tests target it.

use crate::error::{CoreError, CoreResult};
use crate::model::{
    AccountKind, Identity, Member, Message, MessageStatus, ParticipantKind, Room, RoomKind,
    RoomStatus, Visibility,
};
use crate::protocol::registry::Callers;

/// The registry's `callers` of a WebSocket action (kind and role only), checked by the
/// dispatch before the use case runs: guests arrive by invitation and neither open
/// rooms nor manage them; only employees work with robots; supervisors observe and
/// break in; only guests rate.
pub fn may_call(actor: &Identity, callers: Callers, action: &str) -> CoreResult<()> {
    let admitted = match callers {
        Callers::Anyone => true,
        Callers::Employees => actor.is_employee(),
        Callers::Supervisors => actor.is_supervisor(),
        Callers::Guests => actor.is_guest(),
    };
    if admitted {
        Ok(())
    } else {
        Err(CoreError::forbidden(format!(
            "{action} is for {} only",
            callers.as_str()
        )))
    }
}

/// Supervisor views and live actions (observe, break-in).
pub fn may_supervise(actor: &Identity) -> CoreResult<()> {
    if actor.is_supervisor() {
        Ok(())
    } else {
        Err(CoreError::forbidden("supervisors only"))
    }
}

/// The audit log is read by supervisors and admins.
pub fn may_read_audit(actor: &Identity) -> CoreResult<()> {
    if actor.is_supervisor() || actor.is_admin() {
        Ok(())
    } else {
        Err(CoreError::forbidden("supervisors and admins only"))
    }
}

/// Identity changes (the allowed-users list) are admin-only.
pub fn may_administer(actor: &Identity) -> CoreResult<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(CoreError::forbidden("admins only"))
    }
}

/// A guest's token is scoped to the room it was invited to; anything else does not
/// exist for them.
pub fn within_guest_scope(actor: &Identity, room: &crate::ids::RoomId) -> CoreResult<()> {
    match (&actor.kind, &actor.guest_room) {
        (crate::model::AccountKind::Guest, Some(scope)) if scope != room => {
            Err(CoreError::not_found("no such room"))
        }
        (crate::model::AccountKind::Guest, None) => Err(CoreError::not_found("no such room")),
        _ => Ok(()),
    }
}

/// Member-only actions (get, history, send, typing, leave).
pub fn must_be_member(is_member: bool) -> CoreResult<()> {
    if is_member {
        Ok(())
    } else {
        // Same answer whether the room exists or not: non-members learn nothing.
        Err(CoreError::not_found("no such room"))
    }
}

/// Employees join open `group` rooms on their own (that only employees join is the
/// registry's `callers`); `solo` rooms are invite-only.
pub fn may_join(room: &Room) -> CoreResult<()> {
    if room.kind == RoomKind::Solo {
        return Err(CoreError::forbidden(
            "solo rooms are invite-only; ask a member to invite you",
        ));
    }
    must_be_open(room)
}

/// `room.invite` adds employees only; guests come through invite codes.
pub fn may_be_invited(target: &Identity) -> CoreResult<()> {
    if !target.enabled {
        return Err(CoreError::not_found("no such user"));
    }
    if !target.is_employee() {
        return Err(CoreError::forbidden(
            "guests join through an invite code, not room.invite",
        ));
    }
    Ok(())
}

/// Concluded rooms are read-only.
pub fn must_be_open(room: &Room) -> CoreResult<()> {
    match room.status {
        RoomStatus::Open => Ok(()),
        RoomStatus::Concluded => Err(CoreError::conflict("the room is concluded")),
    }
}

/// Guests may not post employee-only messages.
pub fn may_post_with_visibility(
    actor: &Identity,
    message_visibility_employees: bool,
) -> CoreResult<()> {
    if message_visibility_employees && !actor.is_employee() {
        return Err(CoreError::forbidden(
            "guests cannot post employees-only messages",
        ));
    }
    Ok(())
}

/// The visibility rule, stated once: employees see everything, guests see only what is
/// for everyone. Fan-out, history, transcripts and supervisor views all ask here
/// (through [`message_for`] or [`crate::protocol::events::ServerEvent::for_viewer`]).
pub fn may_see(viewer: AccountKind, visibility: Visibility) -> bool {
    match visibility {
        Visibility::Everyone => true,
        Visibility::Employees => viewer == AccountKind::Employee,
    }
}

/// `message` as `viewer` may receive it, or `None` when they may not see it at all. A
/// guest also never learns the id of an employees-only message: `sharedFrom` always
/// names one (only employees-only messages can be shared) and is dropped for them;
/// `replyTo` never names one in a message everyone sees (`message.send` refuses that).
pub fn message_for(viewer: AccountKind, message: &Message) -> Option<Message> {
    if !may_see(viewer, message.visibility) {
        return None;
    }
    let mut view = message.clone();
    if viewer != AccountKind::Employee {
        view.shared_from = None;
    }
    Some(view)
}

/// What `message.share` may copy: employees-only messages (robot answers, internal
/// notes) that are finished. Everything else is either already visible to everyone or
/// not an answer yet.
pub fn may_share(original: &Message) -> CoreResult<()> {
    if original.visibility == Visibility::Everyone {
        return Err(CoreError::conflict(
            "the message is already visible to everyone",
        ));
    }
    if original.status != MessageStatus::Complete {
        return Err(CoreError::conflict(
            "only a completed message can be shared",
        ));
    }
    Ok(())
}

/// Transcripts are for employees (supervisors, and members of the room); a guest's
/// token is refused before any room is looked at. Which rooms an employee may read is
/// decided with the room (membership), in `App::room_transcript` and
/// `App::issue_transcript`.
pub fn may_read_transcripts(actor: &Identity) -> CoreResult<()> {
    if actor.is_employee() {
        Ok(())
    } else {
        Err(CoreError::forbidden("only employees can read transcripts"))
    }
}

/// DESIGN §3 "a guest is never alone": after the change, a room holding a guest must
/// still hold an employee. Adapters enforce the same predicate atomically inside
/// `RoomStore::remove_member`; this function is the rule's single statement for
/// checks made before a change and for the contract tests.
pub fn guest_never_alone(members_after: &[Member]) -> bool {
    let has_guest = members_after
        .iter()
        .any(|m| m.kind == ParticipantKind::Guest);
    let has_employee = members_after
        .iter()
        .any(|m| m.kind == ParticipantKind::Employee);
    !has_guest || has_employee
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::model::Tier;
    use chrono::Utc;

    fn member(id: &str, kind: ParticipantKind) -> Member {
        Member {
            id: id.into(),
            kind,
            display_name: id.into(),
            tier: None,
            joined_at: Utc::now(),
        }
    }

    fn identity(kind: AccountKind) -> Identity {
        Identity {
            user_id: UserId::parse("u").unwrap(),
            username: "u".into(),
            kind,
            tier: Some(Tier::T1),
            roles: vec![],
            enabled: true,
            token_version: 0,
            guest_room: None,
            guest_issue: None,
        }
    }

    #[test]
    fn a_guest_with_only_a_robot_is_alone() {
        use ParticipantKind::*;
        assert!(guest_never_alone(&[]));
        assert!(guest_never_alone(&[member("e", Employee)]));
        assert!(guest_never_alone(&[
            member("g", Guest),
            member("e", Employee)
        ]));
        assert!(!guest_never_alone(&[member("g", Guest)]));
        assert!(!guest_never_alone(&[
            member("g", Guest),
            member("r", Robot)
        ]));
    }

    #[test]
    fn guests_cannot_create_rooms_or_post_employee_only() {
        assert!(
            may_call(
                &identity(AccountKind::Guest),
                Callers::Employees,
                "room.create"
            )
            .is_err()
        );
        assert!(
            may_call(
                &identity(AccountKind::Employee),
                Callers::Employees,
                "room.create"
            )
            .is_ok()
        );
        assert!(
            may_call(
                &identity(AccountKind::Employee),
                Callers::Guests,
                "issue.rate"
            )
            .is_err()
        );
        assert!(
            may_call(
                &identity(AccountKind::Employee),
                Callers::Supervisors,
                "supervisor.observe"
            )
            .is_err()
        );
        assert!(may_call(&identity(AccountKind::Guest), Callers::Anyone, "typing").is_ok());
        assert!(may_post_with_visibility(&identity(AccountKind::Guest), true).is_err());
        assert!(may_post_with_visibility(&identity(AccountKind::Guest), false).is_ok());
    }
}
