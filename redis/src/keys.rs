//! The keys tokens are encrypted with, and the format of a stored value:
//! `pb1:<key id>:<base64url of the 24-byte nonce and the ciphertext>`.
//! The connection key and the key id are authenticated with the value
//! (associated data), so a value copied to another connection's key, or
//! relabelled with another key id, fails to decrypt.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::ConfigError;

/// What starts every value this store writes; a later format gets a new
/// prefix, so that old values still read.
const FORMAT: &str = "pb1";
const NONCE_BYTES: usize = 24;
/// Key ids are written into every value and shown in messages.
const LONGEST_KEY_ID: usize = 64;

/// The keys a [`RedisStore`](crate::RedisStore) encrypts tokens with: the
/// current one, which encrypts every value written, and older ones, which
/// still decrypt values written before a rotation.
///
/// To rotate, give every worker the new key as current and the old one as
/// previous; once every stored value was rewritten (each refresh rewrites
/// its connection's), the old key can go.
#[derive(Clone)]
pub struct EncryptionKeys {
    current: String,
    ciphers: BTreeMap<String, XChaCha20Poly1305>,
}

impl fmt::Debug for EncryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKeys")
            .field("current", &self.current)
            .field("known", &self.ciphers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a stored value could not be read; the store turns it into a
/// message naming the connection.
#[derive(Debug)]
pub(crate) enum Unreadable {
    /// Not a value this store writes.
    NotOurs,
    /// Encrypted with a key id this worker does not know.
    UnknownKey(String),
    /// The authentication tag does not match: changed, or another key.
    Tampered(String),
}

impl EncryptionKeys {
    /// Keys with `key` (32 bytes) as the current one, under `id` (1–64
    /// characters of `A–Z a–z 0–9 - _ .`).
    pub fn new(id: &str, key: &[u8]) -> Result<Self, ConfigError> {
        let mut keys = EncryptionKeys {
            current: id.to_owned(),
            ciphers: BTreeMap::new(),
        };
        keys.add(id, key)?;
        Ok(keys)
    }

    /// [`EncryptionKeys::new`] with the key in standard base64 (as a
    /// secret manager or `openssl rand -base64 32` gives it).
    pub fn from_base64(id: &str, key: &str) -> Result<Self, ConfigError> {
        Self::new(id, &decode_key(id, key)?)
    }

    /// Adds an older key, which decrypts values written with it but
    /// encrypts nothing.
    pub fn with_previous(mut self, id: &str, key: &[u8]) -> Result<Self, ConfigError> {
        if self.ciphers.contains_key(id) {
            return Err(key_error(
                id,
                "this id is given twice; each key needs its own id",
            ));
        }
        self.add(id, key)?;
        Ok(self)
    }

    /// [`EncryptionKeys::with_previous`] with the key in standard base64.
    pub fn with_previous_base64(self, id: &str, key: &str) -> Result<Self, ConfigError> {
        let bytes = decode_key(id, key)?;
        self.with_previous(id, &bytes)
    }

    /// The id of the key that encrypts.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    fn add(&mut self, id: &str, key: &[u8]) -> Result<(), ConfigError> {
        if !valid_id(id) {
            return Err(key_error(
                id,
                "an id is 1 to 64 characters of A-Z a-z 0-9 - _ . (it is stored with each value)",
            ));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| {
            key_error(
                id,
                &format!(
                    "a key is 32 bytes, this one has {}; make one with `openssl rand -base64 32`",
                    key.len()
                ),
            )
        })?;
        self.ciphers.insert(id.to_owned(), cipher);
        Ok(())
    }

    /// The value stored for `plaintext` under the connection key `key`.
    pub(crate) fn seal(&self, key: &str, plaintext: &[u8]) -> Result<String, String> {
        let cipher = &self.ciphers[&self.current];
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce: {e}"))?;
        let aad = associated_data(key, &self.current);
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| "the tokens could not be encrypted".to_owned())?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{FORMAT}:{}:{}",
            self.current,
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// The plaintext of a stored value of the connection key `key`.
    pub(crate) fn open(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, Unreadable> {
        let text = std::str::from_utf8(value).map_err(|_| Unreadable::NotOurs)?;
        let mut parts = text.splitn(3, ':');
        let (Some(FORMAT), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Unreadable::NotOurs);
        };
        if !valid_id(id) {
            return Err(Unreadable::NotOurs);
        }
        let cipher = self
            .ciphers
            .get(id)
            .ok_or_else(|| Unreadable::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| Unreadable::Tampered(id.to_owned()))?;
        if bytes.len() < NONCE_BYTES {
            return Err(Unreadable::Tampered(id.to_owned()));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| Unreadable::Tampered(id.to_owned()))?;
        let aad = associated_data(key, id);
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| Unreadable::Tampered(id.to_owned()))
    }

    /// The ids this worker can decrypt, for messages.
    pub(crate) fn known_ids(&self) -> String {
        self.ciphers
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What each value is bound to besides its plaintext.
fn associated_data(key: &str, id: &str) -> Vec<u8> {
    format!("patchbay-redis\0{FORMAT}\0{id}\0{key}").into_bytes()
}

fn valid_id(id: &str) -> bool {
    (1..=LONGEST_KEY_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn decode_key(id: &str, key: &str) -> Result<Vec<u8>, ConfigError> {
    // The engine's message may quote the offending byte of the key.
    STANDARD
        .decode(key.trim())
        .map_err(|_| key_error(id, "the key is not standard base64"))
}

fn key_error(id: &str, problem: &str) -> ConfigError {
    ConfigError::Key {
        id: if valid_id(id) {
            id.to_owned()
        } else {
            "(invalid id)".to_owned()
        },
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> EncryptionKeys {
        EncryptionKeys::new("k1", &[7u8; 32]).unwrap()
    }

    #[test]
    fn a_value_opens_with_its_key_and_connection_only() {
        let keys = keys();
        let sealed = keys.seal("a/b/c", b"{\"secret\":1}").unwrap();
        assert!(sealed.starts_with("pb1:k1:"), "{sealed}");
        assert!(!sealed.contains("secret"));
        assert_eq!(
            keys.open("a/b/c", sealed.as_bytes()).unwrap(),
            b"{\"secret\":1}"
        );
        assert!(matches!(
            keys.open("a/b/other", sealed.as_bytes()),
            Err(Unreadable::Tampered(id)) if id == "k1"
        ));
    }

    #[test]
    fn rotation_decrypts_with_the_old_key_and_encrypts_with_the_new() {
        let old = keys();
        let sealed = old.seal("k", b"t").unwrap();
        let rotated = EncryptionKeys::new("k2", &[9u8; 32])
            .unwrap()
            .with_previous("k1", &[7u8; 32])
            .unwrap();
        assert_eq!(rotated.open("k", sealed.as_bytes()).unwrap(), b"t");
        assert!(rotated.seal("k", b"t").unwrap().starts_with("pb1:k2:"));
        let only_new = EncryptionKeys::new("k2", &[9u8; 32]).unwrap();
        assert!(matches!(
            only_new.open("k", sealed.as_bytes()),
            Err(Unreadable::UnknownKey(id)) if id == "k1"
        ));
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        let short = EncryptionKeys::new("k", &[1u8; 16])
            .unwrap_err()
            .to_string();
        assert!(short.contains("32 bytes, this one has 16"), "{short}");
        let id = EncryptionKeys::new("no spaces", &[1u8; 32])
            .unwrap_err()
            .to_string();
        assert!(id.contains("(invalid id)"), "{id}");
        let text = EncryptionKeys::from_base64("k", "SENTINEL!!")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("not standard base64") && !text.contains("SENTINEL"),
            "{text}"
        );
        let twice = keys()
            .with_previous("k1", &[2u8; 32])
            .unwrap_err()
            .to_string();
        assert!(twice.contains("given twice"), "{twice}");
        assert!(!format!("{:?}", keys()).contains('7'));
    }

    #[test]
    fn every_change_to_a_value_is_detected() {
        let keys = keys();
        let sealed = keys.seal("k", b"tokens").unwrap();
        for at in 7..sealed.len() {
            let mut bytes = sealed.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            assert!(
                keys.open("k", &bytes).is_err(),
                "a change at {at} went unseen"
            );
        }
        for value in [
            "",
            "pb1",
            "pb1:k1",
            "pb2:k1:AAAA",
            "pb1:k1:",
            "pb1:k 1:AAAA",
        ] {
            assert!(keys.open("k", value.as_bytes()).is_err(), "{value:?}");
        }
    }
}
