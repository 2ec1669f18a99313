//! `X-Hearken-Signature: sha256=<hex>`: the HMAC-SHA256 of the raw request body under the
//! secret shared with the CRM (`HEARKEN_WEBHOOK_SECRET`).
//!
//! A receiver recomputes it over the bytes it received, before parsing them, and compares
//! in constant time: [`verify`] does exactly that and is what a Rust receiver (or a test)
//! should call.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Hearken-Signature";
pub const EVENT_HEADER: &str = "X-Hearken-Event";
pub const DELIVERY_HEADER: &str = "X-Hearken-Delivery";

const PREFIX: &str = "sha256=";

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// The header value for `body`: `sha256=` and 64 lowercase hex digits.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("{PREFIX}{}", hex::encode(m.finalize().into_bytes()))
}

/// Whether `header` (the received `X-Hearken-Signature` value) is the signature of `body`
/// under `secret`. Constant-time in the digest; any malformed header is simply false.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(digest) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(digest) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(body);
    m.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac_sha256_vector() {
        // RFC 4231, test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn verify_accepts_the_signature_and_rejects_any_change() {
        let secret = b"s3cret-shared-with-the-crm";
        let body = br#"{"event":"opened","case":{"id":"case-1"}}"#;
        let sig = sign(secret, body);
        assert!(verify(secret, body, &sig));
        assert!(verify(secret, body, &format!(" {sig} ")), "surrounding whitespace of a header is not part of it");
        assert!(!verify(b"another-secret", body, &sig), "wrong secret");
        assert!(!verify(secret, br#"{"event":"opened","case":{"id":"case-2"}}"#, &sig), "changed body");
        let mut flipped = sig.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert!(!verify(secret, body, std::str::from_utf8(&flipped).unwrap()), "changed digest");
        assert!(!verify(secret, body, sig.trim_start_matches("sha256=")), "missing prefix");
        assert!(!verify(secret, body, "sha256=zz"), "not hex");
        assert!(!verify(secret, body, &sig[..sig.len() - 2]), "truncated digest");
        assert!(!verify(secret, body, ""), "empty");
    }
}
