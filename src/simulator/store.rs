//! The simulated instance's tables and records, held in memory.
//!
//! Tables form single-inheritance hierarchies (incident extends task). A child's column layout
//! starts with its parent's layout, so a column index taken from a table is valid for records
//! of every table below it; querying `task` therefore also reads incident records, as on the
//! platform.

use std::collections::HashMap;
use std::sync::Arc;

/// Cheap-to-clone immutable string: most values repeat ("", "false", "global"...).
pub(crate) type Str = Arc<str>;

/// Where a record lives: its class table and its row there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RecordId {
    pub table: usize,
    pub row: usize,
}

/// How a read of a table the user may not read answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DenialKind {
    /// HTTP 403 (seen for platform tables such as sys_db_object).
    Forbidden,
    /// HTTP 200 with no rows and the true X-Total-Count (seen for ITSM tables).
    Empty,
}

/// One column of a table's layout: what the Table API needs to filter and render it. The
/// rest of its dictionary entry lives in the sys_dictionary records.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub element: Str,
    pub internal_type: Str,
    pub max_length: u32,
    /// Index of the referenced table.
    pub reference: Option<usize>,
    /// The referenced table's column the value holds; `None` means its sys_id.
    pub reference_key: Option<Str>,
    pub choice: u8,
    pub default_value: Str,
    /// The dictionary marks it read-only.
    pub read_only: bool,
}

impl Column {
    /// Rendered as a reference (`{"link":…,"value":…}`) by the Table API.
    pub fn is_reference(&self) -> bool {
        self.reference.is_some() && matches!(&*self.internal_type, "reference" | "domain_id")
    }

    /// Compared as numbers by `<`, `>`, `BETWEEN` and ORDERBY.
    pub fn is_numeric(&self) -> bool {
        matches!(
            &*self.internal_type,
            "integer" | "decimal" | "float" | "longint" | "currency" | "price"
        )
    }

    /// Compared as points in time (durations are stored as offsets from 1970-01-01).
    pub fn is_temporal(&self) -> bool {
        matches!(
            &*self.internal_type,
            "glide_date_time"
                | "glide_date"
                | "due_date"
                | "date"
                | "datetime"
                | "glide_duration"
                | "timer"
        )
    }
}

/// One table: its metadata, column layout and the records whose class it is.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: Str,
    pub label: Str,
    pub sys_id: Str,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub columns: Vec<Column>,
    pub column_index: HashMap<Str, usize>,
    /// The display column (own or inherited).
    pub display: Option<usize>,
    pub rows: Vec<Vec<Str>>,
    pub denial: DenialKind,
}

/// A column reached from a table, possibly through references (`super_class.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    /// (table, column) per step; every step but the last is a reference.
    pub steps: Vec<(usize, usize)>,
}

impl FieldPath {
    /// The (table, column) the path ends on.
    pub fn last(&self) -> (usize, usize) {
        self.steps.last().copied().unwrap_or((0, 0))
    }
}

/// All tables plus the indexes that make lookups cheap.
#[derive(Debug, Default)]
pub(crate) struct Database {
    pub tables: Vec<Table>,
    pub table_index: HashMap<Str, usize>,
    by_sys_id: HashMap<Str, RecordId>,
    /// (target table, key column) → key value → record, for name-keyed references.
    by_key: HashMap<(usize, usize), HashMap<Str, RecordId>>,
    /// table name → element → choices in sequence order as (value, label).
    choices: HashMap<Str, HashMap<Str, Vec<(Str, Str)>>>,
    /// The last number handed out to a created incident.
    pub incident_counter: u64,
    /// sys_id of the integration user (opened_by of created incidents).
    pub user_sys_id: Str,
    /// user_name of the integration user.
    pub user_name: Str,
}

impl Database {
    /// Index of the table called `name`.
    pub fn table(&self, name: &str) -> Option<usize> {
        self.table_index.get(name).copied()
    }

    /// Index of `element` in `table`'s layout.
    pub fn column(&self, table: usize, element: &str) -> Option<usize> {
        self.tables.get(table)?.column_index.get(element).copied()
    }

