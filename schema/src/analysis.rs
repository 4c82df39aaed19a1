//! The requests a spec describes, the names in scope in each, and every
//! template with the requests it is rendered in. Lint rules that reason
//! about templates and scopes all read this one analysis.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::MAX_ENDPOINT_REQUESTS;
use crate::catalog::{
    self, AuthPart, ENDPOINT_RUNTIME_VALUES, INCREMENTAL_RUNTIME_VALUES,
    PAGINATED_ENDPOINT_RUNTIME_VALUES, SECRET_RUNTIME_VALUES,
};
use crate::document::pointer_push;
use crate::model::{
    AuthMethod, Body, Endpoint, Entry, Incremental, PageLimit, Pagination, Part, RequestOverride,
    Spec, Variable, VariableType,
};
use crate::template::{PathReference, TemplateError, referenced_names, referenced_paths};

/// Where a name in scope was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Origin<'a> {
    /// `[variables.x]`.
    Connector,
    /// A default variable of the method's type (possibly overridden).
    AuthDefault(&'a str),
    /// A variable the author added to a method.
    Auth(&'a str),
    /// `[endpoints.e.variables.x]`.
    Endpoint(&'a str),
    /// A value the runtime provides (`access_token`, `state`…).
    Runtime,
    /// A captured field of a method's token or authorize response.
    Capture(&'a str),
    /// A value a method's discovery request captures (`discover.capture`).
    Discovered(&'a str),
}

impl Origin<'_> {
    /// The JSON pointer of the declaration, if the author wrote it.
    pub(crate) fn pointer(&self, name: &str) -> Option<String> {
        match self {
            Origin::Connector => Some(pointer_push("/variables", name)),
            Origin::Auth(method) | Origin::AuthDefault(method) => Some(pointer_push(
                &pointer_push(&pointer_push("/auth", method), "variables"),
                name,
            )),
            Origin::Endpoint(endpoint) => Some(pointer_push(
                &pointer_push(&pointer_push("/endpoints", endpoint), "variables"),
                name,
            )),
            Origin::Discovered(method) => Some(pointer_push(
                &pointer_push(
                    &pointer_push(&pointer_push("/auth", method), "discover"),
                    "capture",
                ),
                name,
            )),
            Origin::Runtime | Origin::Capture(_) => None,
        }
    }

    /// How a message names the declaration.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::Connector => "a connector variable".into(),
            Origin::AuthDefault(method) => format!("a default variable of auth method `{method}`"),
            Origin::Auth(method) => format!("a variable of auth method `{method}`"),
            Origin::Endpoint(endpoint) => format!("a variable of endpoint `{endpoint}`"),
            Origin::Runtime => "a runtime value".into(),
            Origin::Capture(method) => format!("a captured field of auth method `{method}`"),
            Origin::Discovered(method) => format!("a discovered value of auth method `{method}`"),
        }
    }
}

/// A name in scope in a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Declaration<'a> {
    pub(crate) name: &'a str,
    pub(crate) origin: Origin<'a>,
    /// The value's type.
    pub(crate) kind: VariableType,
}

impl Declaration<'_> {
    pub(crate) fn is_secret(&self) -> bool {
        self.kind == VariableType::Secret
    }
}

/// What a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner<'a> {
    /// A request (or the applied credential) of an auth method.
    Auth { method: &'a str, part: AuthPart },
    /// An endpoint request, made through one of its auth methods (none if
    /// it has none).
    Endpoint {
        endpoint: &'a str,
        method: Option<&'a str>,
    },
}

/// Names declared together — a method's variables, the connector's, an
/// endpoint's — shared by every request that sees them, so that a spec
/// with many endpoints and variables costs the sum of the two, not their
/// product.
#[derive(Debug)]
pub(crate) struct Layer<'a> {
    /// Tells layers apart: unique within one analysis.
    pub(crate) id: usize,
    pub(crate) declarations: Vec<Declaration<'a>>,
    /// The first declaration of each name.
    first: HashMap<&'a str, usize>,
}

impl<'a> Layer<'a> {
    pub(crate) fn get(&self, name: &str) -> Option<&Declaration<'a>> {
        self.first.get(name).map(|&i| &self.declarations[i])
    }
}

