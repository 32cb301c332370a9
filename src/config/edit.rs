//! Editing an existing file in place with `toml_edit`: values that did not change keep their
//! formatting and comments, changed values are replaced where they stand, endpoints are matched
//! by name and fields by element, removed ones disappear and new ones are appended.

use secrecy::ExposeSecret;
use toml_edit::{
    Array, ArrayOfTables, DocumentMut, InlineTable, Item, Key, RawString, Table, TableLike, Value,
};

use super::keys::SecretField;
use super::render::{MASK, Secrets, endpoint_table, field_table};
use super::validate::value_text;
use super::{Config, Endpoint, EndpointField, SecretRef, ServiceNowConfig};

/// `old_text` (already validated) changed to say what `config` says.
pub(crate) fn edit(old_text: &str, config: &Config) -> Result<String, toml_edit::TomlError> {
    let mut doc: DocumentMut = old_text.parse()?;
    let root = doc.as_table_mut();
    match root.get_mut("servicenow").and_then(Item::as_table_like_mut) {
        Some(sn) => update_servicenow(sn, &config.servicenow, Secrets::Write),
        None => {
            let mut sn = Table::new();
            update_servicenow(&mut sn, &config.servicenow, Secrets::Write);
            root.insert("servicenow", Item::Table(sn));
        }
    }
    update_entries(root, "endpoints", &config.endpoints, false);
    let mut next = 0;
    renumber(root, &mut next);
    Ok(doc.to_string())
}

/// Bring `[servicenow]` in line with `sn`; on a new table this writes it from scratch.
pub(crate) fn update_servicenow(t: &mut dyn TableLike, sn: &ServiceNowConfig, secrets: Secrets) {
    set_str(t, "instance_url", &sn.instance_url);
    set_str(t, "client_id", &sn.client_id);
    set_secret(t, SecretField::ClientSecret, &sn.client_secret, secrets);
    set_str(t, "username", &sn.username);
    set_secret(t, SecretField::Password, &sn.password, secrets);
}

/// Set a string value, keeping the old value's decoration (alignment, trailing comment).
fn set_str(t: &mut dyn TableLike, key: &str, new: &str) {
    set_value(t, key, Value::from(new), |old| old.as_str() == Some(new));
}

fn set_value(t: &mut dyn TableLike, key: &str, new: Value, same: impl Fn(&Value) -> bool) {
    match t.get_mut(key) {
        Some(Item::Value(old)) => {
            if same(old) {
                return;
            }
            let decor = old.decor().clone();
            *old = new;
            *old.decor_mut() = decor;
        }
        Some(item) => *item = Item::Value(new),
        None => {
            t.insert(key, Item::Value(new));
        }
    }
}

/// The secret under the key for its storage (an inline secret as its value or [`MASK`]); a key
/// of another storage for the same secret takes the new key's place, and any others go.
fn set_secret(t: &mut dyn TableLike, field: SecretField, secret: &SecretRef, secrets: Secrets) {
    let storage = secret.storage();
    let wanted = field.key(storage);
    let text = match (secret, secrets) {
        (SecretRef::Inline(s), Secrets::Write) => s.expose_secret().to_string(),
        (SecretRef::Inline(_), Secrets::Mask) => MASK.to_string(),
        (other, _) => other.reference().unwrap_or_default(),
    };
    let mut others = field.keys().into_iter().filter(|k| *k != wanted);
    match others.clone().find(|k| t.contains_key(k)) {
        Some(old) if !t.contains_key(wanted) => rename_key(t, old, wanted, &text),
        _ => set_str(t, wanted, &text),
    }
    for k in others.by_ref() {
        t.remove(k);
    }
}

/// Replace `old` by `new = text` at the same place in the table, keeping the decoration.
fn rename_key(t: &mut dyn TableLike, old: &str, new: &str, text: &str) {
    let names: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
    let entries: Vec<(Key, Item)> = names
        .iter()
        .filter_map(|n| t.get_key_value(n).map(|(k, i)| (k.clone(), i.clone())))
        .collect();
    t.clear();
    for (key, item) in entries {
        if key.get() == old {
            let new_key = Key::new(new).with_leaf_decor(key.leaf_decor().clone());
            let mut v = Value::from(text);
            if let Some(old_value) = item.as_value() {
                *v.decor_mut() = old_value.decor().clone();
            }
            t.entry_format(&new_key).or_insert(Item::Value(v));
        } else {
            t.entry_format(&key).or_insert(item);
        }
    }
}

/// Keep the old items that are still wanted (updated), in the wanted order; make the rest.
fn rebuild<T, W>(
    old: Vec<T>,
    wanted: &[W],
    old_key: impl Fn(&T) -> Option<String>,
    new_key: impl Fn(&W) -> &str,
    make: impl Fn(&W) -> T,
    update: impl Fn(&mut T, &W),
) -> Vec<T> {
    let mut pool: Vec<Option<T>> = old.into_iter().map(Some).collect();
    wanted
        .iter()
        .map(|w| {
            let k = new_key(w);
            let found = pool
                .iter_mut()
                .find(|slot| slot.as_ref().and_then(&old_key).as_deref() == Some(k))
                .and_then(Option::take);
            match found {
                Some(mut t) => {
                    update(&mut t, w);
                    t
                }
                None => make(w),
            }
        })
        .collect()
}

fn name_of(t: &dyn TableLike, key: &str) -> Option<String> {
    t.get(key).and_then(Item::as_str).map(str::to_string)
}

