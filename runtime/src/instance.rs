//! Instances: one user's values for one auth method of a connector.
//!
//! ```toml
//! connector = "shopware6"
//! auth = "client_credentials"
//! [values]
//! url = "https://shop.example.com"
//! client_id = "SWIA..."
//! client_secret = { env = "SHOPWARE_CLIENT_SECRET" }   # or { file = "..." }
//! ```

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use patchbay_compiler::Plan;
use patchbay_compiler::plan::{
    BodyPlan, ComputedValue, EntryValue, Input, InputSource, MethodPlan,
};
use patchbay_schema::VariableType;
use patchbay_schema::instance::{
    ValueError, check_value as schema_check_value, joined_list, missing_message,
    unknown_key_message,
};
use patchbay_schema::pattern::compile_pattern;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::render::{Context, Renderer};
use crate::secret::{Redactor, Secret};

/// An instance file as written: which connector and auth method, and
/// where each value comes from. Bind it to a plan with [`Instance::bind`].
///
/// ```
/// use patchbay_runtime::{InstanceFile, ValueSource};
///
/// let file = InstanceFile::parse("shop.instance.toml", r#"
///     connector = "shopware6"
///     auth = "client_credentials"
///
///     [values]
///     base = "https://shop.example.com"
///     client_secret = { env = "SHOPWARE_CLIENT_SECRET" }
/// "#)?;
/// assert_eq!(file.auth, "client_credentials");
/// assert!(matches!(file.values["client_secret"], ValueSource::Env { .. }));
/// # Ok::<(), patchbay_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceFile {
    /// The connector's id.
    pub connector: String,
    /// The auth method's key.
    pub auth: String,
    /// Values, by input key.
    #[serde(default)]
    pub values: IndexMap<String, ValueSource>,
}

/// Where a value comes from.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum ValueSource {
    /// An environment variable.
    Env {
        /// Its name.
        env: String,
    },
    /// A file's contents (trailing line break removed), relative to the
    /// instance file.
    File {
        /// Its path.
        file: PathBuf,
    },
    /// The value itself.
    Value(Value),
}

impl fmt::Debug for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Env { env } => write!(f, "env:{env}"),
            ValueSource::File { file } => write!(f, "file:{}", file.display()),
            // Inline values may be secrets.
            ValueSource::Value(_) => f.write_str("<value>"),
        }
    }
}

impl InstanceFile {
    /// Parses an instance file (JSON by a `.json` name, TOML otherwise).
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let is_json = Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json {
            serde_json::from_str(text).map_err(|e| Error::InstanceFile(format!("{name}: {e}")))
        } else {
            // TOML errors quote the line: only the first line of the
            // message, which names the place, is kept (it may hold a secret).
            toml::from_str(text).map_err(|e| {
                let place = e
                    .span()
                    .map(|s| {
                        let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                        format!(" (line {line})")
                    })
                    .unwrap_or_default();
                Error::InstanceFile(format!(
                    "{name}{place}: {}",
                    e.message().lines().next().unwrap_or_default()
                ))
            })
        }
    }

    /// Reads and parses an instance file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::InstanceFile(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&path.display().to_string(), &text)
    }
}

