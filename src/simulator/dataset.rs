//! Builds the simulated instance from the JSON files under `assets/simulator/`.
//!
//! The files describe the instance the way its own metadata tables do (tables, dictionary
//! entries, field types, choices, seed records); the loader derives every metadata record from
//! them, so `sys_dictionary` answers with exactly the columns the tables have.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::SimError;
use super::extra_fields;
use super::options::SimOptions;
use super::store::{Column, Database, DenialKind, Str, Table, stable_sys_id};

const TABLES_JSON: &str = include_str!("../../assets/simulator/tables.json");
const DICTIONARY_JSON: &str = include_str!("../../assets/simulator/dictionary.json");
const FIELD_TYPES_JSON: &str = include_str!("../../assets/simulator/field_types.json");
const CHOICES_JSON: &str = include_str!("../../assets/simulator/choices.json");
const RECORDS_JSON: &str = include_str!("../../assets/simulator/records.json");

/// When the bundled metadata was "created" (records that do not say otherwise).
const DATASET_TIME: &str = "2023-11-20 18:09:40";
/// Who created the bundled metadata.
const DATASET_AUTHOR: &str = "admin";
/// Columns every root table has even when its dictionary does not list them.
const SYSTEM_COLUMNS: &[(&str, &str, &str)] = &[
    ("sys_created_by", "Created by", "string"),
    ("sys_created_on", "Created", "glide_date_time"),
    ("sys_mod_count", "Updates", "integer"),
    ("sys_updated_by", "Updated by", "string"),
    ("sys_updated_on", "Updated", "glide_date_time"),
];

#[derive(Deserialize)]
struct TablesFile {
    tables: Vec<TableDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDef {
    name: String,
    label: String,
    #[serde(default)]
    super_class: String,
    sys_id: Option<String>,
    #[serde(default)]
    denial: Option<String>,
    #[serde(default)]
    row: Map<String, Value>,
}

#[derive(Deserialize)]
struct DictionaryFile {
    tables: Vec<DictionaryTable>,
}

#[derive(Deserialize)]
struct DictionaryTable {
    name: String,
    columns: Vec<ColumnDef>,
}

/// One dictionary entry as written in `dictionary.json` (also produced for extra fields).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ColumnDef {
    pub element: String,
    pub label: String,
    #[serde(rename = "type")]
    pub internal_type: String,
    #[serde(default)]
    pub max_length: Option<u32>,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub reference_key: String,
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub choice: u8,
    #[serde(default)]
    pub default: String,
    #[serde(default)]
    pub display: bool,
    #[serde(default)]
    pub primary: bool,
    #[serde(default, rename = "virtual")]
    pub is_virtual: bool,
    #[serde(default)]
    pub dependent_on_field: String,
    #[serde(default)]
    pub sys_id: Option<String>,
}

fn yes() -> bool {
    true
}

impl ColumnDef {
    /// A plain entry with everything else at its default.
    pub(crate) fn new(element: &str, label: &str, internal_type: &str) -> ColumnDef {
        ColumnDef {
            element: element.into(),
            label: label.into(),
            internal_type: internal_type.into(),
            max_length: None,
            reference: String::new(),
            reference_key: String::new(),
            mandatory: false,
            read_only: false,
            active: true,
            choice: 0,
            default: String::new(),
            display: false,
            primary: false,
            is_virtual: false,
            dependent_on_field: String::new(),
            sys_id: None,
        }
    }

    fn max_length(&self) -> u32 {
        self.max_length
            .unwrap_or(match self.internal_type.as_str() {
                "reference" | "GUID" | "domain_id" | "document_id" => 32,
                "glide_list" | "journal" | "journal_input" | "journal_list" | "html"
                | "user_input" => 4000,
                "sys_class_name" | "table_name" => 80,
                _ => 40,
            })
    }
}

