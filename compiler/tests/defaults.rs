//! The defaults of each auth type, exactly as the design's table says, and
//! how overrides and removals change them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use patchbay_compiler::compile_source;
use patchbay_compiler::plan::{
    BodyPlan, ComputedValue, EntrySource, EntryValue, InputSource, MethodPlan, PlanEntry,
    RequestPlan,
};
use patchbay_schema::{BasicEncoding, SourceFile};

const CONNECTOR: &str = "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n";

fn method(auth: &str) -> MethodPlan {
    let file = SourceFile::new("x.toml", format!("{CONNECTOR}{auth}"));
    let plan = compile_source(&file).unwrap_or_else(|e| panic!("{e}")).plan;
    plan.methods.into_values().next().unwrap()
}

/// `name=value (provenance)` for each entry.
fn entries(entries: &[PlanEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let value = match &e.value {
                EntryValue::Literal(text) | EntryValue::Template(text) => text.clone(),
                EntryValue::Computed(ComputedValue::ClientBasicAuth { encoding }) => {
                    format!("<client basic, {encoding:?}>")
                }
                EntryValue::Computed(ComputedValue::UserBasicAuth { .. }) => {
                    "<user basic>".to_owned()
                }
                EntryValue::Computed(ComputedValue::OAuth1Signature {
                    signature_method,
                    realm,
                }) => format!("<oauth1 {signature_method:?}, realm {realm:?}>"),
                EntryValue::Computed(ComputedValue::JwtAssertion(a)) => {
                    let claims: Vec<String> = a
                        .claims
                        .iter()
                        .map(|c| {
                            let omit = if c.omit_if_empty { "?" } else { "" };
                            format!("{}{omit}={}", c.name, c.template)
                        })
                        .collect();
                    format!(
                        "<{:?} by {}, {} s: {}>",
                        a.algorithm.value,
                        a.key,
                        a.lifetime.value,
                        claims.join(", ")
                    )
                }
            };
            let provenance = match e.provenance {
                EntrySource::Default => "default",
                EntrySource::Spec => "spec",
                EntrySource::Apply => "apply",
                EntrySource::Connector => "connector",
            };
            format!(
                "{}={value} ({provenance}){}",
                e.name,
                if e.omit_if_empty {
                    " omit-if-empty"
                } else {
                    ""
                }
            )
        })
        .collect()
}

fn form(request: &RequestPlan) -> Vec<String> {
    match &request.body {
        Some(BodyPlan::Form { fields }) => entries(fields),
        other => panic!("expected a form body, got {other:?}"),
    }
}

#[test]
fn client_credentials_token_request() {
    let m = method(
        "[auth.cc]\ntype = \"oauth2_client_credentials\"\ntoken_url = \"https://x.example/token\"\n",
    );
    let token = m.requests.token.as_ref().unwrap();
    assert_eq!(token.method.provenance, EntrySource::Default);
    assert_eq!(
        entries(&token.headers),
        ["Content-Type=application/x-www-form-urlencoded (default)"]
    );
    assert_eq!(
        form(token),
        [
            "grant_type=client_credentials (default)",
            "scope={{ scope }} (default) omit-if-empty",
            "client_id={{ client_id }} (default)",
            "client_secret={{ client_secret }} (default)",
        ]
    );
    assert_eq!(
        entries(&m.apply.headers),
        ["Authorization=Bearer {{ access_token }} (apply)"]
    );
    let inputs: Vec<(&str, InputSource, bool)> = m
        .inputs
        .iter()
        .map(|i| (i.key.as_str(), i.provenance, i.secret))
        .collect();
    assert_eq!(
        inputs,
        [
            ("client_id", InputSource::AuthDefault, false),
            ("client_secret", InputSource::AuthDefault, true),
            ("scope", InputSource::AuthDefault, false),
        ]
    );
}

fn input_keys(m: &MethodPlan) -> Vec<(&str, bool)> {
    m.inputs
        .iter()
        .map(|i| (i.key.as_str(), i.secret))
        .collect()
}

#[test]
fn jwt_bearer_token_request_signs_an_assertion_of_the_grant() {
    let m = method(
        "[auth.sa]\ntype = \"oauth2_jwt_bearer\"\ntoken_url = \"https://x.example/token\"\n",
    );
    let token = m.requests.token.as_ref().unwrap();
    assert_eq!(
        form(token),
        [
            "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (default)",
            "assertion=<RS256 by private_key, 60 s: iss={{ issuer }}, sub?={{ subject }}, aud=https://x.example/token, scope?={{ scope }}> (default)",
        ]
    );
    assert_eq!(
        token.variables,
        ["issuer", "private_key", "scope", "subject"]
    );
    assert!(m.client.as_ref().unwrap().authentication.is_none());
    assert_eq!(
        input_keys(&m),
        [
            ("issuer", false),
            ("subject", false),
            ("private_key", true),
            ("scope", false),
        ]
    );
}