/// An instance bound to a plan: every value present, typed and checked.
/// Bind an [`InstanceFile`] with [`Instance::bind`], or values a service
/// holds with [`Instance::from_values`]:
///
/// ```
/// use indexmap::IndexMap;
/// use patchbay_runtime::Instance;
/// use patchbay_schema::SourceFile;
/// use serde_json::{Value, json};
///
/// let spec = SourceFile::new("shop.toml", r#"
///     format = 1
///     [connector]
///     id = "shop"
///     name = "Shop"
///     version = "1.0.0"
///
///     [variables.base]
///     type = "url"
///     required = true
///
///     [auth.key]
///     type = "api_key"
///     name = "X-API-Key"
///
///     [endpoints.get_order]
///     url = "{{ base }}/orders/{{ order_id }}"
///
///     [endpoints.get_order.variables.order_id]
///     required = true
/// "#);
/// let plan = patchbay_compiler::compile_source(&spec)?.plan;
/// let values: IndexMap<String, Value> = [
///     ("base".to_owned(), json!("https://shop.example.com")),
///     ("api_key".to_owned(), json!("k-123456")),
/// ]
/// .into();
/// let instance = Instance::from_values(&plan, "key", &plan.methods["key"], values)?;
/// assert_eq!(instance.method(), "key");
/// // Secrets never show in `Debug`.
/// assert!(!format!("{instance:?}").contains("k-123456"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Instance {
    connector: String,
    method: String,
    values: IndexMap<String, Value>,
    secret_keys: BTreeSet<String>,
    url_keys: BTreeSet<String>,
    /// Optional values the instance does not give: they render empty, and
    /// an entry that is exactly one of them is left out.
    absent_keys: BTreeSet<String>,
    redactor: Redactor,
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.values {
            if self.secret_keys.contains(key) {
                map.entry(key, &crate::secret::REDACTED);
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

impl Instance {
    /// Binds an instance file to a plan. `base` is the folder `{ file }`
    /// paths are relative to; `env` reads environment variables.
    ///
    /// Unknown keys, missing required values, type mismatches and values
    /// failing `pattern` are each an error naming the key.
    pub fn bind(
        plan: &Plan,
        file: &InstanceFile,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        if file.connector != plan.connector.id {
            return Err(Error::InstanceFile(format!(
                "the instance is for connector `{}`, but the spec is `{}`",
                file.connector, plan.connector.id
            )));
        }
        let method = plan.methods.get(&file.auth).ok_or_else(|| {
            let known: Vec<&str> = plan.methods.keys().map(String::as_str).collect();
            Error::NotFound(format!(
                "connector `{}` has no auth method `{}`; it has: {}",
                plan.connector.id,
                file.auth,
                known.join(", ")
            ))
        })?;
        let mut given = IndexMap::new();
        for (key, source) in &file.values {
            given.insert(key.clone(), resolve(key, source, base, env)?);
        }
        let mut instance = Self::from_values(plan, &file.auth, method, given)?;
        instance.connector = file.connector.clone();
        Ok(instance)
    }

    /// Binds values given in code to a method of a plan, with the same
    /// checks as [`Instance::bind`].
    pub fn from_values(
        plan: &Plan,
        method_key: &str,
        method: &MethodPlan,
        given: IndexMap<String, Value>,
    ) -> Result<Self> {
        let inputs: Vec<&Input> = method
            .inputs
            .iter()
            .filter(|i| i.provenance != InputSource::Runtime)
            .collect();
        let expected = method.instance_inputs();
        for key in given.keys() {
            if !inputs.iter().any(|i| &i.key == key) {
                return Err(Error::instance(
                    key,
                    unknown_key_message(key, method_key, &expected),
                ));
            }
        }
        let given: IndexMap<String, Value> = given
            .into_iter()
            .map(|(key, value)| {
                let joined = expected
                    .iter()
                    .find(|input| input.key == key)
                    .and_then(|input| joined_list(input, &value));
                (key, joined.unwrap_or(value))
            })
            .collect();
        let mut values = IndexMap::new();
        let mut secret_keys = BTreeSet::new();
        let mut url_keys = BTreeSet::new();
        let mut absent_keys = BTreeSet::new();
        let mut redactor = Redactor::default();
        for input in inputs {
            let value = match given.get(&input.key).or(input.default.as_ref()) {
                Some(value) => value.clone(),
                None if input.required => {
                    return Err(Error::instance(
                        &input.key,
                        missing_message(&input.expected(None), method_key),
                    ));
                }
                // An optional value not given renders empty inside a
                // template, and an entry that is exactly this value is left
                // out (`render::lacks_optional`).
                None => {
                    values.insert(input.key.clone(), Value::String(String::new()));
                    absent_keys.insert(input.key.clone());
                    continue;
                }
            };
            check_value(input, &value, &Patterns::default())?;
            if input.secret {
                secret_keys.insert(input.key.clone());
                if let Some(text) = value.as_str() {
                    redactor.add(&Secret::new(text));
                }
            }
            if input.kind == VariableType::Url {
                url_keys.insert(input.key.clone());
            }
            values.insert(input.key.clone(), value);
        }
        for (user, password) in [("client_id", "client_secret"), ("username", "password")] {
            if let (Some(Value::String(user)), Some(Value::String(password))) =
                (values.get(user), values.get(password))
            {
                redactor.add_basic(user, password);
            }
        }
        add_templated_basic(method, &values, &mut redactor);
        check_assertion_keys(method, &values, &mut redactor)?;
        Ok(Instance {
            connector: plan.connector.id.clone(),
            method: method_key.to_owned(),
            values,
            secret_keys,
            url_keys,
            absent_keys,
            redactor,
        })
    }

    /// The auth method's key.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The connector's id.
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// The bound values (secrets included: do not print them).
    pub fn values(&self) -> &IndexMap<String, Value> {
        &self.values
    }

    /// Keys of `url`-typed values.
    pub(crate) fn url_keys(&self) -> &BTreeSet<String> {
        &self.url_keys
    }

    /// Keys of optional values the instance does not give.
    pub(crate) fn absent_keys(&self) -> &BTreeSet<String> {
        &self.absent_keys
    }

    /// A redactor that knows this instance's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The keys of secret values shorter than 8 bytes, worth a warning:
    /// weak, and too short to be found when a server echoes them.
    pub fn weak_secrets(&self) -> impl Iterator<Item = &str> {
        self.secret_keys
            .iter()
            .filter(|key| {
                self.values
                    .get(*key)
                    .and_then(Value::as_str)
                    .is_some_and(|value| {
                        !value.is_empty() && value.len() < crate::secret::MIN_STRONG_LEN
                    })
            })
            .map(String::as_str)
    }
}

fn resolve(
    key: &str,
    source: &ValueSource,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value> {
    match source {
        ValueSource::Value(value) => Ok(value.clone()),
        ValueSource::Env { env: name } => env(name).map(Value::String).ok_or_else(|| {
            Error::instance(key, format!("environment variable `{name}` is not set"))
        }),
        ValueSource::File { file } => {
            let path = base.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::instance(key, format!("cannot read {}: {e}", path.display()))
            })?;
            Ok(Value::String(
                text.trim_end_matches(['\n', '\r']).to_owned(),
            ))
        }
    }
}

/// Checks a value against its input's type, options and pattern (the
/// schema crate's check, which lint runs on instance files too). Messages
/// never quote a secret's value.
pub(crate) fn check_value(input: &Input, value: &Value, patterns: &Patterns) -> Result<()> {
    let matches = |pattern: &str, text: &str| patterns.get(pattern).map(|r| r.is_match(text));
    schema_check_value(&input.expected(None), value, &matches)
        .map_err(|ValueError(message)| Error::instance(&input.key, message))
}

/// Compiled `pattern`s of a plan, made once so that checking a call's
/// values never compiles a regular expression; a pattern not known in
/// advance is compiled when asked for.
#[derive(Debug, Default)]
pub(crate) struct Patterns(HashMap<String, std::result::Result<Regex, String>>);

impl Patterns {
    /// Every pattern of a plan's inputs and endpoint variables.
    pub(crate) fn of_plan(plan: &Plan) -> Self {
        let inputs = plan.methods.values().flat_map(|method| {
            method
                .inputs
                .iter()
                .chain(method.endpoints.values().flat_map(|e| &e.variables))
        });
        let mut compiled = HashMap::new();
        for pattern in inputs.filter_map(|input| input.pattern.as_ref()) {
            compiled
                .entry(pattern.clone())
                .or_insert_with(|| compile_pattern(pattern));
        }
        Patterns(compiled)
    }

    fn get(&self, pattern: &str) -> std::result::Result<Cow<'_, Regex>, String> {
        match self.0.get(pattern) {
            Some(compiled) => compiled.as_ref().map(Cow::Borrowed).map_err(Clone::clone),
            None => compile_pattern(pattern).map(Cow::Owned),
        }
    }
}