/// An entry of an array of tables in the file: an endpoint (matched by name) or one of its
/// fields (matched by element).
trait Entry {
    /// The key that identifies an entry.
    const ID: &'static str;
    /// Its identity.
    fn id(&self) -> &str;
    /// A new `[[...]]` table for it.
    fn table(&self) -> Table;
    /// Bring an existing table (or inline table) in line with it.
    fn update(&self, t: &mut dyn TableLike, inline: bool);
}

impl Entry for Endpoint {
    const ID: &'static str = "name";
    fn id(&self) -> &str {
        &self.name
    }
    fn table(&self) -> Table {
        endpoint_table(self)
    }
    fn update(&self, t: &mut dyn TableLike, inline: bool) {
        update_endpoint(t, self, inline);
    }
}

impl Entry for EndpointField {
    const ID: &'static str = "element";
    fn id(&self) -> &str {
        &self.element
    }
    fn table(&self) -> Table {
        field_table(self)
    }
    fn update(&self, t: &mut dyn TableLike, _inline: bool) {
        update_field(t, self);
    }
}

fn inline_entry<W: Entry>(w: &W) -> InlineTable {
    let mut t = InlineTable::new();
    w.update(&mut t, true);
    t
}

/// Bring the array under `key` in line with `wanted`, in the form the file already uses
/// (`[[key]]` tables or an inline array); a new array is inline when its parent is.
fn update_entries<W: Entry>(parent: &mut dyn TableLike, key: &str, wanted: &[W], inline: bool) {
    if wanted.is_empty() {
        parent.remove(key);
        return;
    }
    match parent.get_mut(key) {
        Some(Item::ArrayOfTables(aot)) => {
            let old: Vec<Table> = aot.iter().cloned().collect();
            let new = rebuild(
                old,
                wanted,
                |t| name_of(t, W::ID),
                W::id,
                W::table,
                |t, w| w.update(t, false),
            );
            aot.clear();
            for t in new {
                aot.push(t);
            }
        }
        Some(Item::Value(Value::Array(arr))) => {
            let old: Vec<InlineTable> = arr
                .iter()
                .filter_map(|v| v.as_inline_table().cloned())
                .collect();
            let new = rebuild(
                old,
                wanted,
                |t| name_of(t, W::ID),
                W::id,
                inline_entry,
                |t, w| w.update(t, true),
            );
            replace_inline(arr, new);
        }
        _ if inline => {
            let arr: Array = wanted.iter().map(inline_entry).collect();
            parent.insert(key, Item::Value(Value::Array(arr)));
        }
        _ => {
            let mut aot = ArrayOfTables::new();
            for w in wanted {
                aot.push(w.table());
            }
            parent.insert(key, Item::ArrayOfTables(aot));
        }
    }
}

/// Refill an inline array, keeping its brackets' formatting and each kept entry's spacing;
/// in a multi-line array, new entries go on their own lines, indented like the others.
fn replace_inline(arr: &mut Array, tables: Vec<InlineTable>) {
    let trailing = arr.trailing().clone();
    let comma = arr.trailing_comma();
    let line_prefix: Option<RawString> = tables.iter().rev().find_map(|t| {
        t.decor()
            .prefix()
            .filter(|p| p.as_str().is_some_and(|s| s.contains('\n')))
            .cloned()
    });
    arr.clear();
    for t in tables {
        let mut v = Value::InlineTable(t);
        if v.decor().prefix().is_some() {
            arr.push_formatted(v);
        } else if let Some(prefix) = &line_prefix {
            v.decor_mut().set_prefix(prefix.clone());
            v.decor_mut().set_suffix("");
            arr.push_formatted(v);
        } else {
            arr.push(v);
        }
    }
    arr.set_trailing(trailing);
    arr.set_trailing_comma(comma);
}

fn update_endpoint(t: &mut dyn TableLike, e: &Endpoint, inline: bool) {
    set_str(t, "name", &e.name);
    let has_description = t.contains_key("description");
    if !e.description.is_empty() || has_description {
        set_str(t, "description", &e.description);
    }
    set_str(t, "table", &e.table);
    update_entries(t, "fields", &e.fields, inline);
}

fn update_field(t: &mut dyn TableLike, f: &EndpointField) {
    set_str(t, "element", &f.element);
    set_str(t, "type", f.kind.as_str());
    // A hand-written `value = 2` stays as it is while it still means "2".
    set_value(t, "value", Value::from(f.value.as_str()), |old| {
        value_text(old).is_some_and(|v| v == f.value)
    });
    match &f.display {
        Some(display) => set_str(t, "display", display),
        None => {
            t.remove("display");
        }
    }
    if f.mandatory {
        set_value(t, "mandatory", Value::from(true), |old| {
            old.as_bool() == Some(true)
        });
    } else if t.get("mandatory").and_then(Item::as_bool) != Some(false) {
        t.remove("mandatory");
    }
}

/// Give every table a position in visiting order, so the text follows the new order of
/// endpoints and fields; for an unchanged document this is the order it already had.
fn renumber(table: &mut Table, next: &mut isize) {
    if !table.is_dotted() {
        table.set_position(Some(*next));
        *next = next.saturating_add(1);
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => renumber(t, next),
            Item::ArrayOfTables(aot) => {
                for t in aot.iter_mut() {
                    renumber(t, next);
                }
            }
            _ => {}
        }
    }
}
