//! Author pseudonyms for the analytics tables: a keyed hash of the author's handle.
//!
//! Posts carry personal health information, so the analytics store (ClickHouse) never
//! holds an author's handle, id or profile URL: only `HMAC-SHA256(key, handle)`, cut to
//! 128 bits. The same author gets the same pseudonym in every post (so "how many distinct
//! authors" and "one author's posts" still work), but without the key nobody can get back
//! from a pseudonym to the handle, not even by hashing a list of likely handles.
//!
//! The key comes from the environment variable `HEARKEN_PSEUDONYM_KEY` (at least 16
//! characters; `openssl rand -hex 32` makes a good one) and never from a file in the repo.
//! Keep it stable: a new key gives every author a new pseudonym, which splits their
//! history, and `hearken erase --author` finds an author's rows in ClickHouse only with
//! the key their rows were written with.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::model::Post;

/// The environment variable holding the pseudonymization key.
pub const KEY_ENV: &str = "HEARKEN_PSEUDONYM_KEY";
const MIN_KEY_LEN: usize = 16;

#[derive(Clone)]
pub struct Pseudonymizer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<key hidden>)")
    }
}

impl Pseudonymizer {
    pub fn new(key: &[u8]) -> anyhow::Result<Pseudonymizer> {
        if key.len() < MIN_KEY_LEN {
            anyhow::bail!("the pseudonymization key is shorter than {MIN_KEY_LEN} bytes; generate one with `openssl rand -hex 32`");
        }
        Ok(Pseudonymizer { key: key.to_vec() })
    }

    /// The key from `HEARKEN_PSEUDONYM_KEY`, or an error that says how to set it.
    pub fn from_env() -> anyhow::Result<Pseudonymizer> {
        match std::env::var(KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => Pseudonymizer::new(key.trim().as_bytes())
                .map_err(|e| anyhow::anyhow!("{KEY_ENV}: {e}")),
            _ => anyhow::bail!(
                "{KEY_ENV} is not set: ClickHouse stores authors only as a keyed hash of their handle; \
                 export a secret of at least {MIN_KEY_LEN} characters, e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`, \
                 and keep it: erasure by author needs the same key"
            ),
        }
    }

    /// The pseudonym of a handle: 32 hex digits. The handle is normalized first (see
    /// [`normalize_handle`]), so `@Ani`, `ani` and ` ANI ` are one author.
    pub fn pseudonym(&self, handle: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(normalize_handle(handle).as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The pseudonym of a post's author, or "" when the post names no author.
    pub fn of_post(&self, post: &Post) -> String {
        author_handle(post).map(|h| self.pseudonym(h)).unwrap_or_default()
    }
}

/// The handle the stores file a post's author under: the handle, or the author id when
/// the network gave no handle (as the case store does).
pub fn author_handle(post: &Post) -> Option<&str> {
    post.author.as_ref().and_then(|a| a.handle.as_deref().or(a.id.as_deref())).filter(|h| !h.trim().is_empty())
}

/// Handles are compared without surrounding blanks, without a leading `@` and without case.
pub fn normalize_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

/// How an erasure names an author in its audit record: the keyed pseudonym when a key is
/// set, else an unkeyed SHA-256 marked as such (weaker: a guessed handle can be checked
/// against it). Never the handle itself.
pub fn audit_subject(handle: &str, key: Option<&Pseudonymizer>) -> String {
    match key {
        Some(p) => format!("author:hmac:{}", p.pseudonym(handle)),
        None => format!("author:sha256:{}", hex::encode(&Sha256::digest(normalize_handle(handle).as_bytes())[..16])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_normalized() {
        let a = Pseudonymizer::new(b"0123456789abcdef-one").unwrap();
        let b = Pseudonymizer::new(b"0123456789abcdef-two").unwrap();
        assert_eq!(a.pseudonym("@Ani"), a.pseudonym(" ani "));
        assert_eq!(a.pseudonym("ani").len(), 32);
        assert_ne!(a.pseudonym("ani"), b.pseudonym("ani"));
        assert_ne!(a.pseudonym("ani"), a.pseudonym("budi"));
        assert!(!a.pseudonym("ani").contains("ani"));
        assert!(Pseudonymizer::new(b"short").is_err());
    }

    #[test]
    fn audit_subjects_never_hold_the_handle() {
        let key = Pseudonymizer::new(b"0123456789abcdef").unwrap();
        for s in [audit_subject("@sari_w", Some(&key)), audit_subject("@sari_w", None)] {
            assert!(!s.contains("sari"), "{s}");
        }
        assert!(audit_subject("x", None).starts_with("author:sha256:"));
    }
}
