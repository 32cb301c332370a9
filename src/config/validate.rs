//! Validating the file against schema v1.
//!
//! The file is parsed with `toml_edit`, which keeps byte spans, and then walked by hand so
//! that every message can name the key, say what was expected, and point at a line and column.
//! Every problem is collected, so a hand-edited file can be fixed in one pass.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use secrecy::SecretString;
use toml_edit::{Document, Item, TableLike, Value};

use super::ConfigError;
use super::keys::{SecretField, Storage};
use super::{Config, Endpoint, EndpointField, MAX_ADDITIONAL_FIELDS, SecretRef, ServiceNowConfig};
use crate::dictionary::{FieldKind, ValueError, rules};
use crate::sanitize;
use crate::servicenow::{InstanceUrl, UrlError};

/// The only schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

const ROOT_KEYS: &[&str] = &["version", "servicenow", "endpoints"];
use super::keys::SERVICENOW_KEYS;
const ENDPOINT_KEYS: &[&str] = &["name", "description", "table", "fields"];
const FIELD_KEYS: &[&str] = &["element", "type", "value", "display", "mandatory"];

/// Every field kind, in the order messages list them.
pub(crate) const KINDS: [FieldKind; 5] = [
    FieldKind::String,
    FieldKind::Choice,
    FieldKind::Reference,
    FieldKind::Integer,
    FieldKind::Boolean,
];

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset = offset.saturating_sub(1);
    }
    let before = &text[..offset];
    let line = before.matches('\n').count().saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let column = before[line_start..].chars().count().saturating_add(1);
    (line, column)
}

/// An `*_env` key found in the file, for checking the environment after parsing.
pub(crate) struct EnvRef {
    pub key: &'static str,
    pub var: String,
    pub offset: usize,
}

/// A validated config and where its `*_env` variable names are.
pub(crate) struct Parsed {
    pub config: Config,
    pub env_refs: Vec<EnvRef>,
}

/// At most this many problems are listed in one error.
const MAX_PROBLEMS: usize = 10;

/// Parse and validate. Every problem found is reported, ordered by position: the error's line
/// and column are the first one's, and the others follow in its message, one per line.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Parsed, ConfigError> {
    let ctx = Ctx {
        text,
        path,
        problems: RefCell::new(Vec::new()),
    };
    let doc = Document::parse(text).map_err(|e| ctx.syntax(&e))?;
    let result = ctx.document(&doc);
    let problems = ctx.problems.take();
    match result {
        Ok(parsed) if problems.is_empty() => Ok(parsed),
        _ => Err(ctx.combine(problems)),
    }
}

/// A table or inline table, where it starts, and how messages name it.
struct Tbl<'a> {
    inner: &'a dyn TableLike,
    start: usize,
    label: String,
    known: &'static [&'static str],
}

fn as_tbl<'a>(
    item: &'a Item,
    fallback: usize,
    label: impl Into<String>,
    known: &'static [&'static str],
) -> Option<Tbl<'a>> {
    let (inner, span): (&dyn TableLike, _) = match item {
        Item::Table(t) => (t, t.span()),
        Item::Value(Value::InlineTable(t)) => (t, t.span()),
        _ => return None,
    };
    Some(Tbl {
        inner,
        start: span.map_or(fallback, |r| r.start),
        label: label.into(),
        known,
    })
}

/// "a string", "an integer" ... for messages about wrong types.
fn describe(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date/time",
            Value::Array(_) => "an array",
            Value::InlineTable(_) => "an inline table",
        },
    }
}

