//! Password hashes: argon2id with the crate's default parameters, stored as a
//! PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). Hashing is slow on
//! purpose, so both directions run on the blocking pool, never on the async
//! threads.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use rand::RngCore;

/// A PHC string of a password nobody knows, with the default parameters:
/// checking a sign-in for an unknown name verifies against it, so the answer
/// takes as long as for a known name and does not reveal which names exist.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$3GcmHC4ddNwfuuc/BuDoOQ$VoLYbTVLK5HbOFgKp6w3GqgPwgDuKDGZg2B7UyCnOJA";

/// Why a password could not be hashed or checked (the coordinator's fault,
/// never the user's: a wrong password is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// argon2 refused (it does not for the lengths accepted).
    #[error("argon2 failed: {0}")]
    Hash(argon2::password_hash::Error),
    /// The blocking task did not finish (panicked or cancelled at shutdown).
    #[error("the password task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

/// Whether `password` matches `phc`. With no `phc` (an unknown user) it still
/// spends one verification, against a dummy hash, and answers false.
pub async fn verify_password(password: String, phc: Option<String>) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_now(&password, &phc),
        None => {
            let _ = verify_now(&password, DUMMY_PHC);
            false
        }
    })
    .await
    .map_err(PasswordError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let phc = hash_password("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(
            verify_password("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("correct horse batterY".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        // The same password hashes differently each time (a fresh salt).
        assert_ne!(
            phc,
            hash_password("correct horse battery".into()).await.unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_user_is_refused_after_a_real_verification() {
        assert!(!verify_password("anything at all".into(), None)
            .await
            .unwrap());
        // The dummy is a well-formed hash with the parameters real ones have,
        // so verifying against it costs the same.
        let dummy = PasswordHash::new(DUMMY_PHC).unwrap();
        let real = hash_now("some password").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_refuses_instead_of_failing() {
        assert!(
            !verify_password("whatever it is".into(), Some("not a phc".into()))
                .await
                .unwrap()
        );
    }
}
