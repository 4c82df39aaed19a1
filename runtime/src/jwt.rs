//! Signed JWT assertions (RFC 7523): the grant of `oauth2_jwt_bearer` and
//! client assertions (`private_key_jwt`, `client_secret_jwt`), made anew
//! for every request that carries one.
//!
//! Signing uses aws-lc-rs, the library rustls already brings for TLS, so
//! the runtime holds one cryptographic implementation; keys are read from
//! PEM by rustls-pki-types. A key is a secret: no message here quotes it,
//! nor anything derived from it.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use patchbay_compiler::plan::AssertionPlan;
use patchbay_schema::JwtAlgorithm;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::render::{Context, Renderer};
use crate::secret::{Redactor, Secret};

/// A signing key, read from an instance value.
pub(crate) struct SigningKey {
    kind: KeyKind,
    /// The `private_key_id` of a Google service-account key file: the
    /// `kid` when the spec writes none.
    key_id: Option<String>,
}

enum KeyKind {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Hmac(Vec<u8>),
}

/// The PEM of a private key and the id a key file gives it: the value is a
/// PEM, or a Google service-account key file (JSON) holding one.
fn pem_of(value: &str) -> Result<(String, Option<String>), String> {
    let trimmed = value.trim_start();
    if !trimmed.starts_with('{') {
        return Ok((value.to_owned(), None));
    }
    // serde_json's messages name a position, never the text.
    let file: Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("it starts like a JSON key file but is not JSON ({e})"))?;
    let pem = file
        .get("private_key")
        .and_then(Value::as_str)
        .ok_or("it is JSON but has no `private_key` string: give a Google service-account key file (type `service_account`) or a PEM")?;
    let key_id = file
        .get("private_key_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((pem.to_owned(), key_id))
}

impl SigningKey {
    /// Reads the key of `algorithm` from an instance value. The message of
    /// an error says what is wrong with it without quoting it.
    pub(crate) fn read(algorithm: JwtAlgorithm, value: &str) -> Result<Self, String> {
        if algorithm == JwtAlgorithm::HS256 {
            if value.is_empty() {
                return Err("it is empty: HS256 needs the client secret".to_owned());
            }
            return Ok(SigningKey {
                kind: KeyKind::Hmac(value.as_bytes().to_vec()),
                key_id: None,
            });
        }
        let (pem, key_id) = pem_of(value)?;
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            "it is not a PEM private key (`-----BEGIN PRIVATE KEY-----`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`) nor a Google service-account key file".to_owned()
        })?;
        let kind = match (algorithm, &der) {
            (JwtAlgorithm::RS256, PrivateKeyDer::Pkcs8(der)) => {
                RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).map(KeyKind::Rsa)
            }
            (JwtAlgorithm::RS256, PrivateKeyDer::Pkcs1(der)) => {
                RsaKeyPair::from_der(der.secret_pkcs1_der()).map(KeyKind::Rsa)
            }
            (JwtAlgorithm::ES256, PrivateKeyDer::Pkcs8(der)) => EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                der.secret_pkcs8_der(),
            )
            .map(KeyKind::Ec),
            (JwtAlgorithm::ES256, PrivateKeyDer::Sec1(der)) => EcdsaKeyPair::from_private_key_der(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                der.secret_sec1_der(),
            )
            .map(KeyKind::Ec),
            (JwtAlgorithm::RS256, _) => {
                return Err("it is an EC key, but the assertion's algorithm is RS256: give an RSA key or set `algorithm = \"ES256\"`".to_owned());
            }
            (_, _) => {
                return Err("it is not a P-256 EC key, which ES256 needs: give one or set `algorithm = \"RS256\"` for an RSA key".to_owned());
            }
        }
        .map_err(|rejected| {
            format!(
                "the key is not a usable {} key ({rejected}); RS256 needs an RSA key of 2048 bits or more, ES256 a P-256 key",
                algorithm.as_str()
            )
        })?;
        Ok(SigningKey { kind, key_id })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match &self.kind {
            KeyKind::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| "the RSA signature failed".to_owned())?;
                Ok(signature)
            }
            KeyKind::Ec(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| "the ECDSA signature failed".to_owned()),
            KeyKind::Hmac(secret) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret)
                    .map_err(|_| "the HMAC key was refused".to_owned())?;
                mac.update(message);
                Ok(mac.finalize().into_bytes().to_vec())
            }
        }
    }
}

