//! Credentials: password hashing, signed tokens and single-use tickets.
//!
//! - [`passwords`]: argon2id hashing; verification costs the same for unknown users.
//! - [`keys`]: Ed25519 signing and verifying keys, named by `kid`.
//! - [`tokens`]: EdDSA JWTs with a pinned algorithm, issuer, audience, expiry and the
//!   identity's token version (bumping it revokes every earlier token).
//! - [`secrets`]: random single-use secrets (WebSocket tickets, invite codes), stored
//!   only as their sha256.
//! - [`throttle`]: failed logins slow the guesser down, never the account's owner.

pub mod keys;
pub mod passwords;
pub mod secrets;
pub mod throttle;
pub mod tokens;

pub use keys::{SigningKey, VerifyingKey};
pub use passwords::PasswordHasher;
pub use tokens::{Claims, TokenConfig, TokenSigner};
