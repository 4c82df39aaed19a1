//! No input makes linting panic, and a new user's typical mistakes each give
//! one clear diagnostic.

// Tests read the fixture files; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;

use patchbay_schema::{SourceFile, lint};

fn all_fixture_texts() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut texts = Vec::new();
    for folder in ["connectors", "invalid"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            texts.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
    texts
}

/// Every truncation of every fixture (at a stride, on character
/// boundaries), and every fixture with each line removed in turn: broken
/// files of every shape, none of which may panic.
#[test]
fn truncated_and_damaged_fixtures_never_panic() {
    let mut checked = 0;
    for (name, text) in all_fixture_texts() {
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = lint(&SourceFile::new(name.clone(), &text[..cut]));
                checked += 1;
            }
            cut += 13;
        }
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let damaged: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let _ = lint(&SourceFile::new(name.clone(), damaged.join("\n")));
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} variants checked");
}

#[test]
fn odd_inputs_never_panic() {
    for (name, text) in [
        ("a.toml", ""),
        ("a.json", ""),
        ("a.json", "[]"),
        ("a.json", "null"),
        ("a.json", "\"spec\""),
        ("a.toml", "format = 99999999999999999999"),
        ("a.toml", "format = 1.5e400"),
        ("a.toml", "\u{feff}format = 1"),
        ("a.toml", "[auth.x]\ntype = 7"),
        ("a.toml", "[[auth]]\ntype = \"none\""),
        ("a.toml", "[endpoints.e]\nurl = \"{{\""),
        ("a.toml", "[endpoints.e]\nurl = \"{% for %}\""),
        (
            "a.json",
            "{\"format\": 1, \"auth\": {\"x\": {\"type\": \"basic\", \"variables\": {\"password\": {\"default\": [1]}}}}}",
        ),
    ] {
        let _ = lint(&SourceFile::new(name, text));
    }
}

const HEADER: &str = r#"format = 1
[connector]
id = "shop"
name = "Shop"
version = "1.0.0"

[variables.url]
type = "url"
required = true
"#;

fn only_diagnostic(name: &str, text: &str) -> patchbay_schema::Diagnostic {
    let report = lint(&SourceFile::new(name, text));
    assert_eq!(report.diagnostics.len(), 1, "{:#?}", report.diagnostics);
    report.diagnostics.into_iter().next().unwrap()
}

#[test]
fn a_typo_in_a_field_names_the_field_and_the_fix() {
    let text = format!(
        "{HEADER}\n[auth.cc]\ntype = \"oauth2_client_credentials\"\ntoken_url = \"{{{{ url }}}}/token\"\nuse = [\"url\"]\nclient_auht = \"basic\"\n\n[endpoints.orders]\nurl = \"{{{{ url }}}}/orders\"\n"
    );
    let d = only_diagnostic("shop.toml", &text);
    assert_eq!(d.code, "PB003");
    assert_eq!(d.fix.as_deref(), Some("did you mean `client_auth`?"));
    assert_eq!((d.start.line, d.start.column), (15, 1));
}

#[test]
fn a_template_naming_a_missing_variable_points_at_it() {
    let text = format!(
        "{HEADER}\n[auth.open]\ntype = \"none\"\n\n[endpoints.orders]\nurl = \"{{{{ uri }}}}/orders\"\n"
    );
    let d = only_diagnostic("shop.toml", &text);
    assert_eq!(d.code, "PB102");
    assert_eq!(d.fix.as_deref(), Some("did you mean `url`?"));
    assert_eq!((d.start.line, d.start.column, d.end.column), (15, 8, 17));
}

#[test]
fn malformed_toml_is_one_syntax_error() {
    let text = format!("{HEADER}\n[auth.open\ntype = \"none\"\n");
    let d = only_diagnostic("shop.toml", &text);
    assert_eq!(d.code, "PB001");
    assert_eq!(d.start.line, 11);
}

#[test]
fn a_json_spec_is_linted_like_toml() {
    let text = r#"{
  "format": 1,
  "connector": { "id": "shop", "name": "Shop", "version": "1.0.0" },
  "auth": { "open": { "type": "none" } },
  "endpoints": { "orders": { "method": "FETCH", "url": "https://shop.example.com/orders" } }
}"#;
    let d = only_diagnostic("shop.json", text);
    assert_eq!(d.code, "PB002");
    assert_eq!((d.start.line, d.start.column), (5, 40));
    assert!(d.message.contains("`GET`"), "{}", d.message);
    let valid = text.replace("FETCH", "GET");
    assert!(
        lint(&SourceFile::new("shop.json", valid))
            .diagnostics
            .is_empty()
    );
}

