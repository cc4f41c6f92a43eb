//! Sessions: login, bearer checks, WebSocket tickets, connect and disconnect.

use std::collections::HashSet;

use tracing::{debug, info, instrument};

use crate::auth::secrets::{random_token, secret_hash};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ConnectionId, UserId};
use crate::model::{AccountKind, Connection, Identity, UserRecord};
use crate::protocol::http::{LoginRequest, TicketResponse, TokenResponse};
use crate::service::App;

/// What the `$connect` route knows about a handshake.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    pub connection_id: Option<ConnectionId>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `ticket` query parameter, if any.
    pub ticket: Option<String>,
    /// The `Origin` header, if any (browsers always send it).
    pub origin: Option<String>,
}

/// Who acts on a connection ([`App::sender`]).
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    pub connection: Connection,
    pub user: UserRecord,
    /// `user` is the store's hint, not a read.
    pub hinted: bool,
}

/// The one rule for a user still allowed to act with a token (or socket) of
/// `token_version`: enabled, and not revoked since.
fn is_current(user: &UserRecord, token_version: u32) -> bool {
    user.identity.enabled && user.identity.token_version == token_version
}

/// `Bearer <token>` → `<token>`.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

impl App {
    /// `POST /auth/login`. Unknown user, wrong password, disabled account and guest
    /// accounts all get the same `Unauthorized`, after the same amount of hashing.
    #[instrument(skip_all, fields(username = %req.username))]
    ///
    /// `source` is the caller's address (API Gateway's `sourceIp`): failures are
    /// throttled per account and address and per address ([`crate::auth::throttle`]),
    /// answered `rate_limited` with the seconds to wait, before any hash is computed.
    pub async fn login(&self, req: &LoginRequest, source: &str) -> CoreResult<TokenResponse> {
        let now = self.deps.clock.now();
        if let Err(wait) = self.login_throttle.check(&req.username, source, now) {
            info!(source, "login throttled");
            let secs = u64::try_from(wait.num_seconds()).unwrap_or(0).max(1);
            return Err(CoreError::RetryAfter(secs));
        }
        let user = self.deps.store.user_by_username(&req.username).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let password_ok = self.hasher.verify(&req.password, hash);
        let Some(user) = user.filter(|u| password_ok && u.identity.enabled) else {
            info!("login refused");
            self.login_throttle.failed(&req.username, source, now);
            return Err(CoreError::Unauthorized);
        };
        self.login_throttle.succeeded(&req.username, source);
        info!(user_id = %user.identity.user_id, "login");
        self.audit(
            user.identity.user_id.as_str(),
            "login",
            None,
            None,
            serde_json::json!({ "username": user.identity.username }),
        )
        .await?;
        self.token_for(&user)
    }

    /// Signs a token for an already-authorized user.
    pub(crate) fn token_for(&self, user: &UserRecord) -> CoreResult<TokenResponse> {
        let now = self.deps.clock.now();
        let (token, expires_at) = self.signer.issue(
            &user.identity.user_id,
            user.identity.token_version,
            self.new_id("jti"),
            now,
        )?;
        Ok(TokenResponse {
            token,
            expires_at,
            identity: user.view(),
        })
    }

    /// Checks a bearer token against its signature *and* the store: the user must
    /// exist, be enabled and have the token version the token was issued with.
    pub async fn authenticate(&self, token: &str) -> CoreResult<UserRecord> {
        let claims = self.signer.verify(token, self.deps.clock.now())?;
        let user_id = UserId::parse(claims.sub).map_err(|_| CoreError::Unauthorized)?;
        let user = self.current_user(&user_id, claims.ver).await?;
        Ok(user)
    }

    /// `Authorization` header → user.
    pub async fn authenticate_header(&self, authorization: Option<&str>) -> CoreResult<UserRecord> {
        let token = authorization
            .and_then(bearer_token)
            .ok_or(CoreError::Unauthorized)?;
        self.authenticate(token).await
    }

