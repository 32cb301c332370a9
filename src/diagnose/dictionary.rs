//! Dictionary discovery: walk `sys_db_object.super_class` from a table up, read the dictionary
//! of the whole chain in one paginated query, join type labels and choices, and classify what
//! the Additional Fields picker may offer.

use std::collections::HashMap;

use super::probes::{Access, ReadOk, ReadOutcome, access, hidden_evidence, non_empty, raw_value};
use super::rows::{ChoiceRow, DictRow, GlideRow, Row, decoder};
use crate::dictionary::{Choice, Dictionary, DictionaryError, Field, FieldKind, HiddenReason};
use crate::dictionary::{Interner, Name};
use crate::servicenow::{Budget, Client, EncodedQuery, Error, Record, TableQuery};

/// How many parent levels the `sys_db_object` read dot-walks (`super_class.super_class.name`),
/// so that the usual chains are known from one request.
const CHAIN_DEPTH: usize = 3;
/// Guard against a `super_class` loop in broken metadata.
const MAX_CHAIN: usize = 16;

/// `super_class.` repeated `k` times.
fn prefix(k: usize) -> String {
    "super_class.".repeat(k)
}

/// The `sys_db_object` fields that give a table's name and its ancestors' names at once.
pub(crate) fn chain_fields() -> Vec<String> {
    (0..=CHAIN_DEPTH)
        .flat_map(|k| {
            [
                format!("{}name", prefix(k)),
                format!("{}super_class", prefix(k)),
            ]
        })
        .collect()
}

/// `sys_db_object` row of `table`, with its ancestors dot-walked.
pub(crate) fn chain_query_by_name(table: &str) -> TableQuery {
    TableQuery::new("sys_db_object")
        .query(EncodedQuery::new().eq("name", table))
        .fields(&chain_fields())
        .exclude_reference_link()
        .limit(1)
}

fn chain_query_by_id(sys_id: &str) -> TableQuery {
    TableQuery::new("sys_db_object")
        .query(EncodedQuery::new().eq("sys_id", sys_id))
        .fields(&chain_fields())
        .exclude_reference_link()
        .limit(1)
}

/// The dictionary columns discovery needs (and nothing else: the rows are many).
pub(crate) const DICT_FIELDS: [&str; 13] = [
    "name",
    "element",
    "column_label",
    "internal_type",
    "max_length",
    "mandatory",
    "read_only",
    "active",
    "reference",
    "choice",
    // Virtual (calculated) columns cannot be set; the Table API ignores it where it is unknown.
    "virtual",
    // Dependent choice lists (subcategory on category); also ignored where unknown.
    "dependent_on_field",
    "use_dependent_field",
];

/// Dictionary columns that must have a value in readable rows.
pub(crate) const DICT_REQUIRED: [&str; 4] = ["name", "element", "internal_type", "column_label"];

/// One query for the whole chain: `nameINincident,task^elementISNOTEMPTY`.
pub(crate) fn dictionary_query(chain: &[String]) -> TableQuery {
    TableQuery::new("sys_dictionary")
        .query(
            EncodedQuery::new()
                .is_in("name", chain)
                .is_not_empty("element"),
        )
        .fields(&DICT_FIELDS)
        .exclude_reference_link()
}

/// The `sys_choice` columns discovery needs.
pub(crate) const CHOICE_FIELDS: [&str; 8] = [
    "name",
    "element",
    "value",
    "label",
    "sequence",
    "inactive",
    "dependent_value",
    "language",
];

/// Choice columns that must have a value in readable rows.
pub(crate) const CHOICE_REQUIRED: [&str; 3] = ["element", "value", "label"];

/// Active choices of every table in the chain.
pub(crate) fn choice_query(chain: &[String]) -> TableQuery {
    TableQuery::new("sys_choice")
        .query(
            EncodedQuery::new()
                .is_in("name", chain)
                .eq("inactive", "false"),
        )
        .fields(&CHOICE_FIELDS)
        .exclude_reference_link()
}

/// The `sys_glide_object` columns for type labels.
pub(crate) const GLIDE_FIELDS: [&str; 2] = ["name", "label"];

/// Every field class with its label (a few hundred small rows).
pub(crate) fn glide_query() -> TableQuery {
    TableQuery::new("sys_glide_object").fields(&GLIDE_FIELDS)
}

/// The chain to read speculatively, before `sys_db_object` confirms it: incident extends task
/// on every instance, so its dictionary can be fetched in the same round trip as the chain.
pub(crate) fn guess_chain(table: &str) -> Option<Vec<String>> {
    (table == "incident").then(|| vec!["incident".to_string(), "task".to_string()])
}

