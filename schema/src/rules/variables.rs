//! Every variable declaration in a spec, with its effective type, for the
//! rules about variables.

use crate::catalog::default_variables;
use crate::document::pointer_push;
use crate::model::{Variable, VariableType};

/// A declared (or overridden) variable.
#[derive(Debug)]
pub(crate) struct VariableSite<'a> {
    pub(super) name: &'a str,
    pub(super) pointer: String,
    pub(super) variable: &'a Variable,
    /// The type, with an override's default type filled in.
    pub(super) kind: VariableType,
    /// Whether an instance must supply it.
    pub(super) required: bool,
}

impl VariableSite<'_> {
    pub(super) fn field(&self, field: &str) -> String {
        pointer_push(&self.pointer, field)
    }
}

pub(crate) fn all<'a>(spec: &'a crate::model::Spec) -> Vec<VariableSite<'a>> {
    let mut sites = Vec::new();
    let mut push =
        |table: String, name: &'a str, variable: &'a Variable, default_kind, default_required| {
            sites.push(VariableSite {
                name,
                pointer: pointer_push(&table, name),
                variable,
                kind: variable.kind.unwrap_or(default_kind),
                required: variable.required.unwrap_or(default_required),
            });
        };
    for (name, variable) in &spec.variables {
        push(
            "/variables".to_owned(),
            name,
            variable,
            VariableType::String,
            false,
        );
    }
    for (key, method) in &spec.auth {
        let defaults = default_variables(method);
        let table = pointer_push(&pointer_push("/auth", key), "variables");
        for (name, variable) in method.variables().into_iter().flatten() {
            let default = defaults.iter().find(|d| d.name == name);
            push(
                table.clone(),
                name,
                variable,
                default.map_or(VariableType::String, |d| d.kind),
                default.is_some_and(|d| d.required),
            );
        }
    }
    for (key, endpoint) in &spec.endpoints {
        let table = pointer_push(&pointer_push("/endpoints", key), "variables");
        for (name, variable) in &endpoint.variables {
            push(table.clone(), name, variable, VariableType::String, false);
        }
    }
    sites
}
