//! docs/reference.md is the reference generated from the types.

// Tests read the fixture files; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]

use patchbay_schema::reference::{REGENERATE, reference_markdown};

#[test]
fn the_reference_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reference.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == reference_markdown(),
        "docs/reference.md is stale; regenerate it with:\n    {REGENERATE}"
    );
}

#[test]
fn every_field_of_the_format_is_documented() {
    let reference = reference_markdown();
    for field in [
        "`token_url`",
        "`authorize_url`",
        "`client_auth`",
        "`client_type`",
        "`pkce`",
        "`scope_separator`",
        "`basic_encoding`",
        "`token_response`",
        "`capture`",
        "`apply`",
        "`pagination`",
        "`rate_limit`",
        "`max_pages`",
        "`records`",
        "`direction`",
        "`entity`",
        "`placeholder`",
        "`advanced`",
    ] {
        assert!(
            reference.contains(field),
            "{field} missing from the reference"
        );
    }
    for tag in [
        "oauth2_authorization_code",
        "token_request",
        "link_header",
        "next_url",
        "raw",
    ] {
        assert!(
            reference.contains(&format!("`type = \"{tag}\"`")),
            "{tag} missing"
        );
    }
}
