//! argon2id password hashing.
//!
//! Parameters are configurable so tests can run cheap hashes; production uses the
//! OWASP-recommended minimum for argon2id (19 MiB, 2 iterations, 1 lane). Verification
//! reads the parameters from the stored PHC string, so raising them later keeps old
//! hashes valid.

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};

use crate::error::{CoreError, CoreResult};

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password, verified against when the user does not exist so
    /// that "unknown user" and "wrong password" take the same time.
    ///
    /// Made on first use, not at construction: every Lambda builds a hasher at cold
    /// start, and most (the WebSocket and supervisor functions) never log anyone in.
    /// The cost: an instance's first unknown-user check pays one extra hash.
    dummy_hash: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl PasswordHasher {
    /// Production cost: m = 19 MiB, t = 2, p = 1.
    pub fn production() -> Self {
        Self::with_cost(19 * 1024, 2)
    }

    /// Cheap hashes for tests (`m_cost_kib` ≥ 8).
    pub fn with_cost(m_cost_kib: u32, t_cost: u32) -> Self {
        let params = Params::new(m_cost_kib.max(8), t_cost.max(1), 1, None)
            .unwrap_or_else(|_| Params::default());
        PasswordHasher {
            params,
            dummy_hash: Default::default(),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=…`).
    pub fn hash(&self, password: &str) -> CoreResult<String> {
        use argon2::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
    }

    fn dummy_hash(&self) -> &str {
        self.dummy_hash.get_or_init(|| {
            self.hash(&crate::auth::secrets::random_token())
                .unwrap_or_default()
        })
    }

    /// Whether `password` matches `stored`. `None` (unknown user, guest) burns the same
    /// time against a dummy hash and returns `false`.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (self.dummy_hash(), false),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = self
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && real
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = PasswordHasher::with_cost(8, 1);
        let stored = h.hash("alice-pass").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("alice-pass", Some(&stored)));
        assert!(!h.verify("alice-pas", Some(&stored)));
        assert!(!h.verify("alice-pass", None));
        assert!(!h.verify("alice-pass", Some("not a phc string")));
    }

    #[test]
    fn hashes_made_with_other_costs_still_verify() {
        let cheap = PasswordHasher::with_cost(8, 1);
        let stored = cheap.hash("pw").unwrap();
        let other = PasswordHasher::with_cost(16, 2);
        assert!(other.verify("pw", Some(&stored)));
    }
}
