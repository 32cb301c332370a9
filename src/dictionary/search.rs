//! Searching a reference field's target table by what people read (its display column), as
//! "Select a value" does while the user types: `assignment_group` searches `sys_user_group`
//! by name, `caller_id` searches `sys_user` by name, `problem_id` searches `problem` by number.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::servicenow::{Client, EncodedQuery, Error, TableQuery, field_string};

/// Tables whose display column is `number` rather than `name`, when the dictionary does not
/// say (the user may not be able to read `sys_dictionary`'s display flag).
const NUMBERED: [&str; 9] = [
    "task",
    "incident",
    "problem",
    "change_request",
    "sc_request",
    "sc_req_item",
    "sc_task",
    "kb_knowledge",
    "change_task",
];

/// One record found: what is stored, what is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The record's sys_id (what the field stores).
    pub sys_id: String,
    /// Its display value (what people read).
    pub display: String,
}

/// Reference searches against one instance; remembers each table's display column.
#[derive(Debug, Default)]
pub struct ReferenceSearch {
    columns: Mutex<HashMap<String, String>>,
}

impl ReferenceSearch {
    /// The display column of `table`: what the dictionary marks `display=true`, else the
    /// usual `name` (or `number` for task tables). Asked once per table.
    pub async fn display_column(&self, client: &Client, table: &str) -> String {
        if let Some(c) = self.columns.lock().ok().and_then(|c| c.get(table).cloned()) {
            return c;
        }
        let q = TableQuery::new("sys_dictionary")
            .query(EncodedQuery::new().eq("name", table).eq("display", "true"))
            .fields(&["element"])
            .limit(1);
        let found = client
            .get_page(&q)
            .await
            .ok()
            .and_then(|p| p.records.first().and_then(|r| field_string(r, "element")))
            .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let col = found.unwrap_or_else(|| {
            if NUMBERED.contains(&table) {
                "number".into()
            } else {
                "name".into()
            }
        });
        if let Ok(mut c) = self.columns.lock() {
            c.insert(table.to_string(), col.clone());
        }
        col
    }

    /// At most `limit` records of `table` whose display value contains `text`, in display
    /// order.
    pub async fn search(
        &self,
        client: &Client,
        table: &str,
        text: &str,
        limit: u32,
    ) -> Result<Vec<Reference>, Error> {
        let col = self.display_column(client, table).await;
        let text = query_text(text);
        let mut q = EncodedQuery::new();
        if !text.is_empty() {
            q = q.like(&col, &text);
        }
        q = q.order_by(&col);
        let tq = TableQuery::new(table)
            .query(q)
            .fields(&["sys_id", col.as_str()])
            .limit(limit);
        let page = client.get_page(&tq).await?;
        Ok(page
            .records
            .iter()
            .filter_map(|r| {
                let sys_id = field_string(r, "sys_id")?;
                let display = field_string(r, &col).unwrap_or_default();
                Some(Reference { sys_id, display })
            })
            .collect())
    }
}

/// What the user typed, made safe for an encoded query: `^` would start a new condition.
fn query_text(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '^' && !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_search_text_cannot_add_query_terms() {
        assert_eq!(query_text(" Cloud^ORname=x\n"), "CloudORname=x");
    }
}