/// One request and the names in scope in it: its layers, in the order
/// their names were declared.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) owner: Owner<'a>,
    pub(crate) layers: Vec<Rc<Layer<'a>>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn describe(&self) -> String {
        match self.owner {
            Owner::Auth { method, part } => {
                format!("the {} of auth method `{method}`", part.describe())
            }
            Owner::Endpoint {
                endpoint,
                method: Some(method),
            } => format!("endpoint `{endpoint}` called with auth method `{method}`"),
            Owner::Endpoint {
                endpoint,
                method: None,
            } => format!("endpoint `{endpoint}`"),
        }
    }

    /// The first declaration of a name.
    pub(crate) fn find(&self, name: &str) -> Option<&Declaration<'a>> {
        self.layers.iter().find_map(|layer| layer.get(name))
    }

    /// The first declaration of a name in each layer that declares it.
    pub(crate) fn find_each<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s Declaration<'a>> + 's {
        self.layers.iter().filter_map(move |layer| layer.get(name))
    }

    /// Every declaration, in order.
    pub(crate) fn declarations(&self) -> impl Iterator<Item = &Declaration<'a>> {
        self.layers
            .iter()
            .flat_map(|layer| layer.declarations.iter())
    }
}

/// Which part of a request a template fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Url,
    Query,
    Header,
    Body,
    /// A pagination `limit` naming a variable (`"{{ page_size }}"`).
    PageSize,
    /// An incremental endpoint's `initial`: rendered on its own, into the
    /// value templates see as `checkpoint`.
    Checkpoint,
    /// A discovery's `match.equals`: rendered on its own and compared with
    /// a field of the answer, never sent.
    Match,
}

/// A template in the spec and the requests it is rendered in.
#[derive(Debug)]
pub(crate) struct Site<'a> {
    pub(crate) pointer: String,
    pub(crate) text: &'a str,
    pub(crate) field: Field,
    /// Indexes into [`Analysis::scopes`].
    pub(crate) scopes: Vec<usize>,
    pub(crate) names: Result<Vec<String>, TemplateError>,
    /// Whether the template is the whole value of an entry the runtime can
    /// leave out (a query parameter, header, form field or JSON object
    /// member), rather than part of a URL, an array or a raw body.
    pub(crate) entry: bool,
    /// Which of its endpoint's requests the template belongs to.
    pub(crate) request: RequestRole,
}

/// Which request of an endpoint a template is part of: some runtime
/// values exist only in some of them (`page.cursor` after the first page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestRole {
    /// The endpoint's own request (the first page's), or an auth request.
    First,
    /// The pagination's `next`: every page after the first.
    Next,
    /// The incremental `resume`: the first page of a run that starts from
    /// a stored checkpoint, so `checkpoint` always has a value there.
    Resume,
}

/// A use of `page` in a paginated endpoint's template.
#[derive(Debug)]
pub(crate) struct PageReference<'s, 'a> {
    pub(crate) site: &'s Site<'a>,
    pub(crate) endpoint: &'a str,
    pub(crate) pagination: &'a Pagination,
    pub(crate) reference: PathReference,
}

/// How many endpoint requests a spec describes: one per endpoint and auth
/// method it is enabled for (one for an endpoint enabled for none). The
/// plan repeats each endpoint under each of its methods.
pub(crate) fn endpoint_requests(spec: &Spec) -> usize {
    spec.endpoints
        .values()
        .map(|endpoint| match &endpoint.auth {
            None => spec.auth.len(),
            Some(listed) => listed.len(),
        })
        .map(|requests| requests.max(1))
        .fold(0, usize::saturating_add)
}

/// Everything rules need to know about templates and scopes.
#[derive(Debug)]
pub(crate) struct Analysis<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) scopes: Vec<Scope<'a>>,
    pub(crate) sites: Vec<Site<'a>>,
    /// Every layer some request sees, each once, in the order requests
    /// first see them.
    pub(crate) layers: Vec<Rc<Layer<'a>>>,
    layer_count: usize,
    layer_in_scope: HashSet<usize>,
    /// The first declaration of each name anywhere other than the
    /// runtime's, to say where a name out of scope is declared.
    declared_anywhere: HashMap<&'a str, Declaration<'a>>,
    connector_layer: Option<Rc<Layer<'a>>>,
    /// Each auth method's variables, captures and discovered values.
    method_layers: HashMap<&'a str, [Rc<Layer<'a>>; 3]>,
    runtime_layers: HashMap<(usize, usize), Rc<Layer<'a>>>,
}