/// One page of a read within `budget`, decoded into `R` rows.
pub(crate) async fn read_page<R: Row>(
    client: &Client,
    q: &TableQuery,
    budget: &Budget,
) -> ReadOutcome<R> {
    let mut records = Vec::new();
    let mut names = Interner::default();
    let info = client
        .get_page_rows(q, budget, decoder(&mut records, &mut names))
        .await?;
    Ok(ReadOk {
        records,
        total: info.total,
        requests: info.requests,
    })
}

/// Every page of a read within `budget` through the client's pagination (concurrent when
/// the count is known), each page decoded into `R` rows as it arrives.
pub(crate) async fn read_all<R: Row>(
    client: &Client,
    q: &TableQuery,
    budget: &Budget,
) -> ReadOutcome<R> {
    read_all_keeping(client, q, budget).await.0
}

/// [`read_all`], and when snow-connect's limit stopped it after rows had come back, those
/// rows: they prove what an ACL probe asks (the table and its fields are readable) although
/// the read as a whole failed. They are kept only as long as the caller looks at them; the
/// outcome (the error) is what discovery sees.
pub(crate) async fn read_all_keeping<R: Row>(
    client: &Client,
    q: &TableQuery,
    budget: &Budget,
) -> (ReadOutcome<R>, Option<ReadOk<R>>) {
    let mut records = Vec::new();
    let mut names = Interner::default();
    let read = client
        .get_all_rows(q, budget, decoder(&mut records, &mut names))
        .await;
    match read {
        Ok(info) => {
            records.shrink_to_fit();
            let ok = ReadOk {
                records,
                total: info.total,
                requests: info.requests,
            };
            (Ok(ok), None)
        }
        Err(Error::OverBudget(over)) if !records.is_empty() => {
            let before = ReadOk {
                records,
                total: over.claimed,
                // Not counted anywhere: the outcome (the error) is what the caller reports.
                requests: 0,
            };
            (Err(Error::OverBudget(over)), Some(before))
        }
        Err(e) => (Err(e), None),
    }
}

fn requests_of<R>(r: &ReadOutcome<R>) -> usize {
    r.as_ref().map(|ok| ok.requests).unwrap_or(1)
}

/// Reads already made (by the ACL probes) that discovery can reuse.
#[derive(Debug, Default)]
pub(crate) struct Prefetch {
    /// `sys_db_object` read of the table (see [`chain_query_by_name`]).
    pub chain: Option<ReadOutcome>,
    /// `sys_glide_object` read (see [`glide_query`]).
    pub glide: Option<ReadOutcome<GlideRow>>,
    /// Dictionary read for the given chain.
    pub dictionary: Option<(Vec<String>, ReadOutcome<DictRow>)>,
    /// Choice read for the given chain.
    pub choices: Option<(Vec<String>, ReadOutcome<ChoiceRow>)>,
}

