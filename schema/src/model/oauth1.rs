//! OAuth 1.0a request signing (RFC 5849): every endpoint request carries
//! its own signature, made from the consumer's and the token's secrets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::auth::AuthCommon;

/// `type = "oauth1"`: each endpoint request is signed (RFC 5849 §3) with
/// the consumer key and secret and the token and its secret, and carries
/// `Authorization: OAuth realm="…", oauth_consumer_key="…", …`. The
/// signature covers the method, the URL, its query and a form body, as
/// sent (next pages and retries included); nonce and timestamp are new
/// for every request sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth1Auth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// How requests are signed: the API names one (NetSuite accepts only
    /// `HMAC-SHA256`).
    pub signature_method: SignatureMethod,
    /// The `realm` of the `Authorization` header (template), e.g.
    /// NetSuite's account id `{{ account_id }}`; absent: none is sent. It
    /// is not part of the signature (RFC 5849 §3.4.1.3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
}

/// An OAuth 1.0a signature method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SignatureMethod {
    /// HMAC-SHA-256 of the signature base string (NetSuite, Magento).
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    /// HMAC-SHA-1 of the signature base string (RFC 5849 §3.4.2).
    #[serde(rename = "HMAC-SHA1")]
    HmacSha1,
    /// The secrets themselves as the signature (RFC 5849 §3.4.4): for TLS
    /// only.
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
}

impl SignatureMethod {
    /// The name sent as `oauth_signature_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::Plaintext => "PLAINTEXT",
        }
    }
}