impl<'a> Analysis<'a> {
    /// The analysis of a spec, without its endpoint requests when they are
    /// more than [`MAX_ENDPOINT_REQUESTS`] (PB109 is then all lint says).
    pub(crate) fn new(spec: &'a Spec) -> Self {
        let mut analysis = Analysis {
            spec,
            scopes: Vec::new(),
            sites: Vec::new(),
            layers: Vec::new(),
            layer_count: 0,
            layer_in_scope: HashSet::new(),
            declared_anywhere: HashMap::new(),
            connector_layer: None,
            method_layers: HashMap::new(),
            runtime_layers: HashMap::new(),
        };
        let connector = analysis.connector_declarations(None);
        analysis.connector_layer = Some(analysis.add_layer(connector));
        for (key, method) in &spec.auth {
            analysis.add_auth_method(key, method);
        }
        if endpoint_requests(spec) > MAX_ENDPOINT_REQUESTS {
            return analysis;
        }
        for (key, endpoint) in &spec.endpoints {
            analysis.add_endpoint(key, endpoint);
        }
        // The connector-wide entries are rendered in every endpoint request,
        // so they see (and must resolve in) every endpoint scope.
        if let Some(request) = &spec.request {
            let scopes: Vec<usize> = (0..analysis.scopes.len())
                .filter(|&i| matches!(analysis.scopes[i].owner, Owner::Endpoint { .. }))
                .collect();
            for (place, field, entries) in [
                ("query", Field::Query, &request.query),
                ("headers", Field::Header, &request.headers),
            ] {
                for (name, text) in entries {
                    let pointer = pointer_push(&pointer_push("/request", place), name);
                    analysis.add_site(pointer, text, field, &scopes);
                }
            }
        }
        analysis
    }

    /// The defined auth methods an endpoint is enabled for.
    pub(crate) fn enabled_methods(&self, endpoint: &'a Endpoint) -> Vec<(&'a str, &'a AuthMethod)> {
        match &endpoint.auth {
            None => self
                .spec
                .auth
                .iter()
                .map(|(k, m)| (k.as_str(), m))
                .collect(),
            Some(keys) => keys
                .iter()
                .filter_map(|k| self.spec.auth.get_key_value(k))
                .map(|(k, m)| (k.as_str(), m))
                .collect(),
        }
    }

    /// The endpoint a template belongs to, if it is an endpoint's.
    pub(crate) fn endpoint_of(&self, site: &Site<'a>) -> Option<&'a str> {
        match self.scopes[*site.scopes.first()?].owner {
            Owner::Endpoint { endpoint, .. } => Some(endpoint),
            Owner::Auth { .. } => None,
        }
    }

    /// Every use of `page` (`page.cursor`…) in the templates of endpoints
    /// that paginate: the template, its endpoint and the path.
    pub(crate) fn page_references(&self) -> Vec<PageReference<'_, 'a>> {
        let mut found = Vec::new();
        for site in &self.sites {
            if !site
                .names
                .as_ref()
                .is_ok_and(|n| n.iter().any(|n| n == "page"))
            {
                continue;
            }
            let Some(key) = self.endpoint_of(site) else {
                continue;
            };
            let Some(pagination) = self.spec.endpoints[key].pagination.as_ref() else {
                continue;
            };
            if matches!(pagination, Pagination::None {}) {
                continue;
            }
            for reference in referenced_paths(site.text, "page") {
                found.push(PageReference {
                    site,
                    endpoint: key,
                    pagination,
                    reference,
                });
            }
        }
        found
    }

    /// Where a name is declared, other than by the runtime, if anywhere.
    pub(crate) fn declared_anywhere(&self, name: &str) -> Option<&Declaration<'a>> {
        self.declared_anywhere.get(name)
    }

    fn add_layer(&mut self, declarations: Vec<Declaration<'a>>) -> Rc<Layer<'a>> {
        let mut first = HashMap::with_capacity(declarations.len());
        for (i, declaration) in declarations.iter().enumerate() {
            first.entry(declaration.name).or_insert(i);
        }
        self.layer_count += 1;
        Rc::new(Layer {
            id: self.layer_count - 1,
            declarations,
            first,
        })
    }

    fn connector_layer(&self) -> Rc<Layer<'a>> {
        Rc::clone(
            self.connector_layer
                .as_ref()
                .unwrap_or_else(|| unreachable!("made first in Analysis::new")),
        )
    }