#[derive(Deserialize)]
struct FieldTypesFile {
    types: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct ChoicesFile {
    lists: Vec<ChoiceList>,
}

#[derive(Deserialize)]
struct ChoiceList {
    name: String,
    element: String,
    choices: Vec<ChoiceDef>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChoiceDef {
    Pair(String, String),
    Full {
        value: String,
        label: String,
        #[serde(default)]
        dependent_value: String,
    },
}

/// A choice ready to become a sys_choice record.
pub(crate) struct ChoiceRow {
    pub table: String,
    pub element: String,
    pub value: String,
    pub label: String,
    pub dependent_value: String,
}

#[derive(Deserialize)]
struct RecordsFile {
    records: Map<String, Value>,
}

/// A dictionary entry waiting to become a sys_dictionary record.
struct Entry {
    table: usize,
    def: ColumnDef,
    collection: bool,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, SimError> {
    serde_json::from_str(text).map_err(|e| SimError::Dataset(format!("{file}: {e}")))
}

fn bad(message: String) -> SimError {
    SimError::Dataset(message)
}

/// Build the whole instance for `options` (extra fields and mandatory overrides included).
pub(crate) fn load(options: &SimOptions) -> Result<Database, SimError> {
    let tables_file: TablesFile = parse("tables.json", TABLES_JSON)?;
    let dictionary: DictionaryFile = parse("dictionary.json", DICTIONARY_JSON)?;
    let field_types: FieldTypesFile = parse("field_types.json", FIELD_TYPES_JSON)?;
    let choices: ChoicesFile = parse("choices.json", CHOICES_JSON)?;
    let records: RecordsFile = parse("records.json", RECORDS_JSON)?;

    let mut db = Database::default();
    create_tables(&mut db, &tables_file)?;

    let mut defs: HashMap<usize, Vec<ColumnDef>> = HashMap::new();
    for table in dictionary.tables {
        let t = db
            .table(&table.name)
            .ok_or_else(|| bad(format!("dictionary.json: unknown table {}", table.name)))?;
        defs.entry(t).or_default().extend(table.columns);
    }
    let mut choice_rows: Vec<ChoiceRow> = Vec::new();
    for list in choices.lists {
        for def in list.choices {
            let (value, label, dependent_value) = match def {
                ChoiceDef::Pair(value, label) => (value, label, String::new()),
                ChoiceDef::Full {
                    value,
                    label,
                    dependent_value,
                } => (value, label, dependent_value),
            };
            choice_rows.push(ChoiceRow {
                table: list.name.clone(),
                element: list.element.clone(),
                value,
                label,
                dependent_value,
            });
        }
    }
    if options.extra_fields > 0 {
        let incident = db
            .table("incident")
            .ok_or_else(|| bad("tables.json: no incident table".into()))?;
        let (extra_defs, extra_choices) = extra_fields::generate(options.extra_fields);
        defs.entry(incident).or_default().extend(extra_defs);
        choice_rows.extend(extra_choices);
    }
    apply_mandatory(&db, &mut defs, &options.mandatory)?;

    let entries = build_layouts(&mut db, &mut defs)?;

    for row in &choice_rows {
        db.add_choices(
            &row.table,
            &row.element,
            vec![(Str::from(row.value.as_str()), Str::from(row.label.as_str()))],
        );
    }

    insert_field_types(&mut db, field_types)?;
    insert_tables(&mut db, &tables_file)?;
    insert_dictionary(&mut db, &entries)?;
    insert_documentation(&mut db, &entries)?;
    insert_choices(&mut db, &choice_rows)?;
    insert_seed_records(&mut db, records)?;
    ensure_integration_user(&mut db, &options.username)?;
    db.reindex();
    db.incident_counter = incident_counter_start(&db);
    Ok(db)
}

fn create_tables(db: &mut Database, file: &TablesFile) -> Result<(), SimError> {
    for def in &file.tables {
        if db.table_index.contains_key(def.name.as_str()) {
            return Err(bad(format!("tables.json: {} listed twice", def.name)));
        }
        let denial = match def.denial.as_deref() {
            None | Some("empty") => DenialKind::Empty,
            Some("forbidden") => DenialKind::Forbidden,
            Some(other) => return Err(bad(format!("tables.json: denial {other:?}"))),
        };
        let sys_id = def
            .sys_id
            .clone()
            .unwrap_or_else(|| stable_sys_id(&format!("sys_db_object:{}", def.name)));
        db.table_index
            .insert(Str::from(def.name.as_str()), db.tables.len());
        db.tables.push(Table {
            name: Str::from(def.name.as_str()),
            label: Str::from(def.label.as_str()),
            sys_id: Str::from(sys_id),
            parent: None,
            children: Vec::new(),
            columns: Vec::new(),
            column_index: HashMap::new(),
            display: None,
            rows: Vec::new(),
            denial,
        });
    }
    for def in &file.tables {
        if def.super_class.is_empty() {
            continue;
        }
        let (Some(child), Some(parent)) = (db.table(&def.name), db.table(&def.super_class)) else {
            return Err(bad(format!(
                "tables.json: {} extends unknown table {}",
                def.name, def.super_class
            )));
        };
        db.tables[child].parent = Some(parent);
        db.tables[parent].children.push(child);
    }
    Ok(())
}

fn apply_mandatory(
    db: &Database,
    defs: &mut HashMap<usize, Vec<ColumnDef>>,
    mandatory: &[String],
) -> Result<(), SimError> {
    for spec in mandatory {
        let unknown = || {
            SimError::InvalidOption(format!(
                "--mandatory {spec:?}: expected TABLE.FIELD naming a column the simulator knows, \
                 e.g. incident.caller_id"
            ))
        };
        let (table, field) = spec.split_once('.').ok_or_else(unknown)?;
        let t = db.table(table).ok_or_else(unknown)?;
        let def = db.ancestors(t).find_map(|a| {
            defs.get(&a)
                .and_then(|list| list.iter().position(|d| d.element == field))
                .map(|i| (a, i))
        });
        let (owner, index) = def.ok_or_else(unknown)?;
        if let Some(d) = defs.get_mut(&owner).and_then(|list| list.get_mut(index)) {
            d.mandatory = true;
        }
    }
    Ok(())
}

/// Parents before children, so a child can start from its parent's layout.
fn table_order(db: &Database) -> Result<Vec<usize>, SimError> {
    let mut order = Vec::with_capacity(db.tables.len());
    let mut done = vec![false; db.tables.len()];
    while order.len() < db.tables.len() {
        let before = order.len();
        for (i, table) in db.tables.iter().enumerate() {
            if !done[i] && table.parent.is_none_or(|p| done[p]) {
                done[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            return Err(bad("tables.json: super_class cycle".into()));
        }
    }
    Ok(order)
}

fn build_layouts(
    db: &mut Database,
    defs: &mut HashMap<usize, Vec<ColumnDef>>,
) -> Result<Vec<Entry>, SimError> {
    let mut entries = Vec::new();
    for t in table_order(db)? {
        let mut own = defs.remove(&t).unwrap_or_default();
        if !own.iter().any(|d| d.element == "sys_id") {
            let mut sys_id = ColumnDef::new("sys_id", "Sys ID", "GUID");
            sys_id.primary = true;
            own.push(sys_id);
        }
        if db.tables[t].parent.is_none() {
            for (element, label, kind) in SYSTEM_COLUMNS {
                if !own.iter().any(|d| d.element == *element) {
                    own.push(ColumnDef::new(element, label, kind));
                }
            }
        }
        let (mut columns, mut index, mut display) = match db.tables[t].parent {
            Some(p) => (
                db.tables[p].columns.clone(),
                db.tables[p].column_index.clone(),
                db.tables[p].display,
            ),
            None => (Vec::new(), HashMap::new(), None),
        };
        let mut collection = ColumnDef::new("", &db.tables[t].label, "collection");
        collection.sys_id = Some(stable_sys_id(&format!(
            "sys_dictionary:{}:collection",
            db.tables[t].name
        )));
        entries.push(Entry {
            table: t,
            def: collection,
            collection: true,
        });
        for def in own {
            let column = make_column(db, t, &def)?;
            let position = match index.get(def.element.as_str()) {
                Some(&i) => {
                    columns[i] = column;
                    i
                }
                None => {
                    index.insert(Str::from(def.element.as_str()), columns.len());
                    columns.push(column);
                    columns.len() - 1
                }
            };
            if def.display {
                display = Some(position);
            }
            entries.push(Entry {
                table: t,
                def,
                collection: false,
            });
        }
        let table = &mut db.tables[t];
        table.columns = columns;
        table.column_index = index;
        table.display = display;
    }
    Ok(entries)
}

fn make_column(db: &Database, table: usize, def: &ColumnDef) -> Result<Column, SimError> {
    let reference = if def.reference.is_empty() {
        None
    } else {
        Some(db.table(&def.reference).ok_or_else(|| {
            bad(format!(
                "dictionary.json: {}.{} references unknown table {}",
                db.tables[table].name, def.element, def.reference
            ))
        })?)
    };
    Ok(Column {
        element: Str::from(def.element.as_str()),
        internal_type: Str::from(def.internal_type.as_str()),
        max_length: def.max_length(),
        reference,
        reference_key: (!def.reference_key.is_empty())
            .then(|| Str::from(def.reference_key.as_str())),
        choice: def.choice,
        default_value: Str::from(def.default.as_str()),
        read_only: def.read_only,
    })
}

/// A scalar JSON value as the text a column stores (`2` → "2", `null` → ""); `None` for
/// arrays and objects. Used by the asset loader and by inserts.
pub(crate) fn json_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A full row for `table` from a sparse map: literal defaults, the given values, then the
/// system columns a record always has.
fn build_row(
    db: &Database,
    table: usize,
    values: &Map<String, Value>,
    seed: &str,
) -> Result<Vec<Str>, SimError> {
    let t = &db.tables[table];
    let empty = Str::from("");
    let mut row: Vec<Str> = t
        .columns
        .iter()
        .map(|c| {
            if c.default_value.starts_with("javascript:") {
                empty.clone()
            } else {
                c.default_value.clone()
            }
        })
        .collect();
    for (key, value) in values {
        let col = t
            .column_index
            .get(key.as_str())
            .copied()
            .ok_or_else(|| bad(format!("records: table {} has no column {key}", t.name)))?;
        let text = json_text(value)
            .ok_or_else(|| bad(format!("records: {}.{key} is not a scalar", t.name)))?;
        row[col] = Str::from(text);
    }
    let mut fill = |element: &str, value: &str| {
        if let Some(&col) = t.column_index.get(element)
            && row[col].is_empty()
        {
            row[col] = Str::from(value);
        }
    };
    fill("sys_id", &stable_sys_id(seed));
    fill("sys_class_name", &t.name);
    fill("sys_created_by", DATASET_AUTHOR);
    fill("sys_created_on", DATASET_TIME);
    fill("sys_updated_by", DATASET_AUTHOR);
    fill("sys_updated_on", DATASET_TIME);
    fill("sys_mod_count", "0");
    Ok(row)
}

fn table_named(db: &Database, name: &str) -> Result<usize, SimError> {
    db.table(name)
        .ok_or_else(|| bad(format!("dataset needs a {name} table")))
}

fn column_named(db: &Database, table: usize, element: &str) -> Result<usize, SimError> {
    db.column(table, element).ok_or_else(|| {
        bad(format!(
            "dataset: table {} has no column {element}",
            db.tables[table].name
        ))
    })
}

fn insert_field_types(db: &mut Database, file: FieldTypesFile) -> Result<(), SimError> {
    let t = table_named(db, "sys_glide_object")?;
    for row in file.types {
        let name = row.get("name").and_then(json_text).unwrap_or_default();
        let values = build_row(db, t, &row, &format!("sys_glide_object:{name}"))?;
        db.push_row(t, values);
    }
    Ok(())
}

fn insert_tables(db: &mut Database, file: &TablesFile) -> Result<(), SimError> {
    let t = table_named(db, "sys_db_object")?;
    for def in &file.tables {
        let mut values = def.row.clone();
        let table = table_named(db, &def.name)?;
        values.insert("name".into(), Value::String(def.name.clone()));
        values.insert("label".into(), Value::String(def.label.clone()));
        values.insert(
            "sys_id".into(),
            Value::String(db.tables[table].sys_id.to_string()),
        );
        let super_class = db.tables[table]
            .parent
            .map(|p| db.tables[p].sys_id.to_string())
            .unwrap_or_default();
        values.insert("super_class".into(), Value::String(super_class));
        values.insert("sys_name".into(), Value::String(def.label.to_string()));
        values.insert(
            "sys_update_name".into(),
            Value::String(format!("sys_db_object_{}", def.name)),
        );
        let row = build_row(db, t, &values, &def.name)?;
        db.push_row(t, row);
    }
    Ok(())
}

fn bool_text(b: bool) -> Str {
    Str::from(if b { "true" } else { "false" })
}

fn insert_dictionary(db: &mut Database, entries: &[Entry]) -> Result<(), SimError> {
    let t = table_named(db, "sys_dictionary")?;
    let template = build_row(db, t, &Map::new(), "template")?;
    let col = |element: &str| column_named(db, t, element);
    let c_name = col("name")?;
    let c_element = col("element")?;
    let c_label = col("column_label")?;
    let c_type = col("internal_type")?;
    let c_max = col("max_length")?;
    let c_reference = col("reference")?;
    let c_reference_key = col("reference_key")?;
    let c_mandatory = col("mandatory")?;
    let c_read_only = col("read_only")?;
    let c_active = col("active")?;
    let c_choice = col("choice")?;
    let c_default = col("default_value")?;
    let c_display = col("display")?;
    let c_primary = col("primary")?;
    let c_virtual = col("virtual")?;
    let c_dependent = col("dependent_on_field")?;
    let c_use_dependent = col("use_dependent_field")?;
    let c_sys_id = col("sys_id")?;
    let c_sys_name = col("sys_name")?;
    let c_update_name = col("sys_update_name")?;
    for entry in entries {
        let def = &entry.def;
        let table_name = db.tables[entry.table].name.clone();
        let mut row = template.clone();
        row[c_name] = table_name.clone();
        row[c_element] = Str::from(def.element.as_str());
        row[c_label] = Str::from(def.label.as_str());
        row[c_type] = Str::from(def.internal_type.as_str());
        row[c_max] = Str::from(def.max_length().to_string());
        row[c_reference] = Str::from(def.reference.as_str());
        row[c_reference_key] = Str::from(def.reference_key.as_str());
        row[c_mandatory] = bool_text(def.mandatory);
        row[c_read_only] = bool_text(def.read_only);
        row[c_active] = bool_text(def.active);
        row[c_choice] = Str::from(def.choice.to_string());
        row[c_default] = Str::from(def.default.as_str());
        row[c_display] = bool_text(def.display);
        row[c_primary] = bool_text(def.primary);
        row[c_virtual] = bool_text(def.is_virtual);
        row[c_dependent] = Str::from(def.dependent_on_field.as_str());
        row[c_use_dependent] = bool_text(!def.dependent_on_field.is_empty());
        let element_part = if entry.collection {
            "null"
        } else {
            def.element.as_str()
        };
        row[c_sys_id] = Str::from(def.sys_id.clone().unwrap_or_else(|| {
            stable_sys_id(&format!("sys_dictionary:{table_name}:{}", def.element))
        }));
        row[c_sys_name] = Str::from(def.label.as_str());
        row[c_update_name] = Str::from(format!("sys_dictionary_{table_name}_{element_part}"));
        db.push_row(t, row);
    }
    Ok(())
}

fn insert_documentation(db: &mut Database, entries: &[Entry]) -> Result<(), SimError> {
    let t = table_named(db, "sys_documentation")?;
    let template = build_row(db, t, &Map::new(), "template")?;
    let c_name = column_named(db, t, "name")?;
    let c_element = column_named(db, t, "element")?;
    let c_label = column_named(db, t, "label")?;
    let c_plural = column_named(db, t, "plural")?;
    let c_sys_id = column_named(db, t, "sys_id")?;
    for entry in entries {
        let table_name = db.tables[entry.table].name.clone();
        let mut row = template.clone();
        row[c_name] = table_name.clone();
        row[c_element] = Str::from(entry.def.element.as_str());
        row[c_label] = Str::from(entry.def.label.as_str());
        if entry.collection {
            row[c_plural] = Str::from(format!("{}s", entry.def.label));
        }
        row[c_sys_id] = Str::from(stable_sys_id(&format!(
            "sys_documentation:{table_name}:{}",
            entry.def.element
        )));
        db.push_row(t, row);
    }
    Ok(())
}

fn insert_choices(db: &mut Database, choices: &[ChoiceRow]) -> Result<(), SimError> {
    let t = table_named(db, "sys_choice")?;
    let template = build_row(db, t, &Map::new(), "template")?;
    let c_name = column_named(db, t, "name")?;
    let c_element = column_named(db, t, "element")?;
    let c_value = column_named(db, t, "value")?;
    let c_label = column_named(db, t, "label")?;
    let c_sequence = column_named(db, t, "sequence")?;
    let c_dependent = column_named(db, t, "dependent_value")?;
    let c_sys_id = column_named(db, t, "sys_id")?;
    let mut sequence: HashMap<(&str, &str), u32> = HashMap::new();
    for choice in choices {
        let seq = sequence
            .entry((choice.table.as_str(), choice.element.as_str()))
            .or_insert(0);
        *seq += 1;
        let mut row = template.clone();
        row[c_name] = Str::from(choice.table.as_str());
        row[c_element] = Str::from(choice.element.as_str());
        row[c_value] = Str::from(choice.value.as_str());
        row[c_label] = Str::from(choice.label.as_str());
        row[c_sequence] = Str::from((*seq * 10).to_string());
        row[c_dependent] = Str::from(choice.dependent_value.as_str());
        row[c_sys_id] = Str::from(stable_sys_id(&format!(
            "sys_choice:{}:{}:{}",
            choice.table, choice.element, choice.value
        )));
        db.push_row(t, row);
    }
    Ok(())
}

fn insert_seed_records(db: &mut Database, file: RecordsFile) -> Result<(), SimError> {
    for (table_name, list) in file.records {
        let t = db
            .table(&table_name)
            .ok_or_else(|| bad(format!("records.json: unknown table {table_name}")))?;
        let Value::Array(list) = list else {
            return Err(bad(format!("records.json: {table_name} is not a list")));
        };
        for (i, record) in list.iter().enumerate() {
            let Value::Object(values) = record else {
                return Err(bad(format!(
                    "records.json: {table_name}[{i}] is not an object"
                )));
            };
            let row = build_row(db, t, values, &format!("{table_name}:{i}"))?;
            db.push_row(t, row);
        }
    }
    Ok(())
}

fn ensure_integration_user(db: &mut Database, username: &str) -> Result<(), SimError> {
    let t = table_named(db, "sys_user")?;
    let c_user_name = column_named(db, t, "user_name")?;
    let c_sys_id = column_named(db, t, "sys_id")?;
    let existing = db
        .records_of(t)
        .into_iter()
        .find(|id| db.value(*id, c_user_name) == username);
    let id = match existing {
        Some(id) => id,
        None => {
            let mut values = Map::new();
            values.insert("user_name".into(), Value::String(username.into()));
            values.insert("name".into(), Value::String(username.into()));
            values.insert("title".into(), Value::String("Integration user".into()));
            values.insert(
                "web_service_access_only".into(),
                Value::String("true".into()),
            );
            let row = build_row(db, t, &values, &format!("sys_user:{username}"))?;
            db.push_row(t, row)
        }
    };
    db.user_sys_id = Str::from(db.value(id, c_sys_id));
    db.user_name = Str::from(username);
    Ok(())
}

/// Created incidents continue from the incident sys_number counter (INC0010001 and up).
fn incident_counter_start(db: &Database) -> u64 {
    let Some(t) = db.table("sys_number") else {
        return 10000;
    };
    let (Some(c_category), Some(c_number)) = (db.column(t, "category"), db.column(t, "number"))
    else {
        return 10000;
    };
    db.records_of(t)
        .into_iter()
        .find(|id| db.value(*id, c_category) == "incident")
        .and_then(|id| db.value(id, c_number).parse().ok())
        .unwrap_or(10000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        match load(&SimOptions::default()) {
            Ok(db) => db,
            Err(e) => panic!("dataset does not load: {e}"),
        }
    }

    #[test]
    fn incident_extends_task_by_sys_id() {
        let db = db();
        let incident = db.table("incident").unwrap_or(usize::MAX);
        let task = db.table("task").unwrap_or(usize::MAX);
        assert_eq!(db.tables[incident].parent, Some(task));
        let objects = db.table("sys_db_object").unwrap_or(usize::MAX);
        let name = db.column(objects, "name").unwrap_or(usize::MAX);
        let super_class = db.column(objects, "super_class").unwrap_or(usize::MAX);
        let row = db
            .records_of(objects)
            .into_iter()
            .find(|id| db.value(*id, name) == "incident");
        let row = row.unwrap_or(crate::simulator::store::RecordId { table: 0, row: 0 });
        assert_eq!(
            db.value(row, super_class),
            "4e640051203221007f441083a8e0b32b"
        );
    }

    #[test]
    fn incident_layout_has_task_columns_first_and_one_sys_id() {
        let db = db();
        let incident = db.table("incident").unwrap_or(usize::MAX);
        let task = db.table("task").unwrap_or(usize::MAX);
        let task_cols: Vec<&str> = db.tables[task]
            .columns
            .iter()
            .map(|c| &*c.element)
            .collect();
        let incident_cols: Vec<&str> = db.tables[incident]
            .columns
            .iter()
            .map(|c| &*c.element)
            .collect();
        assert_eq!(&incident_cols[..task_cols.len()], task_cols.as_slice());
        assert_eq!(incident_cols.iter().filter(|c| **c == "sys_id").count(), 1);
        assert!(incident_cols.contains(&"caller_id"));
        assert!(incident_cols.contains(&"short_description"));
    }

    #[test]
    fn dictionary_rows_per_table() {
        let db = db();
        let dict = db.table("sys_dictionary").unwrap_or(usize::MAX);
        let name = db.column(dict, "name").unwrap_or(usize::MAX);
        let element = db.column(dict, "element").unwrap_or(usize::MAX);
        let internal_type = db.column(dict, "internal_type").unwrap_or(usize::MAX);
        let incident_rows: Vec<_> = db
            .records_of(dict)
            .into_iter()
            .filter(|id| db.value(*id, name) == "incident")
            .collect();
        // 24 own columns, the sys_id row and the collection row.
        assert_eq!(incident_rows.len(), 26);
        let collection: Vec<_> = incident_rows
            .iter()
            .filter(|id| db.value(**id, element).is_empty())
            .collect();
        assert_eq!(collection.len(), 1);
        assert_eq!(db.value(*collection[0], internal_type), "collection");
    }

    #[test]
    fn extra_fields_and_mandatory_overrides() {
        let options = SimOptions {
            extra_fields: 10,
            mandatory: vec![
                "incident.caller_id".into(),
                "incident.short_description".into(),
            ],
            ..SimOptions::default()
        };
        let db = match load(&options) {
            Ok(db) => db,
            Err(e) => panic!("{e}"),
        };
        let incident = db.table("incident").unwrap_or(usize::MAX);
        let customs = db.tables[incident]
            .columns
            .iter()
            .filter(|c| c.element.starts_with("u_"))
            .count();
        assert_eq!(customs, 10);
        let dict = db.table("sys_dictionary").expect("sys_dictionary");
        let col = |name: &str| db.column(dict, name).expect("column");
        let mandatory = |table: &str, element: &str| {
            db.records_of(dict)
                .into_iter()
                .find(|id| {
                    db.value(*id, col("name")) == table && db.value(*id, col("element")) == element
                })
                .map(|id| db.value(id, col("mandatory")).to_string())
        };
        assert_eq!(mandatory("incident", "caller_id").as_deref(), Some("true"));
        assert_eq!(
            mandatory("task", "short_description").as_deref(),
            Some("true")
        );
        assert_eq!(mandatory("task", "number").as_deref(), Some("true"));
        assert_eq!(mandatory("task", "description").as_deref(), Some("false"));
    }

    #[test]
    fn every_internal_type_has_a_field_class_row() {
        let db = db();
        let glide = db.table("sys_glide_object").expect("sys_glide_object");
        let glide_name = db.column(glide, "name").expect("name");
        let known: std::collections::HashSet<String> = db
            .records_of(glide)
            .into_iter()
            .map(|id| db.value(id, glide_name).to_string())
            .collect();
        let dict = db.table("sys_dictionary").expect("sys_dictionary");
        let internal_type = db.column(dict, "internal_type").expect("internal_type");
        for id in db.records_of(dict) {
            let kind = db.value(id, internal_type);
            assert!(known.contains(kind), "no sys_glide_object row for {kind}");
        }
    }

    #[test]
    fn every_table_has_a_sys_db_object_row_and_a_collection_row() {
        let db = db();
        let objects = db.table("sys_db_object").expect("sys_db_object");
        let name = db.column(objects, "name").expect("name");
        let listed: std::collections::HashSet<String> = db
            .records_of(objects)
            .into_iter()
            .map(|id| db.value(id, name).to_string())
            .collect();
        let dict = db.table("sys_dictionary").expect("sys_dictionary");
        let d_name = db.column(dict, "name").expect("name");
        let d_element = db.column(dict, "element").expect("element");
        for table in &db.tables {
            assert!(listed.contains(&*table.name), "{}", table.name);
            let collections = db
                .records_of(dict)
                .into_iter()
                .filter(|id| {
                    db.value(*id, d_name) == &*table.name && db.value(*id, d_element).is_empty()
                })
                .count();
            assert_eq!(collections, 1, "{}", table.name);
        }
    }

    #[test]
    fn bad_mandatory_is_an_option_error() {
        let options = SimOptions {
            mandatory: vec!["incident.nope".into()],
            ..SimOptions::default()
        };
        assert!(matches!(load(&options), Err(SimError::InvalidOption(_))));
    }

    #[test]
    fn a_custom_username_gets_a_user_record() {
        let options = SimOptions {
            username: "svc.other".into(),
            ..SimOptions::default()
        };
        let db = match load(&options) {
            Ok(db) => db,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(&*db.user_name, "svc.other");
        assert_eq!(db.user_sys_id.len(), 32);
    }
}
