//! What a warm process remembers between requests so a send need not read it again:
//! each room's `last_seq` and each user's record (less its password hash), as last seen.
//!
//! Hints are never trusted: a send's transaction states them as conditions (the room's
//! `last_seq` is still n; the user is still enabled, on this version, with this name),
//! and a refused condition hands back the stored item, which becomes the new hint and
//! the next attempt's input. A wrong hint costs one cancelled transaction, never a wrong
//! message. Each map is bounded; when full it is emptied (a Lambda serves far fewer
//! rooms and users than the bound between cold starts, so this is rare and only costs
//! reads).

use std::collections::HashMap;
use std::sync::Mutex;

use chat_core::ids::UserId;
use chat_core::model::UserRecord;

/// Entries per map before it is emptied.
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Hints {
    last_seq: Mutex<HashMap<String, u64>>,
    users: Mutex<HashMap<UserId, UserRecord>>,
}

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= CAPACITY && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, value);
}

impl Hints {
    pub(crate) fn last_seq(&self, room: &str) -> Option<u64> {
        self.last_seq
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(room)
            .copied()
    }

    /// Records that `room` reached `seq`. A room's `last_seq` only grows, so the larger
    /// of two hints (from concurrent requests in one process) is the better one.
    pub(crate) fn saw_last_seq(&self, room: &str, seq: u64) {
        let mut map = self.last_seq.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(room) {
            Some(known) => *known = (*known).max(seq),
            None => bounded_insert(&mut map, room.to_string(), seq),
        }
    }

    pub(crate) fn user(&self, id: &UserId) -> Option<UserRecord> {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Remembers `user` without its password hash: a send never needs it, and a
    /// credential should not outlive the request that read it.
    pub(crate) fn saw_user(&self, user: &UserRecord) {
        let mut kept = user.clone();
        kept.password_hash = None;
        let mut map = self.users.lock().unwrap_or_else(|e| e.into_inner());
        bounded_insert(&mut map, kept.identity.user_id.clone(), kept);
    }

    /// This process changed the user: drop the hint rather than guess the new record.
    pub(crate) fn forget_user(&self, id: &UserId) {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}
