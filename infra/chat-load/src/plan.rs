//! Who is in which room, which connections exist, and who sends message `idx`.
//!
//! Everything is a pure function of the flags, so the reader tasks can tell the sender
//! of any message (to leave it out of fan-out latency) without shared state.

use anyhow::bail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub rooms: usize,
    pub members: usize,
    pub conns_per_user: usize,
    /// How many of each user's connections send (its last ones); the others only
    /// receive. Equal to `conns_per_user` unless a scenario separates senders.
    pub senders_per_user: usize,
    /// User indices per room; the first one creates the room and invites the others.
    pub room_members: Vec<Vec<usize>>,
    /// Rooms per user index (empty for users that are in none).
    pub user_rooms: Vec<Vec<usize>>,
    /// Connection indices per user index (empty for users in no room).
    pub user_conns: Vec<Vec<usize>>,
    /// The user index of each connection.
    pub conn_user: Vec<usize>,
}

impl Plan {
    /// Room `r` takes `members` consecutive users starting at `r × members`, wrapping
    /// around the list, so rooms spread over all users and each room's members are
    /// distinct as long as there are enough users.
    #[cfg(test)]
    pub fn build(
        users: usize,
        rooms: usize,
        members: usize,
        conns_per_user: usize,
    ) -> anyhow::Result<Plan> {
        Plan::with_senders(users, rooms, members, conns_per_user, conns_per_user)
    }

    /// Like [`Plan::build`], but only the last `senders_per_user` connections of each
    /// user send; the rest are receive-only (the standard scenario's shape).
    pub fn with_senders(
        users: usize,
        rooms: usize,
        members: usize,
        conns_per_user: usize,
        senders_per_user: usize,
    ) -> anyhow::Result<Plan> {
        if senders_per_user == 0 || senders_per_user > conns_per_user {
            bail!("senders per user must be 1..={conns_per_user}, not {senders_per_user}");
        }
        if members > users {
            bail!("{members} members per room need at least {members} users, have {users}");
        }
        let room_members: Vec<Vec<usize>> = (0..rooms)
            .map(|r| (0..members).map(|i| (r * members + i) % users).collect())
            .collect();
        let mut user_rooms = vec![Vec::new(); users];
        for (r, members) in room_members.iter().enumerate() {
            for &u in members {
                user_rooms[u].push(r);
            }
        }
        let mut user_conns = vec![Vec::new(); users];
        let mut conn_user = Vec::new();
        for (u, rooms) in user_rooms.iter().enumerate() {
            if rooms.is_empty() {
                continue;
            }
            for _ in 0..conns_per_user {
                user_conns[u].push(conn_user.len());
                conn_user.push(u);
            }
        }
        Ok(Plan {
            rooms,
            members,
            conns_per_user,
            senders_per_user,
            room_members,
            user_rooms,
            user_conns,
            conn_user,
        })
    }

    pub fn connections(&self) -> usize {
        self.conn_user.len()
    }

    /// Users that take part (have at least one room).
    pub fn active_users(&self) -> usize {
        self.user_rooms.iter().filter(|r| !r.is_empty()).count()
    }

    /// Messages go round-robin over rooms.
    pub fn room_of(&self, idx: usize) -> usize {
        idx % self.rooms
    }

    /// Within a room, round-robin over every member's every sending connection.
    pub fn sender_conn(&self, idx: usize) -> usize {
        let room = self.room_of(idx);
        let slot = (idx / self.rooms) % (self.members * self.senders_per_user);
        let user = self.room_members[room][slot / self.senders_per_user];
        let first_sender = self.conns_per_user - self.senders_per_user;
        self.user_conns[user][first_sender + slot % self.senders_per_user]
    }

    /// Connections that must receive every message of `room`.
    pub fn room_conns(&self, room: usize) -> impl Iterator<Item = usize> + '_ {
        self.room_members[room]
            .iter()
            .flat_map(|&u| self.user_conns[u].iter().copied())
    }

    /// How many `message.created` frames each message must produce.
    pub fn deliveries_per_message(&self) -> usize {
        self.members * self.conns_per_user
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_have_distinct_members_and_wrap_around_the_users() {
        let p = Plan::build(5, 10, 5, 2).unwrap();
        assert_eq!(p.connections(), 10);
        assert_eq!(p.active_users(), 5);
        for members in &p.room_members {
            let mut m = members.clone();
            m.sort_unstable();
            assert_eq!(m, vec![0, 1, 2, 3, 4]);
        }
        assert_eq!(p.user_rooms[0].len(), 10);
        assert!(Plan::build(3, 1, 4, 1).is_err());

        // Users beyond what the rooms need get no connection.
        let p = Plan::build(50, 1, 2, 3).unwrap();
        assert_eq!((p.connections(), p.active_users()), (6, 2));
        assert!(p.user_conns[2].is_empty());
    }

    #[test]
    fn senders_rotate_over_rooms_members_and_connections() {
        let p = Plan::build(4, 2, 2, 2).unwrap();
        // Room 0 = users 0,1; room 1 = users 2,3; two connections each.
        assert_eq!(p.room_members, vec![vec![0, 1], vec![2, 3]]);
        let senders: Vec<usize> = (0..8).map(|i| p.sender_conn(i)).collect();
        // idx 0,2,4,6 → room 0 slots 0..4 → conns 0,1 (user 0), 2,3 (user 1).
        assert_eq!(senders, vec![0, 4, 1, 5, 2, 6, 3, 7]);
        assert_eq!(p.room_conns(1).collect::<Vec<_>>(), vec![4, 5, 6, 7]);
        assert_eq!(p.deliveries_per_message(), 4);
        for i in 0..100 {
            let sender = p.sender_conn(i);
            assert!(
                p.room_conns(p.room_of(i)).any(|c| c == sender),
                "senders are room members"
            );
        }
    }

    #[test]
    fn the_standard_shape_sends_from_twenty_sockets_and_delivers_to_120() {
        let p = Plan::with_senders(5, 20, 5, 24, 4).unwrap();
        assert_eq!(p.connections(), 120);
        assert_eq!(p.deliveries_per_message(), 120);
        let mut senders: Vec<usize> = (0..10_000).map(|i| p.sender_conn(i)).collect();
        senders.sort_unstable();
        senders.dedup();
        assert_eq!(senders.len(), 20, "4 sender sockets per employee");
        assert!(
            senders.iter().all(|&c| c % 24 >= 20),
            "the last 4 of each user"
        );
        assert!(Plan::with_senders(5, 1, 5, 2, 3).is_err());
    }
}