/// Map a read that discovery cannot do without to the missing ACL.
fn required_read<R: Row>(
    table: &str,
    read: ReadOutcome<R>,
    must_have: &[&'static str],
) -> Result<Vec<R>, DictionaryError> {
    match access(&read, must_have) {
        Access::Readable { hidden, .. } if hidden.is_empty() => {
            Ok(read.map(|ok| ok.records).unwrap_or_default())
        }
        Access::Readable { hidden, .. } => Err(DictionaryError::Denied {
            acl: format!("{table}.*"),
            evidence: hidden_evidence(&hidden),
        }),
        Access::TableDenied { evidence } | Access::Empty { evidence } => {
            Err(DictionaryError::Denied {
                acl: table.to_string(),
                evidence,
            })
        }
        Access::QueryFieldsDenied { evidence } => Err(DictionaryError::Denied {
            acl: format!("{table}.*"),
            evidence,
        }),
        Access::Failed(e) => Err(DictionaryError::Client(e)),
    }
}

/// An optional read: its records when fully readable, `None` when a read ACL hides them.
///
/// A failure that says nothing about access (rate limit, network, server error) is an error,
/// not "unreadable": reporting it as not loaded would blame a missing ACL, and `send` would
/// skip a check it could make once the instance answers again.
fn optional_read<R: Row>(
    read: ReadOutcome<R>,
    must_have: &[&'static str],
) -> Result<Option<Vec<R>>, DictionaryError> {
    match access(&read, must_have) {
        Access::Readable { hidden, .. } if hidden.is_empty() => {
            Ok(Some(read.map(|ok| ok.records).unwrap_or_default()))
        }
        Access::Empty { .. } => Ok(Some(Vec::new())),
        Access::Failed(e) => Err(DictionaryError::Client(e)),
        Access::Readable { .. } | Access::TableDenied { .. } | Access::QueryFieldsDenied { .. } => {
            Ok(None)
        }
    }
}

/// Where the walk up `super_class` goes next.
#[derive(Debug, PartialEq, Eq)]
enum ChainStep {
    /// The chain is complete.
    Done,
    /// Read this sys_db_object row by sys_id (dot-walking stopped before the top).
    ById(String),
    /// Read this table's row by name (its parent was not in the answer).
    ByName(String),
}

/// Add the tables one `sys_db_object` row names to `chain`; say where to go next.
fn walk_record(rec: &Record, chain: &mut Vec<String>) -> Result<ChainStep, DictionaryError> {
    let denied = |what: &str| DictionaryError::Denied {
        acl: "sys_db_object.*".to_string(),
        evidence: format!("HTTP 200: records came back without the field {what}"),
    };
    let name = non_empty(rec, "name").ok_or_else(|| denied("name"))?;
    // A present-but-empty super_class means "no parent"; an absent one means "hidden".
    let mut parent = raw_value(rec, "super_class").ok_or_else(|| denied("super_class"))?;
    chain.push(name);
    for k in 1..=CHAIN_DEPTH {
        if parent.is_empty() {
            return Ok(ChainStep::Done);
        }
        let p = prefix(k);
        let Some(level_name) = non_empty(rec, &format!("{p}name")) else {
            return Ok(ChainStep::ById(parent));
        };
        match raw_value(rec, &format!("{p}super_class")) {
            Some(next) => {
                chain.push(level_name);
                parent = next;
            }
            None => return Ok(ChainStep::ByName(level_name)),
        }
    }
    if parent.is_empty() {
        Ok(ChainStep::Done)
    } else {
        Ok(ChainStep::ById(parent))
    }
}

/// Walk from `table` up to the root table, starting from the first `sys_db_object` read.
async fn walk_chain(
    client: &Client,
    table: &str,
    first: ReadOutcome,
    budget: &Budget,
    requests: &mut usize,
) -> Result<Vec<String>, DictionaryError> {
    // An empty answer with no count behind it: the table is not there.
    if matches!(access(&first, &["name"]), Access::Empty { .. }) {
        return Err(DictionaryError::NoSuchTable(table.to_string()));
    }
    let records = required_read("sys_db_object", first, &["name"])?;
    let mut rec = records
        .iter()
        .find(|r| non_empty(r, "name").as_deref() == Some(table))
        .or_else(|| records.first())
        .cloned()
        .ok_or_else(|| DictionaryError::NoSuchTable(table.to_string()))?;
    let mut chain: Vec<String> = Vec::new();
    loop {
        let next = walk_record(&rec, &mut chain)?;
        let mut seen = std::collections::HashSet::new();
        if chain.len() > MAX_CHAIN || !chain.iter().all(|t| seen.insert(t.as_str())) {
            return Err(DictionaryError::Client(Error::InvalidResponse {
                url: "sys_db_object".to_string(),
                reason: format!("the super_class chain of {table} loops or is too long"),
            }));
        }
        let q = match next {
            ChainStep::Done => return Ok(chain),
            ChainStep::ById(id) => chain_query_by_id(&id),
            ChainStep::ByName(name) => chain_query_by_name(&name),
        };
        let read = read_page::<Record>(client, &q, budget).await;
        *requests += requests_of(&read);
        // A parent row that exists but cannot be seen is a row-level denial on sys_db_object.
        let rows = match required_read("sys_db_object", read, &["name"])? {
            rows if rows.is_empty() => {
                return Err(DictionaryError::Denied {
                    acl: "sys_db_object".to_string(),
                    evidence: "HTTP 200 with no records for a parent table".to_string(),
                });
            }
            rows => rows,
        };
        rec = rows.into_iter().next().unwrap_or_default();
    }
}

/// Discovery, reusing whatever the ACL probes already read.
pub(crate) async fn discover_with(
    client: &Client,
    table: &str,
    pre: Prefetch,
    budget: &Budget,
) -> Result<Dictionary, DictionaryError> {
    let mut requests = 0usize;
    // First round, concurrently: the chain, the type labels and, for a table whose chain is
    // known in advance, that chain's dictionary and choices.
    let guess = guess_chain(table);
    let (chain_q, glide_q) = (chain_query_by_name(table), glide_query());
    let chain_read = async {
        match pre.chain {
            Some(r) => r,
            None => read_page(client, &chain_q, budget).await,
        }
    };
    let glide_read = async {
        match pre.glide {
            Some(r) => r,
            None => read_all(client, &glide_q, budget).await,
        }
    };
    let dict_guess = async {
        match (pre.dictionary, &guess) {
            (Some(read), _) => Some(read),
            (None, Some(g)) => Some((
                g.clone(),
                read_all(client, &dictionary_query(g), budget).await,
            )),
            (None, None) => None,
        }
    };
    let choice_guess = async {
        match (pre.choices, &guess) {
            (Some(read), _) => Some(read),
            (None, Some(g)) => Some((g.clone(), read_all(client, &choice_query(g), budget).await)),
            (None, None) => None,
        }
    };
    let (chain_read, glide_read, dict_guess, choice_guess) =
        futures::join!(chain_read, glide_read, dict_guess, choice_guess);
    requests += requests_of(&chain_read) + requests_of(&glide_read);
    let chain = walk_chain(client, table, chain_read, budget, &mut requests).await?;

    // Second round, only where the chain differs from the guess.
    let dict_read = async {
        match dict_guess {
            Some((guess, r)) if guess == chain => r,
            // A wrong guess is not counted below: its requests were not part of this answer.
            _ => read_all(client, &dictionary_query(&chain), budget).await,
        }
    };
    let choice_read = async {
        match choice_guess {
            Some((guess, r)) if guess == chain => r,
            _ => read_all(client, &choice_query(&chain), budget).await,
        }
    };
    let (dict_read, choice_read) = futures::join!(dict_read, choice_read);
    requests += requests_of(&dict_read) + requests_of(&choice_read);

    let dict = required_read(
        "sys_dictionary",
        dict_read,
        &["name", "element", "internal_type"],
    )?;
    let glide = optional_read(glide_read, &GLIDE_FIELDS)?;
    let choices = optional_read(choice_read, &CHOICE_REQUIRED)?;
    let choices_loaded = choices.is_some();
    let fields = build_fields(&chain, dict, glide.as_deref(), choices);
    Ok(Dictionary {
        table: table.to_string(),
        chain,
        fields,
        choices_loaded,
        type_labels_loaded: glide.is_some(),
        requests,
        pruned: None,
    })
}

/// Discover the dictionary of `table` (incident: incident + task).
///
/// Round trips: the chain, type labels and (for incident, whose chain is known in advance)
/// the dictionary and choices in one concurrent round; a second round only when the chain
/// differs from the guess. Remaining dictionary pages are fetched concurrently by the client.
pub async fn discover_dictionary(
    client: &Client,
    table: &str,
) -> Result<Dictionary, DictionaryError> {
    let budget = Budget::new(client.budget_limits());
    discover_with(client, table, Prefetch::default(), &budget).await
}

/// Choices per element: rows of the most-derived table that has any for that element win;
/// inactive and non-English rows are dropped; ordered by sequence. Consumes the rows, so
/// their text moves into the choices instead of being copied.
fn merge_choices(chain: &[String], rows: Vec<ChoiceRow>) -> HashMap<Name, Vec<Choice>> {
    // element -> (table depth, [(sequence, choice)])
    let mut best: HashMap<Name, (usize, Vec<(i64, Choice)>)> = HashMap::new();
    for r in rows {
        let (Some(name), Some(element), Some(value)) = (r.name, r.element, r.value) else {
            continue;
        };
        let Some(depth) = chain.iter().position(|t| name == *t) else {
            continue;
        };
        if r.inactive {
            continue;
        }
        if let Some(lang) = &r.language
            && *lang != "en"
        {
            continue;
        }
        let value = value.into_string();
        let choice = Choice {
            label: r.label.map_or_else(|| value.clone(), |l| l.into_string()),
            value,
            dependent_value: r.dependent_value.map(|d| d.into_string()),
        };
        let entry = best.entry(element).or_insert((depth, Vec::new()));
        if depth < entry.0 {
            *entry = (depth, Vec::new());
        }
        if depth == entry.0 {
            entry.1.push((r.sequence, choice));
        }
    }
    best.into_iter()
        .map(|(element, (_, mut list))| {
            list.sort_by_key(|(seq, _)| *seq);
            (element, list.into_iter().map(|(_, c)| c).collect())
        })
        .collect()
}

/// `a` and `b` compared as their lower-case forms, without making them.
fn cmp_lowercase(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Build the field list from dictionary rows: the most-derived definition of each column
/// wins. Consumes the rows: their names move into the fields instead of being copied, so a
/// large dictionary is never held twice.
pub(crate) fn build_fields(
    chain: &[String],
    dict: Vec<DictRow>,
    glide: Option<&[GlideRow]>,
    choices: Option<Vec<ChoiceRow>>,
) -> Vec<Field> {
    // The winning row (and its depth in the chain) of each column, by position.
    let mut winners: Vec<Option<usize>> = vec![None; dict.len()];
    {
        let mut best: HashMap<&str, (usize, usize)> = HashMap::new();
        for (i, r) in dict.iter().enumerate() {
            let (Some(name), Some(element)) = (&r.name, &r.element) else {
                continue;
            };
            let Some(depth) = chain.iter().position(|t| name == t) else {
                continue;
            };
            match best.get(element.as_ref()) {
                Some((d, _)) if *d <= depth => {}
                _ => {
                    best.insert(element, (depth, i));
                }
            }
        }
        for (depth, i) in best.into_values() {
            winners[i] = Some(depth);
        }
    }
    // Thousands of rows repeat a few dozen table, type and reference names: share them.
    let mut names = Interner::default();
    let type_labels: HashMap<&str, &str> = glide
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.name.as_deref()?, r.label.as_deref()?)))
        .collect();
    let mut choice_map = choices
        .map(|rows| merge_choices(chain, rows))
        .unwrap_or_default();

    let mut fields: Vec<Field> = Vec::with_capacity(winners.iter().flatten().count());
    for (r, depth) in dict.into_iter().zip(winners) {
        let (Some(depth), Some(element)) = (depth, r.element) else {
            continue;
        };
        let element = element.into_string();
        let internal_type = r.internal_type.as_deref().unwrap_or_default();
        let choices = choice_map.remove(element.as_str()).unwrap_or_default();
        let (kind, hidden) = classify(&Traits {
            element: &element,
            internal_type,
            read_only: r.read_only,
            active: r.active,
            is_virtual: r.is_virtual,
            choice_attr: &r.choice,
            has_choices: !choices.is_empty(),
        });
        fields.push(Field {
            label: r.label.map_or_else(|| element.clone(), |l| l.into_string()),
            type_label: names.intern(
                type_labels
                    .get(internal_type)
                    .copied()
                    .unwrap_or(internal_type),
            ),
            defined_on: names.intern(&chain[depth]),
            reference: r.reference.as_deref().map(|t| names.intern(t)),
            max_length: r.max_length,
            mandatory: r.mandatory,
            read_only: r.read_only,
            choices,
            dependent_on: r.dependent_on.map(|d| d.into_string()),
            kind,
            hidden,
            internal_type: names.intern(internal_type),
            element,
        });
    }
    fields
        .sort_by(|a, b| cmp_lowercase(&a.label, &b.label).then_with(|| a.element.cmp(&b.element)));
    fields
}