/// Adds the credential of a `basic` method whose user name or password is
/// a template (Zendesk's `{{ email }}/token`): the Basic header is then
/// made of rendered text that no instance value equals, so the redactor
/// learns its base64 here. Both sides render from the instance's values
/// alone (lint gives them the scope of the method and the connector); a
/// side that does not render leaves nothing to learn.
fn add_templated_basic(
    method: &MethodPlan,
    values: &IndexMap<String, Value>,
    redactor: &mut Redactor,
) {
    let mut context = None;
    for entry in &method.apply.headers {
        let EntryValue::Computed(ComputedValue::UserBasicAuth { username, password }) =
            &entry.value
        else {
            continue;
        };
        let context = context.get_or_insert_with(|| {
            let mut context = Context::default();
            for (key, value) in values {
                context.set(key.clone(), value.clone());
            }
            context.into_base()
        });
        let renderer = Renderer::new();
        if let (Ok(user), Ok(password)) = (
            renderer.text(username, context),
            renderer.text(password, context),
        ) {
            redactor.add_basic(&user, &password);
        }
    }
}

/// Reads the key of each assertion the method signs, so that a malformed
/// key is an error naming its instance key when the instance is bound, not
/// at the first token request; the PEM inside a Google key file is taught
/// to the redactor.
fn check_assertion_keys(
    method: &MethodPlan,
    values: &IndexMap<String, Value>,
    redactor: &mut Redactor,
) -> Result<()> {
    let requests = &method.requests;
    let assertions = [&requests.token, &requests.refresh, &requests.revoke]
        .into_iter()
        .flatten()
        .flat_map(|request| match &request.body {
            Some(BodyPlan::Form { fields }) => fields.as_slice(),
            _ => &[],
        })
        .filter_map(|entry| match &entry.value {
            EntryValue::Computed(ComputedValue::JwtAssertion(assertion)) => Some(assertion),
            _ => None,
        });
    for assertion in assertions {
        let Some(Value::String(value)) = values.get(&assertion.key) else {
            continue;
        };
        crate::jwt::SigningKey::read(assertion.algorithm.value, value).map_err(|message| {
            Error::instance(
                &assertion.key,
                format!(
                    "{message} (the key that signs the {} assertions)",
                    assertion.algorithm.value.as_str()
                ),
            )
        })?;
        crate::jwt::add_key_material(value, redactor);
    }
    Ok(())
}