    /// The stored user if still enabled and on `token_version`.
    pub(crate) async fn current_user(
        &self,
        user_id: &UserId,
        token_version: u32,
    ) -> CoreResult<UserRecord> {
        match self.deps.store.user_by_id(user_id).await? {
            Some(u) if is_current(&u, token_version) => Ok(u),
            _ => Err(CoreError::Unauthorized),
        }
    }

    /// `POST /auth/ws-ticket`: a single-use, short-lived secret for browsers, which
    /// cannot set headers on a WebSocket handshake.
    ///
    /// The ticket carries the token version it was minted under, as a suffix covered by
    /// the stored hash: changing it finds no ticket, and redeeming it after a revoke or
    /// disable (which bump the version) is refused like the token itself would be.
    pub async fn issue_ws_ticket(&self, user: &Identity) -> CoreResult<TicketResponse> {
        let ticket = format!("{}.{}", random_token(), user.token_version);
        let expires_at = self.deps.clock.now() + self.config.ticket_ttl;
        self.deps
            .store
            .put_ticket(&secret_hash(&ticket), &user.user_id, expires_at)
            .await?;
        Ok(TicketResponse { ticket, expires_at })
    }

    /// Whether a browser `Origin` may open a socket.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(o) => self
                .config
                .allowed_origins
                .iter()
                .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(o)),
        }
    }

    /// `$connect`: checks origin, then the bearer token or ticket, then records the
    /// connection. Errors: `Forbidden` (origin), `Unauthorized` (credentials).
    #[instrument(skip_all, fields(connection_id))]
    pub async fn connect(&self, handshake: &Handshake) -> CoreResult<UserRecord> {
        let connection_id = handshake
            .connection_id
            .clone()
            .ok_or_else(|| CoreError::bad_request("missing connection id"))?;
        tracing::Span::current().record("connection_id", connection_id.as_str());
        if !self.origin_allowed(handshake.origin.as_deref()) {
            info!(origin = ?handshake.origin, "handshake refused: origin not allowed");
            return Err(CoreError::forbidden("origin not allowed"));
        }
        let user = match (&handshake.authorization, &handshake.ticket) {
            (Some(header), _) => self.authenticate_header(Some(header)).await?,
            (None, Some(ticket)) => self.redeem_ticket(ticket).await?,
            (None, None) => return Err(CoreError::Unauthorized),
        };
        let open = self
            .deps
            .store
            .connections_of(&user.identity.user_id)
            .await?;
        let cap = self.config.limits.max_connections_per_user;
        if cap > 0 && open.len() >= cap as usize {
            info!(user_id = %user.identity.user_id, open = open.len(), "handshake refused: too many sockets");
            return Err(CoreError::RateLimited);
        }
        let was_online = !open.is_empty();
        let connection = Connection {
            id: connection_id,
            user_id: user.identity.user_id.clone(),
            kind: user.identity.kind,
            token_version: user.identity.token_version,
            connected_at: self.deps.clock.now(),
        };
        self.deps.store.put_connection(&connection).await?;
        info!(user_id = %user.identity.user_id, "connected");
        if !was_online {
            self.announce_presence(&user.identity.user_id).await;
            // An employee coming online may take rooms waiting in their tier's queue.
            self.assign_waiting_to(&user).await;
            if user.identity.kind == AccountKind::Guest {
                if let Err(e) = self.guest_came_back(&user).await {
                    tracing::warn!(error = %e, "a guest's return was not recorded");
                }
            }
        }
        Ok(user)
    }

    async fn redeem_ticket(&self, ticket: &str) -> CoreResult<UserRecord> {
        // Minted as `{secret}.{token version}` (see `issue_ws_ticket`).
        let minted_under = ticket
            .rsplit_once('.')
            .and_then(|(_, version)| version.parse::<u32>().ok())
            .ok_or(CoreError::Unauthorized)?;
        let now = self.deps.clock.now();
        let user_id = self
            .deps
            .store
            .take_ticket(&secret_hash(ticket), now)
            .await?
            .ok_or(CoreError::Unauthorized)?;
        match self.deps.store.user_by_id(&user_id).await? {
            Some(u) if is_current(&u, minted_under) => Ok(u),
            _ => Err(CoreError::Unauthorized),
        }
    }

    /// `$disconnect`: forgets the connection; announces the user offline when it was
    /// their last one.
    #[instrument(skip_all, fields(connection_id = %connection_id))]
    pub async fn disconnect(&self, connection_id: &ConnectionId) -> CoreResult<()> {
        self.rate.forget(connection_id);
        let Some(connection) = self.deps.store.delete_connection(connection_id).await? else {
            debug!("disconnect of an unknown connection");
            return Ok(());
        };
        let still_online = !self
            .deps
            .store
            .connections_of(&connection.user_id)
            .await?
            .is_empty();
        if !still_online {
            self.announce_presence(&connection.user_id).await;
            if connection.kind == AccountKind::Guest {
                if let Some(guest) = self.deps.store.user_by_id(&connection.user_id).await? {
                    self.guest_went_away(&guest).await?;
                }
            }
        }
        info!(user_id = %connection.user_id, "disconnected");
        Ok(())
    }

    /// The connection and its user, re-checked against the store on every action so a
    /// revoke or disable takes effect even if closing the socket failed. With `hint`,
    /// the user may be the store's hint ([`crate::ports::MessageStore::author_hint`])
    /// instead of a read: only for a send, whose commit compares it with the stored
    /// user. A hint that looks revoked is never trusted to refuse; the store is asked.
    pub(crate) async fn sender(
        &self,
        connection_id: &ConnectionId,
        hint: bool,
    ) -> CoreResult<Sender> {
        let connection = self
            .deps
            .store
            .connection(connection_id)
            .await?
            .ok_or(CoreError::Unauthorized)?;
        let hinted = hint
            .then(|| self.deps.store.author_hint(&connection.user_id))
            .flatten()
            .filter(|u| is_current(u, connection.token_version));
        if let Some(user) = hinted {
            return Ok(Sender {
                connection,
                user,
                hinted: true,
            });
        }
        let user = self.fresh_sender(&connection).await?;
        Ok(Sender {
            connection,
            user,
            hinted: false,
        })
    }

    /// The stored user of `connection` if still current; otherwise the socket is closed
    /// and the action refused.
    pub(crate) async fn fresh_sender(&self, connection: &Connection) -> CoreResult<UserRecord> {
        let user = self.deps.store.user_by_id(&connection.user_id).await?;
        self.still_current(connection, user).await
    }

    /// `user` (as just read) if enabled and on the connection's token version;
    /// otherwise closes the connection and refuses.
    pub(crate) async fn still_current(
        &self,
        connection: &Connection,
        user: Option<UserRecord>,
    ) -> CoreResult<UserRecord> {
        match user.filter(|u| is_current(u, connection.token_version)) {
            Some(user) => Ok(user),
            None => {
                self.close_connections(std::slice::from_ref(connection))
                    .await;
                Err(CoreError::Unauthorized)
            }
        }
    }

    /// Closes sockets and forgets them (revocation, disabled accounts).
    pub(crate) async fn close_connections(&self, connections: &[Connection]) {
        let mut users = HashSet::new();
        for c in connections {
            if let Err(e) = self.deps.push.close(&c.id).await {
                debug!(connection_id = %c.id, error = %e, "close failed; forgetting it anyway");
            }
            if let Err(e) = self.deps.store.delete_connection(&c.id).await {
                tracing::warn!(connection_id = %c.id, error = %e, "could not forget a closed connection");
            }
            self.rate.forget(&c.id);
            users.insert(c.user_id.clone());
        }
        for user in users {
            self.announce_presence(&user).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_header_parsing_is_strict_about_the_scheme() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }
}