#[test]
fn an_unknown_auth_type_is_one_diagnostic_not_schema_noise() {
    let text = format!(
        "{HEADER}\n[auth.cc]\ntype = \"oauth2_clientcredentials\"\ntoken_url = \"https://x.example/token\"\n"
    );
    let d = only_diagnostic("shop.toml", &text);
    assert_eq!(d.code, "PB002");
    assert_eq!(
        d.fix.as_deref(),
        Some("did you mean `oauth2_client_credentials`?")
    );
}

#[test]
fn a_missing_required_key_is_reported_at_its_table_header() {
    let d = only_diagnostic(
        "shop.toml",
        "format = 1\n[connector]\nid = \"shop\"\nname = \"Shop\"\n\n[auth.open]\ntype = \"none\"\n",
    );
    assert_eq!(d.code, "PB002");
    assert!(d.message.contains("`version`"));
    assert_eq!((d.start.line, d.start.column), (2, 2));
    let top = only_diagnostic(
        "shop.toml",
        "[connector]\nid = \"shop\"\nname = \"Shop\"\nversion = \"1.0.0\"\n[auth.open]\ntype = \"none\"\n",
    );
    assert_eq!((top.start.line, top.start.column), (1, 1));
}

#[test]
fn a_secret_default_is_never_in_the_diagnostic() {
    let text = format!(
        "{HEADER}\n[auth.key]\ntype = \"api_key\"\nname = \"X-Key\"\n[auth.key.variables.api_key]\ndefault = \"sk_live_SENTINEL\"\n\n[endpoints.orders]\nurl = \"{{{{ url }}}}/orders\"\n"
    );
    let report = lint(&SourceFile::new("shop.toml", text));
    let d = &report.diagnostics[0];
    assert_eq!(d.code, "PB201");
    assert!(d.sensitive);
    let shown = format!("{:?}", report.diagnostics);
    assert!(!shown.contains("SENTINEL"), "{shown}");
}

#[test]
fn a_file_that_is_not_a_spec_gets_one_diagnostic() {
    let instance = "connector = \"shop\"\nauth = \"cc\"\n[values]\nurl = \"https://x.example\"\n";
    let d = only_diagnostic("shop.instance.toml", instance);
    assert_eq!(d.code, "PB002");
    assert!(d.message.contains("not a connector spec"), "{}", d.message);
    assert_eq!((d.start.line, d.start.column), (1, 1));
    let cargo = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n";
    assert!(
        only_diagnostic("Cargo.toml", cargo)
            .message
            .contains("not a connector spec")
    );
}

/// Every truncation and every one-line removal of every instance fixture,
/// linted as an instance against a connector of each fixture's id: none
/// may panic.
#[test]
fn truncated_and_damaged_instances_never_panic() {
    use patchbay_schema::VariableType;
    use patchbay_schema::instance::{ExpectedInput, InstanceTarget, lint_instance};

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let inputs: Vec<ExpectedInput<'_>> = [
        ("url", VariableType::Url, Some("https://.*")),
        ("base", VariableType::Url, None),
        ("client_secret", VariableType::Secret, None),
        ("scope", VariableType::String, Some("[a-z .]+")),
        ("page_size", VariableType::Integer, None),
    ]
    .into_iter()
    .map(|(key, kind, pattern)| ExpectedInput {
        key,
        label: key,
        kind,
        required: true,
        secret: kind == VariableType::Secret,
        pattern,
        options: None,
        minimum: None,
        maximum: None,
        list_separator: Some(" "),
    })
    .collect();
    let mut checked = 0;
    for folder in ["instances", "invalid-instances"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("connector = \""))
                .map(|rest| rest.trim_end_matches('"').to_owned())
                .unwrap_or_default();
            let auth = text
                .lines()
                .find_map(|l| l.strip_prefix("auth = \""))
                .map(|rest| rest.trim_end_matches('"').to_owned())
                .unwrap_or_default();
            let targets = [InstanceTarget {
                id: &id,
                methods: Some(vec![(auth.as_str(), inputs.clone())]),
            }];
            let mut variants: Vec<String> = (0..text.len())
                .step_by(7)
                .filter(|&cut| text.is_char_boundary(cut))
                .map(|cut| text[..cut].to_owned())
                .collect();
            let lines: Vec<&str> = text.lines().collect();
            for skip in 0..lines.len() {
                let mut damaged = lines.clone();
                damaged.remove(skip);
                variants.push(damaged.join("\n"));
            }
            for variant in variants {
                let _ = lint_instance(&SourceFile::new(name.clone(), variant), &targets);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} variants checked");
}
