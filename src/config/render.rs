//! Writing a [`Config`] as TOML from scratch: new files, and the masked view of `config show`.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::edit::update_servicenow;
use super::validate::SCHEMA_VERSION;
use super::{Config, Endpoint, EndpointField};

/// What `config show` prints instead of an inline secret.
pub const MASK: &str = "••••••••";

/// Whether inline secrets are written or masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    /// The real values (only ever written to the 0600 file).
    Write,
    /// `••••••••` in their place.
    Mask,
}

const HEADER: &str = "\
# snow-connect configuration (schema version 1).
# Secrets are inline (this file is mode 0600) or kept elsewhere: `*_env` names an environment
# variable, `*_command` a command that prints the secret, `*_file` a file of mode 0600.
# Comments you add are kept.
";

/// The whole config as a new TOML document.
pub(crate) fn document(config: &Config, secrets: Secrets, header: bool) -> DocumentMut {
    let mut doc = DocumentMut::new();
    doc.insert("version", value(SCHEMA_VERSION));
    if header && let Some(mut key) = doc.key_mut("version") {
        key.leaf_decor_mut().set_prefix(HEADER);
    }
    let mut sn = Table::new();
    update_servicenow(&mut sn, &config.servicenow, secrets);
    doc.insert("servicenow", Item::Table(sn));
    if !config.endpoints.is_empty() {
        let mut aot = ArrayOfTables::new();
        for ep in &config.endpoints {
            aot.push(endpoint_table(ep));
        }
        doc.insert("endpoints", Item::ArrayOfTables(aot));
    }
    doc
}

/// The config as TOML with every inline secret replaced by [`MASK`]; env names are shown.
pub fn masked_toml(config: &Config) -> String {
    document(config, Secrets::Mask, false).to_string()
}

/// A new `[[endpoints]]` table.
pub(crate) fn endpoint_table(ep: &Endpoint) -> Table {
    let mut t = Table::new();
    t.insert("name", value(&ep.name));
    t.insert("description", value(&ep.description));
    t.insert("table", value(&ep.table));
    if !ep.fields.is_empty() {
        let mut aot = ArrayOfTables::new();
        for f in &ep.fields {
            aot.push(field_table(f));
        }
        t.insert("fields", Item::ArrayOfTables(aot));
    }
    t
}

/// A new `[[endpoints.fields]]` table.
pub(crate) fn field_table(f: &EndpointField) -> Table {
    let mut t = Table::new();
    t.insert("element", value(&f.element));
    t.insert("type", value(f.kind.as_str()));
    t.insert("value", value(&f.value));
    if let Some(display) = &f.display {
        t.insert("display", value(display));
    }
    if f.mandatory {
        t.insert("mandatory", value(true));
    }
    t
}
