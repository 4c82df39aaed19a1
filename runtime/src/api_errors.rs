//! Errors an API declares inside a 2xx answer (Slack's `ok: false`,
//! GraphQL's `errors`): whether a body says it failed, with which code
//! and message, and whether that code asks for a retry or a new token.

use patchbay_compiler::plan::ErrorsPlan;
use serde_json::Value;

use crate::token::at_path;

/// What the runtime does with a declared failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureClass {
    /// A code of `retry`: sent again like an HTTP 429.
    Retry,
    /// A code of `reauth`: the token is no longer valid, as on an HTTP 401.
    Reauth,
    /// Any other failure: returned to the caller.
    Fail,
}

/// A 2xx answer whose body says it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    /// The API's code, when the declaration names where it is.
    pub(crate) code: Option<String>,
    /// The API's message, unredacted and whole: the caller redacts and
    /// cuts it before it is shown.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) class: FailureClass,
}

/// The failure a JSON body declares, or `None` when it says nothing failed.
pub(crate) fn classify(plan: &ErrorsPlan, body: &Value) -> Option<ApiFailure> {
    let shown = at_path(body, &plan.path);
    let failed = match &plan.equals {
        Some(expected) => shown == Some(expected),
        None => shown.is_some_and(is_set),
    };
    if !failed {
        return None;
    }
    let code = plan
        .code
        .as_deref()
        .and_then(|path| at_path(body, path))
        .and_then(scalar_text);
    let message = at_path(body, &plan.message.value)
        .filter(|value| is_set(value))
        .map(|value| scalar_text(value).unwrap_or_else(|| value.to_string()))
        .or_else(|| code.clone())
        .unwrap_or_else(|| format!("the answer's `{}` says the request failed", plan.path));
    let class = match &code {
        Some(code) if plan.retry.contains(code) => FailureClass::Retry,
        Some(code) if plan.reauth.contains(code) => FailureClass::Reauth,
        _ => FailureClass::Fail,
    };
    Some(ApiFailure {
        code,
        message,
        class,
    })
}

/// Whether a value says something: not `null`, `false`, `""`, `[]` or `{}`.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        Value::Bool(true) | Value::Number(_) => true,
    }
}

/// A string or number as text (a code may be either: GraphQL servers
/// send strings, some REST APIs numbers).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_compiler::plan::{EntrySource, Sourced};
    use serde_json::json;

    fn slack() -> ErrorsPlan {
        ErrorsPlan {
            path: "/ok".into(),
            equals: Some(json!(false)),
            code: Some("/error".into()),
            message: Sourced {
                value: "/error".into(),
                provenance: EntrySource::Default,
            },
            retry: vec!["ratelimited".into()],
            reauth: vec!["invalid_auth".into()],
        }
    }

    fn graphql() -> ErrorsPlan {
        ErrorsPlan {
            path: "/errors".into(),
            equals: None,
            code: Some("/errors/0/extensions/code".into()),
            message: Sourced {
                value: "/errors/0/message".into(),
                provenance: EntrySource::Spec,
            },
            retry: vec!["THROTTLED".into()],
            reauth: vec![],
        }
    }

    #[test]
    fn a_value_equal_to_equals_fails_and_any_other_passes() {
        let failure = classify(
            &slack(),
            &json!({"ok": false, "error": "channel_not_found"}),
        );
        assert_eq!(
            failure,
            Some(ApiFailure {
                code: Some("channel_not_found".into()),
                message: "channel_not_found".into(),
                class: FailureClass::Fail,
            })
        );
        assert_eq!(
            classify(&slack(), &json!({"ok": true, "channels": []})),
            None
        );
        // Absent is not `false`: an answer without `ok` is data.
        assert_eq!(classify(&slack(), &json!({"channels": []})), None);
    }

    #[test]
    fn codes_of_retry_and_reauth_are_classed() {
        let class =
            |code: &str| classify(&slack(), &json!({"ok": false, "error": code})).map(|f| f.class);
        assert_eq!(class("ratelimited"), Some(FailureClass::Retry));
        assert_eq!(class("invalid_auth"), Some(FailureClass::Reauth));
        assert_eq!(class("not_in_channel"), Some(FailureClass::Fail));
    }

    #[test]
    fn without_equals_a_set_value_fails() {
        let throttled =
            json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        let failure = classify(&graphql(), &throttled).unwrap();
        assert_eq!(failure.code.as_deref(), Some("THROTTLED"));
        assert_eq!(failure.message, "Throttled");
        assert_eq!(failure.class, FailureClass::Retry);
        for passing in [
            json!({"data": {}}),
            json!({"errors": []}),
            json!({"errors": null}),
        ] {
            assert_eq!(classify(&graphql(), &passing), None, "{passing}");
        }
    }

    #[test]
    fn a_message_that_is_not_text_is_quoted_as_json_and_a_missing_one_falls_back() {
        let mut plan = graphql();
        plan.code = None;
        plan.message.value = "/errors".into();
        let failure = classify(&plan, &json!({"errors": [{"message": "bad"}]})).unwrap();
        assert_eq!(failure.message, r#"[{"message":"bad"}]"#);
        assert_eq!(failure.class, FailureClass::Fail);
        let mut plan = slack();
        plan.message.value = "/detail".into();
        let failure = classify(&plan, &json!({"ok": false, "error": 429})).unwrap();
        assert_eq!(failure.code.as_deref(), Some("429"));
        assert_eq!(failure.message, "429");
        plan.code = None;
        let failure = classify(&plan, &json!({"ok": false})).unwrap();
        assert_eq!(
            failure.message,
            "the answer's `/ok` says the request failed"
        );
    }
}
