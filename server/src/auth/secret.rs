//! Random secrets and their SHA-256: API tokens, session cookies and CSRF
//! tokens. Each secret is 256 bits from the OS-seeded generator, so a fast
//! hash of it cannot be searched and is what the database keeps.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// The readable prefix of an API token's secret (`tct_…`), so a leaked one is
/// recognisable in logs and by secret scanners.
pub const TOKEN_PREFIX: &str = "tct_";
/// The prefix of a session cookie's secret (`tcs_…`).
pub const SESSION_PREFIX: &str = "tcs_";

/// A new secret: `prefix` followed by 32 random bytes in hex (64 characters).
/// CSRF tokens use no prefix (`""`).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // `rand::rng()` is a ChaCha generator seeded from (and reseeded by) the OS.
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The SHA-256 of `text`, in lowercase hex: how token and session secrets are stored.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_their_prefix_and_256_random_bits() {
        let token = new_secret(TOKEN_PREFIX);
        assert!(token.starts_with("tct_"), "{token}");
        assert_eq!(token.len(), 4 + 64);
        assert!(token[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        let csrf = new_secret("");
        assert_eq!(csrf.len(), 64);
        assert_ne!(new_secret(SESSION_PREFIX), new_secret(SESSION_PREFIX));
    }

    #[test]
    fn sha256_is_the_standard_digest_in_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