/// A fresh `jti`: 128 random bits, base64url.
fn jwt_id() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| "the system gave no randomness for a `jti`")?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Signs an assertion now: the plan's claims rendered with `context`, then
/// `iat`, `exp` and a fresh `jti`. `Err` names the part that failed.
pub(crate) fn sign(
    plan: &AssertionPlan,
    renderer: &Renderer,
    context: &Context,
) -> Result<Secret, (String, String)> {
    let key_value = match context.get(&plan.key) {
        Some(Value::String(text)) => text.as_str(),
        _ => "",
    };
    let key = SigningKey::read(plan.algorithm.value, key_value)
        .map_err(|message| (format!("key `{}`", plan.key), message))?;
    let mut claims = Map::new();
    for claim in &plan.claims {
        let value = renderer
            .text(&claim.template, context)
            .map_err(|message| (format!("claim `{}`", claim.name), message))?;
        if !(claim.omit_if_empty && value.is_empty()) {
            claims.insert(claim.name.clone(), Value::String(value));
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), now.saturating_add(plan.lifetime.value).into());
    claims.insert(
        "jti".into(),
        jwt_id().map_err(|m| ("claim `jti`".to_owned(), m))?.into(),
    );
    let mut header = Map::new();
    header.insert("alg".into(), plan.algorithm.value.as_str().into());
    header.insert("typ".into(), "JWT".into());
    let key_id = match &plan.key_id {
        Some(template) => Some(
            renderer
                .text(template, context)
                .map_err(|message| ("key id".to_owned(), message))?,
        ),
        None => key.key_id.clone(),
    };
    if let Some(key_id) = key_id.filter(|k| !k.is_empty()) {
        header.insert("kid".into(), key_id.into());
    }
    let encode = |object: &Map<String, Value>| {
        URL_SAFE_NO_PAD.encode(Value::Object(object.clone()).to_string())
    };
    let signing_input = format!("{}.{}", encode(&header), encode(&claims));
    let signature = key
        .sign(signing_input.as_bytes())
        .map_err(|message| (format!("key `{}`", plan.key), message))?;
    Ok(Secret::new(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

/// Teaches the redactor the private key a Google key file holds (the file
/// itself is the instance's secret; its PEM, unescaped, is another text).
pub(crate) fn add_key_material(value: &str, redactor: &mut Redactor) {
    if let Ok((pem, _)) = pem_of(value)
        && pem != value
    {
        redactor.add(&Secret::new(pem));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_one_is_a_message_that_does_not_quote_it() {
        let sentinel = "SENTINEL-not-a-key-material";
        for algorithm in [JwtAlgorithm::RS256, JwtAlgorithm::ES256] {
            let Err(message) = SigningKey::read(algorithm, sentinel) else {
                panic!("read a key from garbage");
            };
            assert!(!message.contains("SENTINEL"), "{message}");
            let file = format!(r#"{{"type": "service_account", "private_key": "{sentinel}"}}"#);
            let Err(message) = SigningKey::read(algorithm, &file) else {
                panic!("read a key from garbage");
            };
            assert!(!message.contains("SENTINEL"), "{message}");
            let Err(message) = SigningKey::read(algorithm, &format!("{{{sentinel}")) else {
                panic!("read a key from broken JSON");
            };
            assert!(!message.contains("SENTINEL"), "{message}");
        }
    }

    fn claims_of(jwt: &str) -> (Value, Value) {
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "{jwt}");
        let decode = |part: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        (decode(parts[0]), decode(parts[1]))
    }

    #[test]
    fn an_assertion_carries_the_rendered_claims_and_fresh_times_and_ids() {
        use patchbay_compiler::plan::{ClaimPlan, EntrySource, Sourced};
        let claim = |name: &str, template: &str, omit_if_empty: bool| ClaimPlan {
            name: name.to_owned(),
            template: template.to_owned(),
            omit_if_empty,
            provenance: EntrySource::Default,
        };
        let plan = AssertionPlan {
            algorithm: Sourced {
                value: JwtAlgorithm::HS256,
                provenance: EntrySource::Default,
            },
            key: "client_secret".to_owned(),
            key_id: Some("{{ client_id }}-key".to_owned()),
            lifetime: Sourced {
                value: 90,
                provenance: EntrySource::Spec,
            },
            claims: vec![
                claim("iss", "{{ client_id }}", false),
                claim("sub", "{{ subject }}", true),
                claim("aud", "https://auth.example.com/token", false),
            ],
        };
        let mut context = Context::default();
        context.set("client_id", Value::String("c-1".into()));
        context.set("subject", Value::String(String::new()));
        context.set(
            "client_secret",
            Value::String("a-secret-of-some-length".into()),
        );
        let context = context.into_base();
        let renderer = Renderer::new();
        let first = sign(&plan, &renderer, &context).unwrap();
        let second = sign(&plan, &renderer, &context).unwrap();
        let (header, claims) = claims_of(first.expose());
        assert_eq!(
            header,
            serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": "c-1-key" })
        );
        assert_eq!(claims["iss"], "c-1");
        assert_eq!(claims["aud"], "https://auth.example.com/token");
        assert!(
            claims.get("sub").is_none(),
            "an empty optional claim is left out"
        );
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert_eq!(exp - iat, 90);
        let (_, again) = claims_of(second.expose());
        assert_ne!(claims["jti"], again["jti"], "a new jti per assertion");
    }

    #[test]
    fn hs256_is_rfc_7515_appendix_a1s_mac() {
        // RFC 7515 §A.1's key and signing input give its signature.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let signer = SigningKey {
            kind: KeyKind::Hmac(key),
            key_id: None,
        };
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).unwrap()),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }
}