    /// The layer of a list of runtime values, made once per list.
    fn runtime_layer(&mut self, names: &'static [&'static str]) -> Rc<Layer<'a>> {
        let key = (names.as_ptr() as usize, names.len());
        if let Some(layer) = self.runtime_layers.get(&key) {
            return Rc::clone(layer);
        }
        let layer = self.add_layer(Self::runtime_declarations(names).collect());
        self.runtime_layers.insert(key, Rc::clone(&layer));
        layer
    }

    fn add_scope(&mut self, scope: Scope<'a>) -> usize {
        for layer in &scope.layers {
            if !self.layer_in_scope.insert(layer.id) {
                continue;
            }
            self.layers.push(Rc::clone(layer));
            for declaration in &layer.declarations {
                if declaration.origin != Origin::Runtime {
                    self.declared_anywhere
                        .entry(declaration.name)
                        .or_insert(*declaration);
                }
            }
        }
        self.scopes.push(scope);
        self.scopes.len() - 1
    }

    fn add_site(&mut self, pointer: String, text: &'a str, field: Field, scopes: &[usize]) {
        let entry = matches!(field, Field::Query | Field::Header);
        self.add_site_as(pointer, text, field, scopes, entry);
    }

    fn add_site_as(
        &mut self,
        pointer: String,
        text: &'a str,
        field: Field,
        scopes: &[usize],
        entry: bool,
    ) {
        self.sites.push(Site {
            pointer,
            text,
            field,
            scopes: scopes.to_vec(),
            names: referenced_names(text),
            entry,
            request: RequestRole::First,
        });
    }

    fn connector_declarations(&self, only: Option<&'a [String]>) -> Vec<Declaration<'a>> {
        let only: Option<HashSet<&str>> =
            only.map(|used| used.iter().map(String::as_str).collect());
        self.spec
            .variables
            .iter()
            .filter(|(name, _)| {
                only.as_ref()
                    .is_none_or(|used| used.contains(name.as_str()))
            })
            .map(|(name, variable)| Declaration {
                name,
                origin: Origin::Connector,
                kind: variable.kind.unwrap_or(VariableType::String),
            })
            .collect()
    }

    fn auth_declarations(method_key: &'a str, method: &'a AuthMethod) -> Vec<Declaration<'a>> {
        let overrides = method.variables();
        let mut declarations: Vec<Declaration<'a>> = catalog::default_variables(method)
            .into_iter()
            .map(|default| Declaration {
                name: default.name,
                origin: Origin::AuthDefault(method_key),
                kind: overrides
                    .and_then(|o| o.get(default.name))
                    .and_then(|o| o.kind)
                    .unwrap_or(default.kind),
            })
            .collect();
        for (name, variable) in overrides.into_iter().flatten() {
            if !declarations.iter().any(|d| d.name == name) {
                declarations.push(Declaration {
                    name,
                    origin: Origin::Auth(method_key),
                    kind: variable.kind.unwrap_or(VariableType::String),
                });
            }
        }
        declarations
    }

    fn runtime_declarations(
        names: &'static [&'static str],
    ) -> impl Iterator<Item = Declaration<'a>> {
        names.iter().map(|&name| Declaration {
            name,
            origin: Origin::Runtime,
            kind: if SECRET_RUNTIME_VALUES.contains(&name) {
                VariableType::Secret
            } else {
                VariableType::String
            },
        })
    }

    fn capture_declarations(method_key: &'a str, method: &'a AuthMethod) -> Vec<Declaration<'a>> {
        let token_captures = method.token_response().map(|r| &r.capture);
        let authorize_captures = method.authorize_captures();
        token_captures
            .into_iter()
            .flat_map(|captures| captures.keys())
            .chain(authorize_captures.into_iter().flat_map(|c| c.keys()))
            .map(|name| Declaration {
                name,
                origin: Origin::Capture(method_key),
                kind: VariableType::String,
            })
            .collect()
    }

    /// The values captured from the authorization callback, which the
    /// token, refresh and revocation requests also see (each use there
    /// needs an allow-list pattern, PB722).
    fn callback_capture_declarations(
        method_key: &'a str,
        method: &'a AuthMethod,
    ) -> Vec<Declaration<'a>> {
        method
            .authorize_captures()
            .into_iter()
            .flat_map(|captures| captures.keys())
            .map(|name| Declaration {
                name,
                origin: Origin::Capture(method_key),
                kind: VariableType::String,
            })
            .collect()
    }

    fn discovered_declarations(
        method_key: &'a str,
        method: &'a AuthMethod,
    ) -> Vec<Declaration<'a>> {
        method
            .discover()
            .into_iter()
            .flat_map(|d| d.capture.keys())
            .map(|name| Declaration {
                name,
                origin: Origin::Discovered(method_key),
                kind: VariableType::String,
            })
            .collect()
    }

    fn add_auth_method(&mut self, key: &'a str, method: &'a AuthMethod) {
        let pointer = pointer_push("/auth", key);
        let auth = Self::auth_declarations(key, method);
        let auth = self.add_layer(auth);
        let used = self.connector_declarations(Some(method.uses()));
        let used = self.add_layer(used);
        let captures = Self::capture_declarations(key, method);
        let captures = self.add_layer(captures);
        let discovered = Self::discovered_declarations(key, method);
        let discovered = self.add_layer(discovered);
        let callback = Self::callback_capture_declarations(key, method);
        let callback = self.add_layer(callback);
        let mut part_scopes = Vec::new();
        for part in catalog::parts(method) {
            let runtime = self.runtime_layer(catalog::runtime_values(method.auth_type(), part));
            let layers = match part {
                // The credential is applied inside endpoint requests, which
                // see every connector variable and every discovered value.
                AuthPart::Apply => vec![
                    Rc::clone(&auth),
                    self.connector_layer(),
                    Rc::clone(&captures),
                    Rc::clone(&discovered),
                    runtime,
                ],
                // The discovery runs once the token (and its captures)
                // exist, before any value it discovers.
                AuthPart::Discover => vec![
                    Rc::clone(&auth),
                    Rc::clone(&used),
                    Rc::clone(&captures),
                    runtime,
                ],
                // A device login has no callback, so no callback values.
                AuthPart::Authorize | AuthPart::DeviceAuthorization | AuthPart::DeviceToken => {
                    vec![Rc::clone(&auth), Rc::clone(&used), runtime]
                }
                // Token, refresh and revocation requests also see the
                // callback values checked against their allow-list.
                _ => vec![
                    Rc::clone(&auth),
                    Rc::clone(&used),
                    Rc::clone(&callback),
                    runtime,
                ],
            };
            let scope = self.add_scope(Scope {
                owner: Owner::Auth { method: key, part },
                layers,
            });
            self.add_auth_part_sites(&pointer, method, part, scope);
            part_scopes.push((part, scope));
        }
        self.add_assertion_sites(&pointer, method, &part_scopes);
        self.method_layers.insert(key, [auth, captures, discovered]);
    }

    /// The claims and key id of a method's assertions, rendered in every
    /// request that carries the assertion: the grant in the token request,
    /// a client assertion wherever the client authenticates.
    fn add_assertion_sites(
        &mut self,
        pointer: &str,
        method: &'a AuthMethod,
        part_scopes: &[(AuthPart, usize)],
    ) {
        for (role, written) in method.assertions() {
            let Some(written) = written else { continue };
            let scopes: Vec<usize> = part_scopes
                .iter()
                .filter(|(part, _)| {
                    catalog::default_entries(method, *part).iter().any(|entry| {
                        matches!(&entry.value, catalog::DefaultValue::Assertion(a) if a.role == role)
                    })
                })
                .map(|(_, scope)| *scope)
                .collect();
            let table = pointer_push(pointer, role.table());
            if let Some(key_id) = &written.key_id {
                self.add_site_as(
                    pointer_push(&table, "key_id"),
                    key_id,
                    Field::Body,
                    &scopes,
                    false,
                );
            }
            for (name, entry) in &written.claims {
                if let Some(text) = entry.template() {
                    self.add_site_as(
                        pointer_push(&pointer_push(&table, "claims"), name),
                        text,
                        Field::Body,
                        &scopes,
                        false,
                    );
                }
            }
        }
    }

    fn add_auth_part_sites(
        &mut self,
        pointer: &str,
        method: &'a AuthMethod,
        part: AuthPart,
        scope: usize,
    ) {
        if let Some(url) = catalog::url(method, part) {
            let pointer = url
                .path
                .iter()
                .fold(pointer.to_owned(), |p, key| pointer_push(&p, key));
            self.add_site(pointer, url.template, Field::Url, &[scope]);
        }
        let table = pointer_push(pointer, part.table());
        match part {
            AuthPart::Apply => {
                // The sides of a Basic credential are rendered where it is
                // applied, with the endpoint request's scope.
                if let AuthMethod::Basic(basic) = method {
                    for (key, text) in
                        [("username", &basic.username), ("password", &basic.password)]
                    {
                        if let Some(text) = text {
                            self.add_site(
                                pointer_push(pointer, key),
                                text,
                                Field::Header,
                                &[scope],
                            );
                        }
                    }
                }
                // So is the realm of an OAuth 1.0a signature.
                if let AuthMethod::OAuth1(oauth1) = method
                    && let Some(realm) = &oauth1.realm
                {
                    self.add_site(
                        pointer_push(pointer, "realm"),
                        realm,
                        Field::Header,
                        &[scope],
                    );
                }
                if let Some(apply) = method.apply() {
                    for (name, text) in &apply.headers {
                        self.add_site(
                            pointer_push(&pointer_push(&table, "headers"), name),
                            text,
                            Field::Header,
                            &[scope],
                        );
                    }
                    for (name, text) in &apply.query {
                        self.add_site(
                            pointer_push(&pointer_push(&table, "query"), name),
                            text,
                            Field::Query,
                            &[scope],
                        );
                    }
                }
            }
            _ => {
                let overrides = catalog::overrides(method, part);
                self.add_entries(
                    &table,
                    overrides.query,
                    overrides.headers,
                    overrides.body,
                    &[scope],
                );
                if let (AuthPart::Discover, Some(matches)) =
                    (part, method.discover().and_then(|d| d.matches.as_ref()))
                {
                    let pointer = pointer_push(&pointer_push(&table, "match"), "equals");
                    self.add_site_as(pointer, &matches.equals, Field::Match, &[scope], false);
                }
            }
        }
    }

    fn add_entries(
        &mut self,
        table: &str,
        query: Option<&'a indexmap::IndexMap<String, Entry>>,
        headers: Option<&'a indexmap::IndexMap<String, Entry>>,
        body: Option<&'a Body>,
        scopes: &[usize],
    ) {
        for (place, field, entries) in [
            ("query", Field::Query, query),
            ("headers", Field::Header, headers),
        ] {
            for (name, entry) in entries.into_iter().flatten() {
                if let Entry::Template(text) = entry {
                    self.add_site(
                        pointer_push(&pointer_push(table, place), name),
                        text,
                        field,
                        scopes,
                    );
                }
            }
        }
        let content = pointer_push(&pointer_push(table, "body"), "content");
        match body {
            Some(Body::Json { content: value }) => {
                self.add_json_sites(content, value, scopes, false)
            }
            Some(Body::Form { content: fields }) => {
                for (name, entry) in fields {
                    if let Entry::Template(text) = entry {
                        let pointer = pointer_push(&content, name);
                        self.add_site_as(pointer, text, Field::Body, scopes, true);
                    }
                }
            }
            Some(Body::Raw { content: text, .. }) => {
                self.add_site(content, text, Field::Body, scopes)
            }
            Some(Body::File {
                content_type: Some(text),
                ..
            }) => {
                let pointer = pointer_push(&pointer_push(table, "body"), "content_type");
                self.add_site(pointer, text, Field::Header, scopes);
            }
            Some(Body::File { .. }) => {}
            Some(Body::Multipart { parts }) => {
                let parts_pointer = pointer_push(&pointer_push(table, "body"), "parts");
                for (name, part) in parts {
                    let pointer = pointer_push(&parts_pointer, name);
                    match part {
                        Part::Text(text) => self.add_site(pointer, text, Field::Body, scopes),
                        Part::File(file) => {
                            if let Some(text) = &file.filename {
                                self.add_site(
                                    pointer_push(&pointer, "filename"),
                                    text,
                                    Field::Header,
                                    scopes,
                                );
                            }
                            if let Some(text) = &file.content_type {
                                self.add_site(
                                    pointer_push(&pointer, "content_type"),
                                    text,
                                    Field::Header,
                                    scopes,
                                );
                            }
                        }
                    }
                }
            }
            None => {}
        }
    }

    /// `member`: the value is an object's member (which the runtime can
    /// leave out), not an array item or the whole document.
    fn add_json_sites(
        &mut self,
        pointer: String,
        value: &'a serde_json::Value,
        scopes: &[usize],
        member: bool,
    ) {
        match value {
            serde_json::Value::String(text) => {
                self.add_site_as(pointer, text, Field::Body, scopes, member)
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let pointer = pointer_push(&pointer, &i.to_string());
                    self.add_json_sites(pointer, item, scopes, false);
                }
            }
            serde_json::Value::Object(members) => {
                for (key, item) in members {
                    self.add_json_sites(pointer_push(&pointer, key), item, scopes, true);
                }
            }
            _ => {}
        }
    }

    fn add_endpoint(&mut self, key: &'a str, endpoint: &'a Endpoint) {
        let own = endpoint
            .variables
            .iter()
            .map(|(name, variable): (&'a String, &'a Variable)| Declaration {
                name,
                origin: Origin::Endpoint(key),
                kind: variable.kind.unwrap_or(VariableType::String),
            })
            .collect();
        let own = self.add_layer(own);
        let paginates = endpoint
            .pagination
            .as_ref()
            .is_some_and(|p| !matches!(p, Pagination::None {}));
        let endpoint_runtime = self.runtime_layer(if paginates {
            PAGINATED_ENDPOINT_RUNTIME_VALUES
        } else {
            ENDPOINT_RUNTIME_VALUES
        });
        let incremental_runtime = endpoint
            .incremental
            .is_some()
            .then(|| self.runtime_layer(INCREMENTAL_RUNTIME_VALUES));
        let methods = self.enabled_methods(endpoint);
        let mut scopes = Vec::new();
        let mut add = |analysis: &mut Self, method: Option<(&'a str, &'a AuthMethod)>| {
            let mut layers = vec![analysis.connector_layer()];
            if let Some((method_key, method)) = method {
                let method_layers = analysis.method_layers[method_key].clone();
                let runtime = analysis
                    .runtime_layer(catalog::runtime_values(method.auth_type(), AuthPart::Apply));
                layers.extend(method_layers);
                layers.push(runtime);
            }
            layers.extend([Rc::clone(&own), Rc::clone(&endpoint_runtime)]);
            layers.extend(incremental_runtime.iter().map(Rc::clone));
            scopes.push(analysis.add_scope(Scope {
                owner: Owner::Endpoint {
                    endpoint: key,
                    method: method.map(|(k, _)| k),
                },
                layers,
            }));
        };
        if methods.is_empty() {
            add(self, None);
        }
        for method in methods {
            add(self, Some(method));
        }
        let pointer = pointer_push("/endpoints", key);
        self.add_site(
            pointer_push(&pointer, "url"),
            &endpoint.url,
            Field::Url,
            &scopes,
        );
        self.add_entries(
            &pointer,
            Some(&endpoint.query),
            Some(&endpoint.headers),
            endpoint.body.as_ref(),
            &scopes,
        );
        if let Some(PageLimit::Variable(template)) =
            endpoint.pagination.as_ref().and_then(|p| p.limit())
        {
            self.add_site(
                pointer_push(&pointer_push(&pointer, "pagination"), "limit"),
                template,
                Field::PageSize,
                &scopes,
            );
        }
        if let Some(initial) = endpoint.incremental.as_ref().and_then(|i| i.initial()) {
            let pointer = pointer_push(&pointer_push(&pointer, "incremental"), "initial");
            self.add_site_as(pointer, initial, Field::Checkpoint, &scopes, false);
        }
        // `next` and `resume` see the same names as the endpoint's own
        // request.
        if let Some(next) = endpoint.pagination.as_ref().and_then(Pagination::next) {
            let pointer = pointer_push(&pointer_push(&pointer, "pagination"), "next");
            self.add_override(&pointer, next, &scopes, RequestRole::Next);
        }
        if let Some(resume) = endpoint.incremental.as_ref().and_then(Incremental::resume) {
            let pointer = pointer_push(&pointer_push(&pointer, "incremental"), "resume");
            self.add_override(&pointer, resume, &scopes, RequestRole::Resume);
        }
    }

    /// The sites of a request of its own (`next`, `resume`) at `pointer`.
    fn add_override(
        &mut self,
        pointer: &str,
        over: &'a RequestOverride,
        scopes: &[usize],
        role: RequestRole,
    ) {
        let first_site = self.sites.len();
        if let Some(url) = &over.url {
            self.add_site(pointer_push(pointer, "url"), url, Field::Url, scopes);
        }
        self.add_entries(
            pointer,
            over.query.as_ref(),
            over.headers.as_ref(),
            over.body.as_ref(),
            scopes,
        );
        for site in &mut self.sites[first_site..] {
            site.request = role;
        }
    }
}