    /// `table`, then its parent, and so on up to the root. Bounded by the number of tables,
    /// so even a cyclic hierarchy (which loading refuses) ends.
    pub fn ancestors(&self, table: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(table), |t| self.tables.get(*t).and_then(|t| t.parent))
            .take(self.tables.len().max(1))
    }

    /// `table` and every table below it, parents before children.
    pub fn descendants(&self, table: usize) -> Vec<usize> {
        let mut out = vec![table];
        let mut i = 0;
        while i < out.len() {
            if let Some(t) = self.tables.get(out[i]) {
                for child in &t.children {
                    if !out.contains(child) {
                        out.push(*child);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// True when `table` is `ancestor` or extends it.
    pub fn is_a(&self, table: usize, ancestor: usize) -> bool {
        self.ancestors(table).any(|t| t == ancestor)
    }

    /// The values of a record, in its class table's layout.
    pub fn row(&self, id: RecordId) -> &[Str] {
        self.tables
            .get(id.table)
            .and_then(|t| t.rows.get(id.row))
            .map_or(&[], |r| r.as_slice())
    }

    /// One value of a record ("" when the column is out of range).
    pub fn value(&self, id: RecordId, column: usize) -> &str {
        self.row(id).get(column).map_or("", |v| v)
    }

    /// Every record readable through `table` (its own and its descendants'), in insertion order.
    pub fn records_of(&self, table: usize) -> Vec<RecordId> {
        let mut out = Vec::new();
        for t in self.descendants(table) {
            let rows = self.tables.get(t).map_or(0, |t| t.rows.len());
            out.extend((0..rows).map(|row| RecordId { table: t, row }));
        }
        out
    }

    /// The record of class `table` or below whose sys_id is `sys_id`.
    pub fn find_sys_id(&self, table: usize, sys_id: &str) -> Option<RecordId> {
        let id = *self.by_sys_id.get(sys_id)?;
        self.is_a(id.table, table).then_some(id)
    }

    /// Follow a reference stored in `column` of a record of `table`.
    pub fn follow(&self, table: usize, column: usize, value: &str) -> Option<RecordId> {
        if value.is_empty() {
            return None;
        }
        let col = self.tables.get(table)?.columns.get(column)?;
        let target = col.reference?;
        match &col.reference_key {
            None => self.find_sys_id(target, value),
            Some(key) => {
                let key_col = self.column(target, key)?;
                self.by_key.get(&(target, key_col))?.get(value).copied()
            }
        }
    }

    /// The display value of a record seen as a `table` record ("" without a display column).
    pub fn display_of(&self, table: usize, id: RecordId) -> &str {
        match self.tables.get(table).and_then(|t| t.display) {
            Some(col) => self.value(id, col),
            None => "",
        }
    }

    /// Resolve `a.b.c` from `table`; `None` when any step is unknown or not a reference.
    pub fn resolve_path(&self, table: usize, path: &str) -> Option<FieldPath> {
        let mut steps = Vec::new();
        let mut current = table;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let column = self.column(current, part)?;
            steps.push((current, column));
            if parts.peek().is_some() {
                current = self.tables.get(current)?.columns.get(column)?.reference?;
            }
        }
        (!steps.is_empty()).then_some(FieldPath { steps })
    }

    /// Walk `path` from a record: the record and column holding the final value.
    /// `None` when a reference on the way is empty or points nowhere.
    pub fn walk(&self, id: RecordId, path: &FieldPath) -> Option<(RecordId, usize)> {
        let mut current = id;
        let last = path.steps.len().saturating_sub(1);
        for (i, (table, column)) in path.steps.iter().enumerate() {
            if i == last {
                return Some((current, *column));
            }
            let value = self.value(current, *column);
            current = self.follow(*table, *column, value)?;
        }
        None
    }

    /// The value `path` reaches from a record ("" through a broken reference).
    pub fn value_at(&self, id: RecordId, path: &FieldPath) -> &str {
        match self.walk(id, path) {
            Some((rec, col)) => self.value(rec, col),
            None => "",
        }
    }

    /// The column metadata a path ends on.
    pub fn path_column(&self, path: &FieldPath) -> Option<&Column> {
        let (table, column) = path.last();
        self.tables.get(table)?.columns.get(column)
    }

    /// Choice list for `element` as seen from `table` (the nearest table that has one wins).
    pub fn choices_for(&self, table: usize, element: &str) -> Option<&[(Str, Str)]> {
        self.ancestors(table).find_map(|t| {
            let name = &*self.tables.get(t)?.name;
            self.choices.get(name)?.get(element).map(Vec::as_slice)
        })
    }

    /// The label of a choice value, if the element has a choice list with that value.
    pub fn choice_label(&self, table: usize, element: &str, value: &str) -> Option<&str> {
        self.choices_for(table, element)?
            .iter()
            .find(|(v, _)| &**v == value)
            .map(|(_, label)| &**label)
    }

    /// Register a choice list (dataset loading).
    pub fn add_choices(&mut self, table: &str, element: &str, list: Vec<(Str, Str)>) {
        self.choices
            .entry(Str::from(table))
            .or_default()
            .entry(Str::from(element))
            .or_default()
            .extend(list);
    }

    /// Add a record of class `table`; keeps the indexes current.
    pub fn insert(&mut self, table: usize, row: Vec<Str>) -> RecordId {
        let id = RecordId {
            table,
            row: self.tables.get(table).map_or(0, |t| t.rows.len()),
        };
        if let Some(sys_id_col) = self.column(table, "sys_id")
            && let Some(sys_id) = row.get(sys_id_col)
        {
            self.by_sys_id.insert(sys_id.clone(), id);
        }
        let ancestors: Vec<usize> = self.ancestors(table).collect();
        for ((target, key_col), index) in &mut self.by_key {
            if ancestors.contains(target)
                && let Some(key) = row.get(*key_col)
            {
                index.entry(key.clone()).or_insert(id);
            }
        }
        self.push_row(table, row)
    }

    /// Change one value of a record, keeping the name-keyed indexes current.
    pub fn set_value(&mut self, id: RecordId, column: usize, value: Str) {
        let Some(slot) = self
            .tables
            .get_mut(id.table)
            .and_then(|t| t.rows.get_mut(id.row))
            .and_then(|r| r.get_mut(column))
        else {
            return;
        };
        *slot = value;
        let keyed = self
            .by_key
            .keys()
            .any(|(target, key_col)| *key_col == column && self.is_a(id.table, *target));
        if keyed || self.column(id.table, "sys_id") == Some(column) {
            self.reindex();
        }
    }

    /// Remove a record. Row numbers after it shift, so every index is rebuilt; records are
    /// deleted rarely enough for that to be cheap.
    pub fn delete(&mut self, id: RecordId) {
        if let Some(t) = self.tables.get_mut(id.table)
            && id.row < t.rows.len()
        {
            t.rows.remove(id.row);
            self.reindex();
        }
    }

    /// True when some record already has `sys_id`.
    pub fn sys_id_taken(&self, sys_id: &str) -> bool {
        self.by_sys_id.contains_key(sys_id)
    }

    /// Add a record of class `table` without touching the indexes: dataset loading adds every
    /// record this way and then calls [`Database::reindex`] once.
    pub fn push_row(&mut self, table: usize, row: Vec<Str>) -> RecordId {
        let id = RecordId {
            table,
            row: self.tables.get(table).map_or(0, |t| t.rows.len()),
        };
        if let Some(t) = self.tables.get_mut(table) {
            t.rows.push(row);
        }
        id
    }

    /// Build the sys_id index, and the key index of every name-keyed reference target, from
    /// the records (dataset loading).
    pub fn reindex(&mut self) {
        let mut by_sys_id = HashMap::new();
        for (t, table) in self.tables.iter().enumerate() {
            let Some(col) = table.column_index.get("sys_id").copied() else {
                continue;
            };
            for (row, values) in table.rows.iter().enumerate() {
                if let Some(sys_id) = values.get(col) {
                    by_sys_id.insert(sys_id.clone(), RecordId { table: t, row });
                }
            }
        }
        self.by_sys_id = by_sys_id;
        let mut keys = Vec::new();
        for table in &self.tables {
            for column in &table.columns {
                if let (Some(target), Some(key)) = (column.reference, &column.reference_key)
                    && let Some(key_col) = self.column(target, key)
                {
                    keys.push((target, key_col));
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        self.by_key = keys
            .into_iter()
            .map(|(target, key_col)| ((target, key_col), self.key_index(target, key_col)))
            .collect();
    }

    /// Key value → first record of `target` (or below) holding it in `key_col`.
    fn key_index(&self, target: usize, key_col: usize) -> HashMap<Str, RecordId> {
        let mut index = HashMap::new();
        for id in self.records_of(target) {
            index
                .entry(Str::from(self.value(id, key_col)))
                .or_insert(id);
        }
        index
    }
}

/// A stable 32-hex sys_id derived from `seed` (dataset rows without one of their own).
pub(crate) fn stable_sys_id(seed: &str) -> String {
    fn fnv(seed: &str, basis: u64) -> u64 {
        seed.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    format!(
        "{:016x}{:016x}",
        fnv(seed, 0xcbf2_9ce4_8422_2325),
        fnv(seed, 0x6c62_272e_07bb_0142)
    )
}

/// A fresh random 32-hex sys_id (created records).
pub(crate) fn random_sys_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_32_hex_and_stable() {
        let a = stable_sys_id("sys_dictionary:incident:caller_id");
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(a, stable_sys_id("sys_dictionary:incident:caller_id"));
        assert_ne!(a, stable_sys_id("sys_dictionary:incident:category"));
    }

    #[test]
    fn random_ids_are_32_lower_hex() {
        let a = random_sys_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        assert_ne!(a, random_sys_id());
    }
}
