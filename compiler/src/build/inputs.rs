//! The inputs of a method's plan: the connector variables its requests
//! use, its live auth variables, and the runtime values it is given.

use std::collections::BTreeSet;

use patchbay_schema::catalog::{self, SECRET_RUNTIME_VALUES};
use patchbay_schema::usage;
use patchbay_schema::{AuthMethod, Spec, Variable, VariableType};

use crate::plan::*;

/// The instance's inputs (connector variables the method's requests use,
/// its live auth variables), then the runtime values its requests use.
pub(super) fn inputs(
    spec: &Spec,
    method: &AuthMethod,
    used: &BTreeSet<String>,
    per_call: &BTreeSet<&str>,
) -> Vec<Input> {
    let mut inputs: Vec<Input> = spec
        .variables
        .iter()
        .filter(|(name, _)| used.contains(name.as_str()))
        .map(|(name, variable)| input(name, variable, None, InputSource::Connector))
        .collect();
    let overrides = method.variables();
    for default in catalog::default_variables(method) {
        if !usage::default_variable_is_live(method, default.name, used) {
            continue;
        }
        let overridden = overrides.and_then(|o| o.get(default.name));
        let base = Variable {
            label: Some(default.label.to_owned()),
            required: Some(default.required),
            ..Variable::of_type(default.kind)
        };
        let merged = overridden.map_or(base.clone(), |o| merge_override(&base, o));
        inputs.push(input(default.name, &merged, None, InputSource::AuthDefault));
    }
    let mut declared: BTreeSet<String> = inputs.iter().map(|i| i.key.clone()).collect();
    for (name, variable) in overrides.into_iter().flatten() {
        if declared.insert(name.clone()) {
            inputs.push(input(name, variable, None, InputSource::Auth));
        }
    }
    for name in used {
        if !declared.contains(name) && !per_call.contains(name.as_str()) {
            inputs.push(runtime_input(name, method));
        }
    }
    inputs
}

/// An override changes only the fields it writes.
fn merge_override(base: &Variable, over: &Variable) -> Variable {
    Variable {
        label: over.label.clone().or_else(|| base.label.clone()),
        kind: over.kind.or(base.kind),
        required: over.required.or(base.required),
        default: over.default.clone().or_else(|| base.default.clone()),
        visible: over.visible.or(base.visible),
        advanced: over.advanced.or(base.advanced),
        description: over
            .description
            .clone()
            .or_else(|| base.description.clone()),
        placeholder: over
            .placeholder
            .clone()
            .or_else(|| base.placeholder.clone()),
        pattern: over.pattern.clone().or_else(|| base.pattern.clone()),
        options: over.options.clone().or_else(|| base.options.clone()),
        minimum: over.minimum.clone().or_else(|| base.minimum.clone()),
        maximum: over.maximum.clone().or_else(|| base.maximum.clone()),
    }
}

pub(super) fn input(
    key: &str,
    variable: &Variable,
    label: Option<&str>,
    provenance: InputSource,
) -> Input {
    let kind = variable.kind.unwrap_or(VariableType::String);
    let secret = kind == VariableType::Secret;
    Input {
        key: key.to_owned(),
        label: variable
            .label
            .as_deref()
            .or(label)
            .unwrap_or(key)
            .to_owned(),
        kind,
        required: variable.required.unwrap_or(false),
        secret,
        // Lint forbids secret defaults; never copy one into a plan anyway.
        default: if secret {
            None
        } else {
            variable.default.clone()
        },
        visible: variable.visible.unwrap_or(true),
        advanced: variable.advanced.unwrap_or(false),
        description: variable.description.clone(),
        placeholder: variable.placeholder.clone(),
        pattern: variable.pattern.clone(),
        options: variable.options.clone(),
        minimum: variable.minimum.clone(),
        maximum: variable.maximum.clone(),
        provenance,
    }
}

fn runtime_input(name: &str, method: &AuthMethod) -> Input {
    let captured = method
        .token_response()
        .and_then(|r| r.capture.get(name))
        .map(|path| format!("captured from the token response at `{path}`"))
        .or_else(|| {
            method
                .authorize_captures()
                .and_then(|captures| captures.get(name))
                .map(|capture| {
                    format!(
                        "captured from the authorization callback's `{}`",
                        capture.param()
                    )
                })
        })
        .or_else(|| {
            let discover = method.discover()?;
            let path = discover.capture.get(name)?;
            Some(format!(
                "discovered after each new login or token at `{path}` of the answer of `{}`",
                discover.url
            ))
        });
    let description = captured.unwrap_or_else(|| {
        match name {
            "redirect_uri" => "the callback URL of this deployment",
            "state" => "a fresh random value per login attempt, checked on the callback",
            "code" => "the authorization code from the callback",
            "code_verifier" => "the PKCE verifier of this login attempt (RFC 7636)",
            "code_challenge" => "the PKCE challenge of this login attempt (RFC 7636)",
            "refresh_token" => "the stored refresh token",
            "access_token" => "the current access token",
            "token" => "the token being revoked",
            "token_type_hint" => "which kind of token is revoked",
            "payload" => "the caller's payload",
            "checkpoint" => {
                "the endpoint's incremental checkpoint: the one passed back, else `initial`"
            }
            "now" => "the time the request is rendered (`now.rfc3339`, `now.rfc3339_ms`, `now.unix`, `now.unix_ms`, `now.http_date`)",
            "request" => "the request's own values: `request.idempotency_key`, a random UUID new per request and kept across its retries",
            "page" => "the position of the page being fetched (`page.number`, `page.offset`, `page.cursor`, `page.size`)",
            _ => "provided by the runtime",
        }
        .to_owned()
    });
    let secret = SECRET_RUNTIME_VALUES.contains(&name);
    Input {
        key: name.to_owned(),
        label: name.to_owned(),
        kind: if secret {
            VariableType::Secret
        } else {
            VariableType::String
        },
        required: false,
        secret,
        default: None,
        visible: false,
        advanced: false,
        description: Some(description),
        placeholder: None,
        pattern: None,
        options: None,
        minimum: None,
        maximum: None,
        provenance: InputSource::Runtime,
    }
}