#[test]
fn written_claims_replace_remove_and_add_to_the_defaults() {
    let m = method(
        r#"[auth.sf]
type = "oauth2_jwt_bearer"
token_url = "https://login.x.example/services/oauth2/token"
assertion = { algorithm = "ES256", lifetime = 180, claims = { aud = "https://login.x.example", scope = false, box_sub_type = "enterprise" } }
"#,
    );
    assert_eq!(
        form(m.requests.token.as_ref().unwrap())[1],
        "assertion=<ES256 by private_key, 180 s: iss={{ issuer }}, sub?={{ subject }}, aud=https://login.x.example, box_sub_type=enterprise> (default)"
    );
    // No claim uses `scope` any more: it leaves the instance form.
    assert!(!m.inputs.iter().any(|i| i.key == "scope"));
}

#[test]
fn client_assertions_replace_the_secret_in_every_client_request() {
    let m = method(
        r#"[auth.code]
type = "oauth2_authorization_code"
authorize_url = "https://x.example/authorize"
token_url = "https://x.example/token"
revoke_url = "https://x.example/revoke"
client_auth = "private_key_jwt"
"#,
    );
    let requests = &m.requests;
    for request in [&requests.token, &requests.refresh, &requests.revoke] {
        let fields = form(request.as_ref().unwrap());
        assert_eq!(
            fields[fields.len() - 2..],
            [
                "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer (default)",
                "client_assertion=<RS256 by private_key, 60 s: iss={{ client_id }}, sub={{ client_id }}, aud=https://x.example/token> (default)",
            ]
        );
    }
    assert_eq!(
        input_keys(&m)[..3],
        [
            ("client_id", false),
            ("private_key", true),
            ("scope", false)
        ]
    );

    let m = method(
        "[auth.cc]\ntype = \"oauth2_client_credentials\"\ntoken_url = \"https://x.example/token\"\nclient_auth = \"client_secret_jwt\"\n",
    );
    assert_eq!(
        form(m.requests.token.as_ref().unwrap())[3],
        "client_assertion=<HS256 by client_secret, 60 s: iss={{ client_id }}, sub={{ client_id }}, aud=https://x.example/token> (default)"
    );
    assert_eq!(
        input_keys(&m),
        [
            ("client_id", false),
            ("client_secret", true),
            ("scope", false)
        ]
    );
}

#[test]
fn client_credentials_with_basic_client_authentication() {
    let m = method(
        "[auth.cc]\ntype = \"oauth2_client_credentials\"\ntoken_url = \"https://x.example/token\"\nclient_auth = \"basic\"\nbasic_encoding = \"raw\"\n",
    );
    let token = m.requests.token.as_ref().unwrap();
    assert_eq!(
        entries(&token.headers),
        [
            "Content-Type=application/x-www-form-urlencoded (default)",
            "Authorization=<client basic, Raw> (default)"
        ]
    );
    assert_eq!(
        form(token),
        [
            "grant_type=client_credentials (default)",
            "scope={{ scope }} (default) omit-if-empty"
        ]
    );
    assert_eq!(token.variables, ["client_id", "client_secret", "scope"]);
    assert_eq!(
        m.client.unwrap().basic_encoding.map(|e| e.value),
        Some(BasicEncoding::Raw)
    );
}

#[test]
fn a_new_user_overrides_a_header_and_removes_scope() {
    let m = method(
        r#"[auth.cc]
type = "oauth2_client_credentials"
token_url = "https://x.example/token"
[auth.cc.token_request]
headers = { content-type = "application/x-www-form-urlencoded; charset=utf-8", Accept = "application/json" }
body = { type = "form", content = { scope = false, audience = "https://api.x.example" } }
"#,
    );
    let token = m.requests.token.as_ref().unwrap();
    assert_eq!(
        entries(&token.headers),
        [
            "content-type=application/x-www-form-urlencoded; charset=utf-8 (spec)",
            "Accept=application/json (spec)",
        ]
    );
    assert_eq!(
        form(token),
        [
            "grant_type=client_credentials (default)",
            "client_id={{ client_id }} (default)",
            "client_secret={{ client_secret }} (default)",
            "audience=https://api.x.example (spec)",
        ]
    );
    // Nothing refers to `scope` any more: it is no longer an input.
    assert!(!m.inputs.iter().any(|i| i.key == "scope"));
}

const AUTHORIZATION_CODE: &str = "[auth.ac]\ntype = \"oauth2_authorization_code\"\nauthorize_url = \"https://x.example/authorize\"\ntoken_url = \"https://x.example/token\"\n";