/// The closest known key or word, for "did you mean" hints.
pub(crate) fn suggest<'k>(typed: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let typed_n = norm(typed);
    if typed_n.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &'k str)> = None;
    for &k in known {
        let k_n = norm(k);
        let d = strsim::levenshtein(&typed_n, &k_n);
        let close = d <= 2.max(k_n.len() / 3)
            || (typed_n.len() >= 3 && (k_n.starts_with(&typed_n) || typed_n.starts_with(&k_n)));
        if close && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

fn one_of(known: &[&str]) -> String {
    known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A usable environment-variable name (letters, digits, `_`; not starting with a digit).
pub fn is_env_name(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why an `instance_url` is not acceptable, if it is not. The rule is `InstanceUrl`'s (the
/// one the wizard and the client use); the file must hold its normalised form, so that what
/// is written is what is connected to.
pub(crate) fn check_instance_url(s: &str) -> Result<(), String> {
    let example = "e.g. instance_url = \"https://acme.service-now.com\"";
    if s.trim().is_empty() {
        return Err(format!("`instance_url` is empty; {example}"));
    }
    if s.trim() != s {
        return Err("`instance_url` has spaces around it; remove them".to_string());
    }
    let url = InstanceUrl::parse(s).map_err(|e| match e {
        // Quoted, so that it can be pasted into the file as it stands.
        UrlError::PlainHttp { host } => {
            format!("plain http:// is only allowed for localhost; use \"https://{host}\"")
        }
        other => format!("`instance_url`: {other}"),
    })?;
    let written = s.strip_suffix('/').unwrap_or(s);
    if written == url.as_str() {
        return Ok(());
    }
    let why = if !s.contains("://") {
        "must be a full URL starting with https://"
    } else if written.eq_ignore_ascii_case(url.as_str()) {
        "must be written in lower case"
    } else {
        "must be the instance's address without a path"
    };
    Err(format!("`instance_url` {why}: \"{url}\""))
}

/// Marks a problem that is already in [`Ctx::problems`]; checking goes on elsewhere.
struct Reported;

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
    problems: RefCell<Vec<(usize, String)>>,
}

impl<'a> Ctx<'a> {
    fn at(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_col(self.text, offset);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    fn report(&self, offset: usize, message: impl Into<String>) -> Reported {
        self.problems.borrow_mut().push((offset, message.into()));
        Reported
    }

    /// One error for all problems: the first carries the position, the rest are listed after.
    fn combine(&self, mut problems: Vec<(usize, String)>) -> ConfigError {
        problems.sort_by_key(|(offset, _)| *offset);
        problems.dedup();
        let Some((first_at, first)) = problems.first().cloned() else {
            return self.at(0, "the file is not a valid config");
        };
        let mut message = first;
        for (offset, m) in problems.iter().skip(1).take(MAX_PROBLEMS.saturating_sub(1)) {
            let (line, column) = line_col(self.text, *offset);
            message.push_str(&format!("\n{}:{line}:{column}: {m}", self.path.display()));
        }
        if problems.len() > MAX_PROBLEMS {
            message.push_str(&format!(
                "\n... and {} more problems",
                problems.len().saturating_sub(MAX_PROBLEMS)
            ));
        }
        self.at(first_at, message)
    }

    fn syntax(&self, e: &toml_edit::TomlError) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim().replace('\n', "; ");
        if message == "duplicate key" {
            let name = self
                .text
                .get(span.clone())
                .map(|s| s.trim().trim_matches(|c| c == '"' || c == '\''))
                .unwrap_or("");
            message = match name {
                "servicenow" => "[servicenow] appears twice; there is only one instance, so keep \
                                 one [servicenow] table"
                    .to_string(),
                "endpoints" => "`endpoints` is defined twice; write each endpoint as its own \
                                [[endpoints]] table (two brackets)"
                    .to_string(),
                "" => "a key is defined twice".to_string(),
                name => format!(
                    "`{}` is defined twice in the same table; keep one",
                    sanitize::line(name)
                ),
            };
        } else {
            message = format!("TOML syntax error: {}", sanitize::line(&message));
        }
        self.at(span.start, message)
    }

    fn key_offset(&self, t: &Tbl<'_>, key: &str) -> usize {
        t.inner
            .key(key)
            .and_then(|k| k.span())
            .map_or(t.start, |r| r.start)
    }

    fn item_offset(&self, t: &Tbl<'_>, key: &str) -> usize {
        t.inner
            .get(key)
            .and_then(Item::span)
            .map_or_else(|| self.key_offset(t, key), |r| r.start)
    }

    fn document(&self, doc: &Document<&str>) -> Result<Parsed, Reported> {
        let root = Tbl {
            inner: doc.as_table(),
            start: 0,
            label: "the top level".to_string(),
            known: ROOT_KEYS,
        };
        let unknown = self.unknown_keys(&root);
        let version = self.version(&root);
        let mut env_refs = Vec::new();
        let servicenow = self.servicenow_table(&root, &mut env_refs);
        let endpoints = match root.inner.get("endpoints") {
            None => Ok(Vec::new()),
            Some(item) => self.endpoints(&root, item),
        };
        unknown?;
        version?;
        Ok(Parsed {
            config: Config {
                servicenow: servicenow?,
                endpoints: endpoints?,
            },
            env_refs,
        })
    }

    /// Whether an unknown key in `t` looks like a misspelling of `key` (already reported, so
    /// the missing `key` is not reported again).
    fn misspelt(&self, t: &Tbl<'_>, key: &str) -> bool {
        t.inner
            .iter()
            .any(|(k, _)| !t.known.contains(&k) && suggest(k, t.known) == Some(key))
    }

    fn unknown_keys(&self, t: &Tbl<'_>) -> Result<(), Reported> {
        let known = t.known;
        let mut result = Ok(());
        for (key, _) in t.inner.iter() {
            if known.contains(&key) {
                continue;
            }
            let shown = sanitize::line(key);
            let hint = if t.label == "the top level" && SERVICENOW_KEYS.contains(&key) {
                format!(
                    "; `{key}` belongs in the [servicenow] table: add a [servicenow] line above it"
                )
            } else if t.label.starts_with("[[endpoints]]") && FIELD_KEYS.contains(&key) {
                format!("; `{key}` belongs in a [[endpoints.fields]] table: add that line above it")
            } else if let Some(s) = suggest(key, known) {
                format!("; did you mean `{s}`?")
            } else {
                format!("; expected one of {}", one_of(known))
            };
            result = Err(self.report(
                self.key_offset(t, key),
                format!("unknown key `{shown}` in {}{hint}", t.label),
            ));
        }
        result
    }

    fn version(&self, root: &Tbl<'_>) -> Result<(), Reported> {
        let Some(item) = root.inner.get("version") else {
            return Err(self.report(0, "missing `version`: add `version = 1` as the first line"));
        };
        let at = self.item_offset(root, "version");
        match item.as_integer() {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(v) => Err(self.report(
                at,
                format!(
                    "unsupported config version {v}: this snow-connect reads version \
                     {SCHEMA_VERSION} (a file from a newer snow-connect needs that version)"
                ),
            )),
            None => Err(self.report(
                at,
                format!(
                    "`version` must be the integer {SCHEMA_VERSION} (no quotes), found {}",
                    describe(item)
                ),
            )),
        }
    }

    /// A string value, if the key is present; wrong types are problems. Never echoes the value.
    fn opt_string<'t>(&self, t: &Tbl<'t>, key: &str) -> Result<Option<(&'t str, usize)>, Reported> {
        let Some(item) = t.inner.get(key) else {
            return Ok(None);
        };
        let at = self.item_offset(t, key);
        match item.as_str() {
            Some(s) => Ok(Some((s, at))),
            None => {
                let hint = match item {
                    Item::Value(Value::Integer(_) | Value::Float(_) | Value::Boolean(_)) => {
                        "; put the value in quotes"
                    }
                    _ => "",
                };
                Err(self.report(
                    at,
                    format!(
                        "`{key}` in {} must be a string, found {}{hint}",
                        t.label,
                        describe(item)
                    ),
                ))
            }
        }
    }

    /// A present, non-empty string.
    fn req_string<'t>(
        &self,
        t: &Tbl<'t>,
        key: &str,
        hint: &str,
    ) -> Result<(&'t str, usize), Reported> {
        match self.opt_string(t, key)? {
            None if self.misspelt(t, key) => Err(Reported),
            None => Err(self.report(
                t.start,
                format!("{} lacks the required key `{key}`{hint}", t.label),
            )),
            Some((s, at)) if s.trim().is_empty() => {
                Err(self.report(at, format!("`{key}` in {} is empty{hint}", t.label)))
            }
            Some(found) => Ok(found),
        }
    }

    fn servicenow_table(
        &self,
        root: &Tbl<'_>,
        env_refs: &mut Vec<EnvRef>,
    ) -> Result<ServiceNowConfig, Reported> {
        let Some(item) = root.inner.get("servicenow") else {
            return Err(self.report(
                0,
                "missing [servicenow] table: add one with instance_url, client_id, \
                 client_secret, username and password",
            ));
        };
        let Some(sn) = as_tbl(
            item,
            self.key_offset(root, "servicenow"),
            "[servicenow]",
            SERVICENOW_KEYS,
        ) else {
            return Err(self.report(
                self.item_offset(root, "servicenow"),
                format!(
                    "`servicenow` must be a table written as [servicenow], found {}",
                    describe(item)
                ),
            ));
        };
        self.servicenow(&sn, env_refs)
    }

    fn servicenow(
        &self,
        t: &Tbl<'_>,
        env_refs: &mut Vec<EnvRef>,
    ) -> Result<ServiceNowConfig, Reported> {
        let unknown = self.unknown_keys(t);
        let instance_url = self
            .req_string(
                t,
                "instance_url",
                " (e.g. instance_url = \"https://acme.service-now.com\")",
            )
            .and_then(|(url, at)| {
                check_instance_url(url)
                    .map(|()| url)
                    .map_err(|m| self.report(at, m))
            });
        let client_id = self.req_string(
            t,
            "client_id",
            " (the Client ID of the OAuth application in System OAuth > Application Registry)",
        );
        let client_secret = self.secret(t, SecretField::ClientSecret, env_refs);
        let username = self.req_string(
            t,
            "username",
            " (the integration user's User ID, e.g. username = \"finout.integration\")",
        );
        let password = self.secret(t, SecretField::Password, env_refs);
        unknown?;
        Ok(ServiceNowConfig {
            instance_url: instance_url?.to_string(),
            client_id: client_id?.0.to_string(),
            client_secret: client_secret?,
            username: username?.0.to_string(),
            password: password?,
        })
    }

    fn secret(
        &self,
        t: &Tbl<'_>,
        field: SecretField,
        env_refs: &mut Vec<EnvRef>,
    ) -> Result<SecretRef, Reported> {
        let key = field.key(Storage::Inline);
        let env_key = field.key(Storage::Env);
        let mut found = Vec::new();
        let mut result = Ok(());
        for storage in Storage::ALL {
            match self.opt_string(t, field.key(storage)) {
                Ok(Some((value, at))) => found.push((storage, value, at)),
                Ok(None) => {}
                Err(r) => result = Err(r),
            }
        }
        result?;
        let Some(&(storage, value, at)) = found.first() else {
            if field.keys().iter().any(|k| self.misspelt(t, k)) {
                return Err(Reported);
            }
            return Err(self.report(
                t.start,
                format!(
                    "{} lacks `{key}`; add `{key} = \"...\"`, or `{env_key} = \"NAME\"` to \
                     read it from the environment variable NAME, `{} = \"...\"` for a command \
                     that prints it, or `{} = \"/path\"` for a file of mode 0600",
                    t.label,
                    field.key(Storage::Command),
                    field.key(Storage::File),
                ),
            ));
        };
        if found.len() > 1 {
            let names: Vec<String> = found
                .iter()
                .map(|(s, _, _)| format!("`{}`", field.key(*s)))
                .collect();
            let last = found.iter().map(|(_, _, at)| *at).max().unwrap_or(at);
            let set = match names.as_slice() {
                [a, b] => format!("both {a} and {b} are set"),
                _ => format!("{} are all set", names.join(", ")),
            };
            return Err(self.report(
                last,
                format!(
                    "{set} in {}; keep only one: {}",
                    t.label,
                    found
                        .iter()
                        .map(|(s, _, _)| format!("`{}` holds {}", field.key(*s), s.what()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let this = field.key(storage);
        if value.trim().is_empty() {
            return Err(self.report(
                at,
                format!(
                    "`{this}` in {} is empty; fill it in, or keep the secret another way",
                    t.label
                ),
            ));
        }
        match storage {
            Storage::Inline => Ok(SecretRef::Inline(SecretString::from(value.to_string()))),
            Storage::Env => {
                if !is_env_name(value) {
                    // The value may be a pasted secret, so it is not repeated here.
                    return Err(self.report(
                        at,
                        format!(
                            "`{env_key}` must be the name of an environment variable (letters, \
                             digits and _, e.g. \"{}\"), not the secret itself; to keep the \
                             secret in the file, use `{key}`",
                            field.default_env()
                        ),
                    ));
                }
                env_refs.push(EnvRef {
                    key: env_key,
                    var: value.to_string(),
                    offset: at,
                });
                Ok(SecretRef::Env(value.to_string()))
            }
            Storage::Command => match super::secret_source::check_command(value) {
                Ok(()) => Ok(SecretRef::Command(value.to_string())),
                Err(m) => Err(self.report(at, format!("`{this}` in {} {m}", t.label))),
            },
            Storage::File => {
                let path = std::path::Path::new(value);
                if !path.is_absolute() {
                    return Err(self.report(
                        at,
                        format!(
                            "`{this}` in {} must be an absolute path, e.g. \
                             \"/run/credentials/snow-connect.service/{}\"",
                            t.label,
                            key.trim_start_matches("client_")
                        ),
                    ));
                }
                Ok(SecretRef::File(path.to_path_buf()))
            }
        }
    }

    /// `[[x]]` tables or an inline array of inline tables, with where each starts.
    fn table_list<'t>(
        &self,
        item: &'t Item,
        at: usize,
        wrong: &str,
    ) -> Result<Vec<(&'t dyn TableLike, usize)>, Reported> {
        match item {
            Item::ArrayOfTables(aot) => Ok(aot
                .iter()
                .map(|t| (t as &dyn TableLike, t.span().map_or(at, |r| r.start)))
                .collect()),
            Item::Value(Value::Array(arr)) => {
                let mut out = Vec::with_capacity(arr.len());
                let mut result = Ok(());
                for v in arr.iter() {
                    match v {
                        Value::InlineTable(t) => {
                            out.push((t as &dyn TableLike, t.span().map_or(at, |r| r.start)));
                        }
                        other => {
                            result = Err(self.report(
                                other.span().map_or(at, |r| r.start),
                                format!("{wrong}; this entry is not a table"),
                            ));
                        }
                    }
                }
                result.map(|()| out)
            }
            other => Err(self.report(at, format!("{wrong}, found {}", describe(other)))),
        }
    }

    fn endpoints(&self, root: &Tbl<'_>, item: &Item) -> Result<Vec<Endpoint>, Reported> {
        let tables = self.table_list(
            item,
            self.item_offset(root, "endpoints"),
            "`endpoints` must be written as one [[endpoints]] table per endpoint (two brackets)",
        )?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::with_capacity(tables.len());
        let mut result = Ok(());
        for (i, (inner, start)) in tables.into_iter().enumerate() {
            let label = match inner.get("name").and_then(Item::as_str) {
                Some(name) => format!("[[endpoints]] \"{}\"", sanitize::line(name)),
                None => format!("[[endpoints]] #{}", i.saturating_add(1)),
            };
            let t = Tbl {
                inner,
                start,
                label,
                known: ENDPOINT_KEYS,
            };
            let endpoint = match self.endpoint(&t) {
                Ok(endpoint) => endpoint,
                Err(r) => {
                    result = Err(r);
                    continue;
                }
            };
            let name_at = self.item_offset(&t, "name");
            if let Some(&first) = seen.get(&endpoint.name) {
                let (first_line, _) = line_col(self.text, first);
                result = Err(self.report(
                    name_at,
                    format!(
                        "duplicate endpoint name \"{}\" (first used on line {first_line}); \
                         endpoint names must be unique",
                        sanitize::line(&endpoint.name)
                    ),
                ));
                continue;
            }
            seen.insert(endpoint.name.clone(), name_at);
            out.push(endpoint);
        }
        result.map(|()| out)
    }

    fn endpoint(&self, t: &Tbl<'_>) -> Result<Endpoint, Reported> {
        let unknown = self.unknown_keys(t);
        let name = self.req_string(
            t,
            "name",
            "; every endpoint needs a unique name, e.g. name = \"FinOps anomalies\"",
        );
        let description = self.opt_string(t, "description");
        let table = self
            .req_string(t, "table", "; add table = \"incident\"")
            .and_then(|(table, at)| {
                if is_identifier(table) {
                    Ok(table)
                } else {
                    Err(self.report(
                        at,
                        format!(
                            "`table` in {} must be a ServiceNow table name such as \"incident\"",
                            t.label
                        ),
                    ))
                }
            });
        let shown_name = match &name {
            Ok((n, _)) => n,
            Err(_) => "?",
        };
        let fields = match t.inner.get("fields") {
            None => Ok(Vec::new()),
            Some(item) => self.fields(t, shown_name, item),
        };
        unknown?;
        Ok(Endpoint {
            name: name?.0.to_string(),
            description: description?.map_or("", |(s, _)| s).to_string(),
            table: table?.to_string(),
            fields: fields?,
        })
    }

    fn fields(
        &self,
        endpoint: &Tbl<'_>,
        endpoint_name: &str,
        item: &Item,
    ) -> Result<Vec<EndpointField>, Reported> {
        let tables = self.table_list(
            item,
            self.item_offset(endpoint, "fields"),
            "`fields` must be written as one [[endpoints.fields]] table per field (two brackets)",
        )?;
        let shown_endpoint = sanitize::line(endpoint_name);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut additional = 0usize;
        let mut out = Vec::with_capacity(tables.len());
        let mut result = Ok(());
        for (j, (inner, start)) in tables.into_iter().enumerate() {
            let label = match inner.get("element").and_then(Item::as_str) {
                Some(e) => format!(
                    "field \"{}\" of endpoint \"{shown_endpoint}\"",
                    sanitize::line(e)
                ),
                None => format!(
                    "field #{} of endpoint \"{shown_endpoint}\"",
                    j.saturating_add(1)
                ),
            };
            let t = Tbl {
                inner,
                start,
                label,
                known: FIELD_KEYS,
            };
            // Counted before validation, so the limit is reported even on a field with typos.
            let mandatory = inner.get("mandatory").and_then(Item::as_bool) == Some(true);
            if !mandatory {
                additional = additional.saturating_add(1);
                if additional == MAX_ADDITIONAL_FIELDS.saturating_add(1) {
                    result = Err(self.report(
                        t.start,
                        format!(
                            "endpoint \"{shown_endpoint}\" has more than {MAX_ADDITIONAL_FIELDS} \
                             additional fields (this is number {additional}); remove some \
                             (fields marked `mandatory = true` do not count)"
                        ),
                    ));
                }
            }
            let field = match self.field(&t) {
                Ok(field) => field,
                Err(r) => {
                    result = Err(r);
                    continue;
                }
            };
            let element_at = self.item_offset(&t, "element");
            if let Some(&first) = seen.get(&field.element) {
                let (first_line, _) = line_col(self.text, first);
                result = Err(self.report(
                    element_at,
                    format!(
                        "field \"{}\" appears twice in endpoint \"{shown_endpoint}\" (first on \
                         line {first_line}); keep one",
                        sanitize::line(&field.element)
                    ),
                ));
                continue;
            }
            seen.insert(field.element.clone(), element_at);
            out.push(field);
        }
        result.map(|()| out)
    }

    fn field(&self, t: &Tbl<'_>) -> Result<EndpointField, Reported> {
        let unknown = self.unknown_keys(t);
        let element = self
            .req_string(
                t,
                "element",
                " (the column name, e.g. element = \"assignment_group\")",
            )
            .and_then(|(element, at)| {
                if is_identifier(element) {
                    Ok(element)
                } else {
                    Err(self.report(
                        at,
                        format!(
                            "`element` in {} must be a column name (letters, digits and _), \
                             e.g. \"assignment_group\"",
                            t.label
                        ),
                    ))
                }
            });
        let kinds: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
        let kind = self
            .req_string(t, "type", &format!("; one of {}", one_of(&kinds)))
            .and_then(|(kind_str, at)| {
                KINDS
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == kind_str)
                    .ok_or_else(|| {
                        let hint = match suggest(kind_str, &kinds) {
                            Some(s) => {
                                format!("did you mean `{s}`? The types are {}", one_of(&kinds))
                            }
                            None => format!("expected one of {}", one_of(&kinds)),
                        };
                        self.report(
                            at,
                            format!(
                                "invalid type \"{}\" in {}; {hint}",
                                sanitize::line(kind_str),
                                t.label
                            ),
                        )
                    })
            });
        let value = self.field_value(t, kind.as_ref().ok().copied());
        let display = self.opt_string(t, "display");
        let mandatory = match t.inner.get("mandatory") {
            None => Ok(false),
            Some(item) => item.as_bool().ok_or_else(|| {
                self.report(
                    self.item_offset(t, "mandatory"),
                    format!(
                        "`mandatory` in {} must be true or false (no quotes), found {}",
                        t.label,
                        describe(item)
                    ),
                )
            }),
        };
        unknown?;
        Ok(EndpointField {
            element: element?.to_string(),
            kind: kind?,
            value: value?,
            display: display?.map(|(s, _)| s.to_string()),
            mandatory: mandatory?,
        })
    }

    /// The value as text; checked against the kind when the kind is known.
    fn field_value(&self, t: &Tbl<'_>, kind: Option<FieldKind>) -> Result<String, Reported> {
        let Some(item) = t.inner.get("value") else {
            if self.misspelt(t, "value") {
                return Err(Reported);
            }
            return Err(self.report(
                t.start,
                format!("{} lacks the required key `value`", t.label),
            ));
        };
        let at = self.item_offset(t, "value");
        let Some(value) = item.as_value().and_then(value_text) else {
            return Err(self.report(
                at,
                format!(
                    "`value` in {} must be a string, found {}",
                    t.label,
                    describe(item)
                ),
            ));
        };
        let problem = match kind {
            Some(FieldKind::Choice | FieldKind::Reference) if value.trim().is_empty() => Some(
                "needs a `value`: the choice value, or the sys_id of the referenced record"
                    .to_string(),
            ),
            // The dictionary's rules (what `send` accepts); length and choices need the live
            // dictionary, so `check` and `send` judge those.
            Some(k @ (FieldKind::Integer | FieldKind::Boolean)) => {
                rules::check_value(k, None, &value).err().map(|e| {
                    let must = match e {
                        ValueError::OutOfRange => format!(
                            "must be a whole number from {} to {}",
                            rules::INTEGER_MIN,
                            rules::INTEGER_MAX
                        ),
                        ValueError::NotBoolean => "must be true or false".to_string(),
                        _ => "must be a whole number".to_string(),
                    };
                    format!("has type {}, so `value` {must}", k.as_str())
                })
            }
            _ => None,
        };
        match problem {
            Some(p) => Err(self.report(
                at,
                format!(
                    "{} {p}, found \"{}\"",
                    capitalise(&t.label),
                    sanitize::line(&value)
                ),
            )),
            None => Ok(value),
        }
    }
}

/// The text a field's `value` stands for. Hand-written files naturally say `value = 2` or
/// `value = true`; both mean the text. `None` for any other kind of value.
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Boolean(b) => Some(b.value().to_string()),
        _ => None,
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "ab\ncdé f\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_col(text, text.find(' ').expect("space")), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn suggestions_catch_typos_and_prefixes_but_not_noise() {
        assert_eq!(suggest("pasword", SERVICENOW_KEYS), Some("password"));
        assert_eq!(suggest("usrname", SERVICENOW_KEYS), Some("username"));
        assert_eq!(
            suggest("clientSecret", SERVICENOW_KEYS),
            Some("client_secret")
        );
        assert_eq!(suggest("client-id", SERVICENOW_KEYS), Some("client_id"));
        assert_eq!(suggest("instance", SERVICENOW_KEYS), Some("instance_url"));
        assert_eq!(suggest("descripton", ENDPOINT_KEYS), Some("description"));
        let kinds: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
        assert_eq!(suggest("int", &kinds), Some("integer"));
        assert_eq!(suggest("bool", &kinds), Some("boolean"));
        assert_eq!(suggest("zzzzzz", SERVICENOW_KEYS), None);
    }

    #[test]
    fn instance_url_check() {
        assert!(check_instance_url("https://acme.service-now.com").is_ok());
        assert!(check_instance_url("https://acme.service-now.com/").is_ok());
        assert!(check_instance_url("http://127.0.0.1:40123").is_ok());
        assert!(check_instance_url("http://localhost:8080").is_ok());
        assert!(check_instance_url("http://[::1]:8080").is_ok());
        let err = |s| check_instance_url(s).expect_err(s);
        assert!(err("").contains("empty"));
        assert!(err("acme").contains("https://acme.service-now.com"));
        assert!(err("acme.service-now.com").contains("https://acme.service-now.com"));
        assert!(err("http://acme.service-now.com").contains("https://acme.service-now.com"));
        assert!(err("https://acme.service-now.com/now/nav/ui/home").contains("without a path"));
        assert!(err("ftp://acme.service-now.com").contains("https://"));
        assert!(err("https://ACME.service-now.com").contains("\"https://acme.service-now.com\""));
        assert!(err("https://acme").contains("\"https://acme.service-now.com\""));
        let creds = err("https://bob:hunter2@acme.service-now.com");
        assert!(!creds.contains("hunter2"), "{creds}");
    }

    #[test]
    fn several_problems_are_listed_in_file_order() {
        let text = "version = 1\n[servicenow]\ninstance_url = \"https://a.service-now.com\"\n\
                    client_id = 1\nclient_secret = \"s\"\nusername = \"u\"\npasword = \"p\"\n";
        let Err(ConfigError::Invalid {
            line,
            column,
            message,
            ..
        }) = parse(text, Path::new("c.toml")).map(|p| p.config)
        else {
            panic!("expected Invalid");
        };
        assert_eq!((line, column), (4, 13));
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 2, "{message}");
        assert!(lines[0].starts_with("`client_id` in [servicenow] must be a string"));
        assert_eq!(
            lines[1],
            "c.toml:7:1: unknown key `pasword` in [servicenow]; did you mean `password`?"
        );
    }
}