/// What classification looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Traits<'a> {
    pub element: &'a str,
    pub internal_type: &'a str,
    pub read_only: bool,
    pub active: bool,
    pub is_virtual: bool,
    /// sys_dictionary `choice`: "" / "0" none, "1" and "3" dropdowns, "2" suggestions.
    pub choice_attr: &'a str,
    pub has_choices: bool,
}

/// What the Additional Fields picker may offer a column as, or why it is hidden.
pub(crate) fn classify(t: &Traits<'_>) -> (Option<FieldKind>, Option<HiddenReason>) {
    let hide = |r| (None, Some(r));
    if matches!(t.element, "short_description" | "description") {
        return hide(HiddenReason::FilledFromAlert);
    }
    if t.element.starts_with("sys_") {
        return hide(HiddenReason::System);
    }
    match t.internal_type {
        "journal" | "journal_input" | "journal_list" => return hide(HiddenReason::Journal),
        "glide_list" => return hide(HiddenReason::List),
        "variables" | "user_input" | "related_tags" | "variable_conditions" | "collection" => {
            return hide(HiddenReason::Special);
        }
        _ => {}
    }
    let choice_list = match t.choice_attr.trim() {
        "1" | "3" => true,
        "2" => false,
        _ => t.has_choices,
    };
    let kind = match t.internal_type {
        "string" if choice_list => FieldKind::Choice,
        "string" => FieldKind::String,
        "integer" if choice_list => FieldKind::Choice,
        "integer" => FieldKind::Integer,
        "choice" => FieldKind::Choice,
        "boolean" => FieldKind::Boolean,
        "reference" => FieldKind::Reference,
        _ => return hide(HiddenReason::UnsupportedType),
    };
    if t.read_only || !t.active || t.is_virtual {
        return hide(HiddenReason::ReadOnly);
    }
    (Some(kind), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: serde_json::Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    fn dict_row(
        name: &str,
        element: &str,
        label: &str,
        ty: &str,
        extra: serde_json::Value,
    ) -> Record {
        let mut r = rec(json!({
            "name": name, "element": element, "column_label": label, "internal_type": ty,
            "max_length": "40", "mandatory": "false", "read_only": "false", "active": "true",
            "reference": "", "choice": "0",
        }));
        if let Some(o) = extra.as_object() {
            for (k, v) in o {
                r.insert(k.clone(), v.clone());
            }
        }
        r
    }

    fn chain() -> Vec<String> {
        vec!["incident".into(), "task".into()]
    }

    /// Records as the typed rows a page of them decodes into.
    fn typed<R: Row>(records: &[Record]) -> Vec<R> {
        let values: Vec<serde_json::Value> = records
            .iter()
            .map(|r| serde_json::Value::Object(r.clone()))
            .collect();
        super::super::rows::rows_of(&values)
    }

    fn typed_read<R: Row>(read: ReadOutcome) -> ReadOutcome<R> {
        read.map(|ok| ReadOk {
            records: typed(&ok.records),
            total: ok.total,
            requests: ok.requests,
        })
    }

    fn traits<'a>(element: &'a str, ty: &'a str) -> Traits<'a> {
        Traits {
            element,
            internal_type: ty,
            read_only: false,
            active: true,
            is_virtual: false,
            choice_attr: "",
            has_choices: false,
        }
    }

    #[test]
    fn child_definition_wins_and_columns_are_unique() {
        let dict = vec![
            dict_row(
                "task",
                "sys_id",
                "Sys ID",
                "GUID",
                json!({"max_length": "32"}),
            ),
            dict_row(
                "incident",
                "sys_id",
                "Sys ID",
                "GUID",
                json!({"max_length": "32"}),
            ),
            dict_row("task", "priority", "Priority", "integer", json!({})),
            dict_row(
                "incident",
                "caller_id",
                "Caller",
                "reference",
                json!({"reference": "sys_user"}),
            ),
            dict_row("problem", "not_in_chain", "X", "string", json!({})),
        ];
        let fields = build_fields(&chain(), typed(&dict), None, None);
        let names: Vec<&str> = fields.iter().map(|f| f.element.as_str()).collect();
        assert_eq!(names, vec!["caller_id", "priority", "sys_id"]);
        let sys_id = fields.iter().find(|f| f.element == "sys_id");
        assert_eq!(sys_id.map(|f| f.defined_on.as_str()), Some("incident"));
        let caller = fields.iter().find(|f| f.element == "caller_id");
        assert_eq!(
            caller.and_then(|f| f.reference.as_deref()),
            Some("sys_user")
        );
        assert_eq!(caller.and_then(|f| f.kind), Some(FieldKind::Reference));
        // Without sys_glide_object, the type label is the type name.
        assert_eq!(caller.map(|f| f.type_label.as_str()), Some("reference"));
    }

    #[test]
    fn type_labels_and_choices_are_joined_child_overriding_parent() {
        let dict = vec![
            dict_row("task", "state", "State", "integer", json!({"choice": "3"})),
            dict_row(
                "task",
                "urgency",
                "Urgency",
                "integer",
                json!({"choice": "1"}),
            ),
            dict_row("incident", "category", "Category", "string", json!({})),
        ];
        let glide = vec![
            rec(json!({"name": "integer", "label": "Integer"})),
            rec(json!({"name": "string", "label": "String"})),
        ];
        let choices = vec![
            rec(
                json!({"name": "task", "element": "state", "value": "1", "label": "Open", "sequence": "1", "inactive": "false"}),
            ),
            rec(
                json!({"name": "incident", "element": "state", "value": "2", "label": "In Progress", "sequence": "2", "inactive": "false"}),
            ),
            rec(
                json!({"name": "incident", "element": "state", "value": "1", "label": "New", "sequence": "1", "inactive": "false"}),
            ),
            rec(
                json!({"name": "incident", "element": "state", "value": "8", "label": "Canceled", "sequence": "8", "inactive": "true"}),
            ),
            rec(
                json!({"name": "task", "element": "urgency", "value": "3", "label": "3 - Low", "sequence": "3"}),
            ),
            rec(
                json!({"name": "task", "element": "urgency", "value": "1", "label": "1 - High", "sequence": "1"}),
            ),
            rec(
                json!({"name": "task", "element": "urgency", "value": "1", "label": "1 - Hoch", "sequence": "1", "language": "de"}),
            ),
            rec(
                json!({"name": "incident", "element": "category", "value": "network", "label": "Network", "sequence": "", "dependent_value": ""}),
            ),
        ];
        let fields = build_fields(
            &chain(),
            typed(&dict),
            Some(&typed(&glide)),
            Some(typed(&choices)),
        );
        let get = |e: &str| fields.iter().find(|f| f.element == e).cloned();
        let state = get("state").unwrap_or_else(|| panic!("state missing"));
        let values: Vec<&str> = state.choices.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            values,
            vec!["1", "2"],
            "incident's rows replace task's; inactive dropped"
        );
        assert_eq!(state.choices[0].label, "New");
        assert_eq!(state.kind, Some(FieldKind::Choice));
        assert_eq!(state.type_label, "Integer");
        let urgency = get("urgency").unwrap_or_else(|| panic!("urgency missing"));
        let labels: Vec<&str> = urgency.choices.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["1 - High", "3 - Low"],
            "by sequence, English only"
        );
        // A string column with choices (and no choice attribute) is a choice field.
        assert_eq!(
            get("category").and_then(|f| f.kind),
            Some(FieldKind::Choice)
        );
    }

    #[test]
    fn classification_hides_what_the_picker_cannot_set() {
        use HiddenReason::*;
        let cases: Vec<(Traits, Option<FieldKind>, Option<HiddenReason>)> = vec![
            (
                traits("short_description", "string"),
                None,
                Some(FilledFromAlert),
            ),
            (traits("description", "string"), None, Some(FilledFromAlert)),
            (traits("sys_id", "GUID"), None, Some(System)),
            (
                traits("sys_created_on", "glide_date_time"),
                None,
                Some(System),
            ),
            (traits("work_notes", "journal_input"), None, Some(Journal)),
            (traits("approval_history", "journal"), None, Some(Journal)),
            (
                traits("comments_and_work_notes", "journal_list"),
                None,
                Some(Journal),
            ),
            (traits("watch_list", "glide_list"), None, Some(List)),
            (traits("variables", "variables"), None, Some(Special)),
            (traits("user_input", "user_input"), None, Some(Special)),
            (
                traits("origin_id", "document_id"),
                None,
                Some(UnsupportedType),
            ),
            (
                traits("origin_table", "table_name"),
                None,
                Some(UnsupportedType),
            ),
            (
                traits("opened_at", "glide_date_time"),
                None,
                Some(UnsupportedType),
            ),
            (
                traits("business_duration", "glide_duration"),
                None,
                Some(UnsupportedType),
            ),
            (traits("time_worked", "timer"), None, Some(UnsupportedType)),
            (traits("sla_due", "due_date"), None, Some(UnsupportedType)),
            (
                traits("close_notes", "string"),
                Some(FieldKind::String),
                None,
            ),
            (
                traits("reopen_count", "integer"),
                Some(FieldKind::Integer),
                None,
            ),
            (
                traits("knowledge", "boolean"),
                Some(FieldKind::Boolean),
                None,
            ),
            (
                traits("assignment_group", "reference"),
                Some(FieldKind::Reference),
                None,
            ),
            (
                Traits {
                    read_only: true,
                    ..traits("number", "string")
                },
                None,
                Some(ReadOnly),
            ),
            (
                Traits {
                    active: false,
                    ..traits("old", "string")
                },
                None,
                Some(ReadOnly),
            ),
            (
                Traits {
                    is_virtual: true,
                    ..traits("task_effective_number", "string")
                },
                None,
                Some(ReadOnly),
            ),
            (
                Traits {
                    choice_attr: "1",
                    ..traits("impact", "integer")
                },
                Some(FieldKind::Choice),
                None,
            ),
            (
                Traits {
                    choice_attr: "2",
                    has_choices: true,
                    ..traits("suggest", "string")
                },
                Some(FieldKind::String),
                None,
            ),
        ];
        for (t, kind, hidden) in cases {
            assert_eq!(classify(&t), (kind, hidden), "{}", t.element);
        }
    }

    #[test]
    fn chain_is_read_from_dot_walked_fields() {
        let r = rec(json!({
            "name": "incident", "super_class": "t1",
            "super_class.name": "task", "super_class.super_class": "",
            "super_class.super_class.name": "", "super_class.super_class.super_class": ""
        }));
        let mut chain = Vec::new();
        assert_eq!(walk_record(&r, &mut chain).ok(), Some(ChainStep::Done));
        assert_eq!(chain, vec!["incident", "task"]);
    }

    #[test]
    fn chain_without_dot_walking_continues_by_sys_id() {
        let r = rec(json!({"name": "incident", "super_class": "abc"}));
        let mut chain = Vec::new();
        assert_eq!(
            walk_record(&r, &mut chain).ok(),
            Some(ChainStep::ById("abc".into()))
        );
        assert_eq!(chain, vec!["incident"]);
        let top = rec(json!({"name": "task", "super_class": ""}));
        assert_eq!(walk_record(&top, &mut chain).ok(), Some(ChainStep::Done));
        assert_eq!(chain, vec!["incident", "task"]);
    }

    #[test]
    fn hidden_super_class_is_a_field_denial() {
        let r = rec(json!({"name": "incident"}));
        let mut chain = Vec::new();
        match walk_record(&r, &mut chain) {
            Err(DictionaryError::Denied { acl, .. }) => assert_eq!(acl, "sys_db_object.*"),
            other => panic!("expected a denial, got {other:?}"),
        }
    }

    #[test]
    fn dictionary_denials_name_the_missing_acl() {
        use crate::servicenow::ServiceNowMessage;
        let forbidden = |detail: Option<&str>| -> ReadOutcome {
            Err(Error::Forbidden(ServiceNowMessage {
                message: "Insufficient rights to query records".into(),
                detail: detail.map(Into::into),
            }))
        };
        let acl_of = |r: Result<Vec<Record>, DictionaryError>| match r {
            Err(DictionaryError::Denied { acl, .. }) => acl,
            other => format!("{other:?}"),
        };
        assert_eq!(
            acl_of(required_read("sys_dictionary", forbidden(None), &["name"])),
            "sys_dictionary"
        );
        assert_eq!(
            acl_of(required_read(
                "sys_dictionary",
                forbidden(Some(
                    "Field(s) present in the query do not have permission to be read"
                )),
                &["name"]
            )),
            "sys_dictionary.*"
        );
        let keyless: ReadOutcome = Ok(ReadOk {
            records: vec![rec(json!({})), rec(json!({}))],
            total: Some(2),
            requests: 1,
        });
        assert_eq!(
            acl_of(required_read(
                "sys_dictionary",
                keyless,
                &["name", "element"]
            )),
            "sys_dictionary.*"
        );
        let e = DictionaryError::Denied {
            acl: "sys_dictionary.*".into(),
            evidence: "x".into(),
        };
        assert!(e.to_string().contains("read ACL sys_dictionary.*"));
    }

    /// Discovery from prefetched reads only (a complete chain needs no further request),
    /// with the choice and type-label reads replaced.
    async fn discover_prefetched(
        glide: ReadOutcome,
        choices: ReadOutcome,
    ) -> Result<Dictionary, DictionaryError> {
        use crate::servicenow::{ClientOptions, Credentials, InstanceUrl};
        let base = InstanceUrl::parse("http://127.0.0.1:9")
            .unwrap_or_else(|e| panic!("loopback URL: {e}"));
        let creds = Credentials {
            client_id: "id".into(),
            client_secret: "s".into(),
            username: "u".into(),
            password: "p".into(),
        };
        let client = Client::new(base, creds, &ClientOptions::default())
            .unwrap_or_else(|e| panic!("client: {e}"));
        let ok = |records: Vec<Record>| -> ReadOutcome {
            Ok(ReadOk {
                total: Some(records.len() as u64),
                records,
                requests: 1,
            })
        };
        let chain_row = rec(json!({
            "name": "incident", "super_class": "t1",
            "super_class.name": "task", "super_class.super_class": ""
        }));
        let dict = vec![dict_row(
            "incident",
            "category",
            "Category",
            "string",
            json!({}),
        )];
        discover_with(
            &client,
            "incident",
            Prefetch {
                chain: Some(ok(vec![chain_row])),
                glide: Some(typed_read(glide)),
                dictionary: Some((chain(), typed_read(ok(dict)))),
                choices: Some((chain(), typed_read(choices))),
            },
            &Budget::default(),
        )
        .await
    }

    fn rate_limited() -> ReadOutcome {
        Err(Error::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(30)),
            limit: Some(10),
            reset: None,
            rule: None,
            message: crate::servicenow::ServiceNowMessage {
                message: "Rate limit exceeded".into(),
                detail: None,
            },
        })
    }

    #[tokio::test]
    async fn a_rate_limited_optional_read_is_an_error_not_a_missing_acl() {
        let glide_ok: ReadOutcome = Ok(ReadOk {
            records: vec![rec(json!({"name": "string", "label": "String"}))],
            total: Some(1),
            requests: 1,
        });
        for (what, glide, choices) in [
            ("sys_choice", glide_ok.clone(), rate_limited()),
            ("sys_glide_object", rate_limited(), glide_ok.clone()),
        ] {
            match discover_prefetched(glide, choices).await {
                Err(DictionaryError::Client(Error::RateLimited { .. })) => {}
                other => panic!("{what} rate limited: expected the 429 back, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_denied_optional_read_means_not_loaded() {
        use crate::servicenow::ServiceNowMessage;
        let denied: ReadOutcome = Err(Error::Forbidden(ServiceNowMessage {
            message: "Insufficient rights to query records".into(),
            detail: None,
        }));
        let d = discover_prefetched(denied.clone(), denied)
            .await
            .unwrap_or_else(|e| panic!("denied optional reads still give a dictionary: {e}"));
        assert!(!d.choices_loaded && !d.type_labels_loaded);
        assert_eq!(d.fields.len(), 1);
    }

    #[test]
    fn queries_ask_only_for_what_is_needed() {
        let q = dictionary_query(&chain());
        assert_eq!(q.table, "sys_dictionary");
        assert_eq!(
            q.query.as_encoded(),
            "nameINincident,task^elementISNOTEMPTY"
        );
        assert!(q.exclude_reference_link);
        assert_eq!(q.fields.len(), DICT_FIELDS.len());
        let c = chain_query_by_name("incident");
        assert!(
            c.fields
                .contains(&"super_class.super_class.name".to_string())
        );
    }
}
