//! Secrets the gateway keeps in its data folder, created on first start:
//!
//! - `jwt-signing.key`: the Ed25519 token signing key, base64 PKCS#8 (unless
//!   `CHAT_JWT_SIGNING_KEY` is set). Kept so that tokens survive a restart. A
//!   `jwt.secret` left by an older version (HS256) is no longer read.
//! - `management.key`: required on the Management API, which would otherwise let
//!   anyone who can reach `--addr 0.0.0.0` write into or close other users' sockets.
//! - `gateway.addr`: where the running gateway listens, for the admin CLI; written at
//!   startup and removed at shutdown.
//!
//! Secret files are created `0600` (owner only) and never logged.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;

pub const JWT_SIGNING_KEY_FILE: &str = "jwt-signing.key";
pub const MANAGEMENT_KEY_FILE: &str = "management.key";
pub const GATEWAY_ADDR_FILE: &str = "gateway.addr";

/// Random bytes per generated secret (hex-encoded on disk, so the key is 64 bytes).
const SECRET_BYTES: usize = 32;
/// Shortest secret accepted from a file someone edited by hand.
const MIN_SECRET_CHARS: usize = 32;

/// Reads the secret in `path`, or creates it with fresh random content.
pub fn load_or_create(path: &Path) -> io::Result<String> {
    load_or_create_with(path, || {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Ok(hex::encode(bytes))
    })
}

/// Reads the secret in `path`, or creates it with what `generate` makes.
pub fn load_or_create_with(
    path: &Path,
    generate: impl FnOnce() -> io::Result<String>,
) -> io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => return checked(path, text),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let secret = generate()?;
    match create_private(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())?;
            file.sync_all()?;
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            checked(path, std::fs::read_to_string(path)?)
        }
        Err(e) => Err(e),
    }
}

/// Reads an existing secret; `None` when the file does not exist.
pub fn read(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => checked(path, text).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn checked(path: &Path, text: String) -> io::Result<String> {
    let secret = text.trim().to_string();
    if secret.len() < MIN_SECRET_CHARS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} holds a secret shorter than {MIN_SECRET_CHARS} characters; delete it to generate a new one",
                path.display()
            ),
        ));
    }
    Ok(secret)
}

fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `<data_dir>/<name>`.
pub fn file(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join(name)
}

/// The gateway's token signing key: from `path`, or a new one written there.
pub fn signing_key(path: &Path) -> io::Result<chat_core::auth::SigningKey> {
    let invalid =
        |e: chat_core::CoreError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let encoded = load_or_create_with(path, || {
        chat_core::auth::SigningKey::generate()
            .map(|k| k.to_base64())
            .map_err(invalid)
    })?;
    chat_core::auth::SigningKey::from_base64(&encoded).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}; delete it to generate a new key", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANAGEMENT_KEY_FILE);
        assert_eq!(read(&path).unwrap(), None);
        let first = load_or_create(&path).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create(&path).unwrap(), first);
        assert_eq!(read(&path).unwrap(), Some(first));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_signing_key_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JWT_SIGNING_KEY_FILE);
        let first = signing_key(&path).unwrap();
        assert_eq!(signing_key(&path).unwrap().kid(), first.kid());
        std::fs::write(&path, "x".repeat(40)).unwrap();
        let err = signing_key(&path).unwrap_err();
        assert!(err.to_string().contains(JWT_SIGNING_KEY_FILE), "{err}");
    }

    #[test]
    fn a_short_secret_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANAGEMENT_KEY_FILE);
        std::fs::write(&path, "short").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(err.to_string().contains(MANAGEMENT_KEY_FILE));
    }
}