#[test]
fn authorization_code_confidential_client() {
    let m = method(AUTHORIZATION_CODE);
    let requests = &m.requests;
    assert_eq!(
        entries(&requests.authorize.as_ref().unwrap().query),
        [
            "response_type=code (default)",
            "client_id={{ client_id }} (default)",
            "redirect_uri={{ redirect_uri }} (default)",
            "scope={{ scope }} (default) omit-if-empty",
            "state={{ state }} (default)",
            "code_challenge={{ code_challenge }} (default)",
            "code_challenge_method=S256 (default)",
        ]
    );
    let token = requests.token.as_ref().unwrap();
    assert_eq!(
        entries(&token.headers),
        [
            "Content-Type=application/x-www-form-urlencoded (default)",
            "Authorization=<client basic, Form> (default)"
        ]
    );
    assert_eq!(
        form(token),
        [
            "grant_type=authorization_code (default)",
            "code={{ code }} (default)",
            "redirect_uri={{ redirect_uri }} (default)",
            "code_verifier={{ code_verifier }} (default)",
        ]
    );
    let refresh = requests.refresh.as_ref().unwrap();
    assert_eq!(entries(&refresh.headers), entries(&token.headers));
    assert_eq!(
        form(refresh),
        [
            "grant_type=refresh_token (default)",
            "refresh_token={{ refresh_token }} (default)"
        ]
    );
    let runtime: Vec<&str> = m
        .inputs
        .iter()
        .filter(|i| i.provenance == InputSource::Runtime)
        .map(|i| i.key.as_str())
        .collect();
    assert_eq!(
        runtime,
        [
            "code",
            "code_challenge",
            "code_verifier",
            "redirect_uri",
            "refresh_token",
            "state"
        ]
    );
}

#[test]
fn authorization_code_public_client() {
    let m = method(&format!("{AUTHORIZATION_CODE}client_type = \"public\"\n"));
    let token = m.requests.token.as_ref().unwrap();
    assert_eq!(
        entries(&token.headers),
        ["Content-Type=application/x-www-form-urlencoded (default)"]
    );
    assert_eq!(
        form(token),
        [
            "grant_type=authorization_code (default)",
            "code={{ code }} (default)",
            "redirect_uri={{ redirect_uri }} (default)",
            "code_verifier={{ code_verifier }} (default)",
            "client_id={{ client_id }} (default)",
        ]
    );
    assert_eq!(
        form(m.requests.refresh.as_ref().unwrap()),
        [
            "grant_type=refresh_token (default)",
            "refresh_token={{ refresh_token }} (default)",
            "client_id={{ client_id }} (default)",
        ]
    );
    assert!(!m.inputs.iter().any(|i| i.key == "client_secret"));
    assert_eq!(m.client.unwrap().authentication, None);
}

#[test]
fn pkce_can_be_turned_off_and_body_client_auth_chosen() {
    let m = method(&format!(
        "{AUTHORIZATION_CODE}pkce = \"none\"\nclient_auth = \"body\"\n"
    ));
    let authorize = entries(&m.requests.authorize.as_ref().unwrap().query);
    assert!(!authorize.iter().any(|e| e.starts_with("code_challenge")));
    assert_eq!(
        form(m.requests.token.as_ref().unwrap()),
        [
            "grant_type=authorization_code (default)",
            "code={{ code }} (default)",
            "redirect_uri={{ redirect_uri }} (default)",
            "client_id={{ client_id }} (default)",
            "client_secret={{ client_secret }} (default)",
        ]
    );
}

#[test]
fn key_based_methods_apply_their_credential() {
    let basic = method("[auth.b]\ntype = \"basic\"\n");
    assert_eq!(
        entries(&basic.apply.headers),
        ["Authorization=<user basic> (apply)"]
    );
    let key = method("[auth.k]\ntype = \"api_key\"\nin = \"query\"\nname = \"api_token\"\n");
    assert_eq!(
        entries(&key.apply.query),
        ["api_token={{ api_key }} (apply)"]
    );
    let prefixed =
        method("[auth.k]\ntype = \"api_key\"\nname = \"Authorization\"\nprefix = \"Token \"\n");
    assert_eq!(
        entries(&prefixed.apply.headers),
        ["Authorization=Token {{ api_key }} (apply)"]
    );
    let bearer = method(
        "[auth.t]\ntype = \"bearer\"\n[auth.t.apply]\nheaders = { X-Shopify-Access-Token = \"{{ token }}\" }\n",
    );
    assert_eq!(
        entries(&bearer.apply.headers),
        ["X-Shopify-Access-Token={{ token }} (apply)"]
    );
}

#[test]
fn an_endpoint_response_limit_is_the_specs_or_the_default() {
    let m = method(
        r#"[auth.t]
type = "bearer"
[endpoints.export]
url = "https://x.example/export"
response = { max_bytes = 268435456 }
[endpoints.list]
url = "https://x.example/list"
"#,
    );
    let export = &m.endpoints["export"].response.max_bytes;
    assert_eq!(
        (export.value, export.provenance),
        (268_435_456, EntrySource::Spec)
    );
    let list = &m.endpoints["list"].response.max_bytes;
    assert_eq!(
        (list.value, list.provenance),
        (
            patchbay_compiler::plan::DEFAULT_MAX_RESPONSE_BYTES,
            EntrySource::Default
        )
    );
}
