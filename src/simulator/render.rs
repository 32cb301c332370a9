//! Records as the Table API writes them: every value a string, references in the shapes of
//! facts section 2.2, unreadable fields left out.

use super::acl::Acl;
use super::negotiate::{Format, XML_PROLOG, xml_element};
use super::options::{EmptyReferenceAll, FieldDenial, NameKeyedLinks, SimOptions};
use super::responses::push_str;
use super::store::{Column, Database, FieldPath, RecordId};

/// `sysparm_display_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisplayMode {
    /// `false` (default): stored values.
    Value,
    /// `true`: display values.
    Display,
    /// `all`: both, as `{"display_value":…,"value":…}`.
    All,
}

impl DisplayMode {
    /// Read the parameter; anything unrecognised means the default.
    pub fn parse(text: Option<&str>) -> DisplayMode {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("true") => DisplayMode::Display,
            Some("all") => DisplayMode::All,
            _ => DisplayMode::Value,
        }
    }
}

/// One output key and where its value comes from.
pub(crate) struct Selected {
    key: String,
    path: FieldPath,
    readable: bool,
}

/// Everything rendering needs besides the record.
pub(crate) struct Renderer<'a> {
    pub db: &'a Database,
    pub acl: &'a Acl,
    pub options: &'a SimOptions,
    /// `scheme://host` of the request, for reference links.
    pub base: &'a str,
    pub mode: DisplayMode,
    pub exclude_links: bool,
    /// JSON or XML.
    pub format: Format,
}

/// A comma unless this is the first key, then `"key":`.
fn json_key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    push_str(out, key);
    out.push(':');
}

impl Renderer<'_> {
    /// The keys to write for records read through `table`: `sysparm_fields` in its order
    /// (unknown names dropped, duplicates once) or every column of the table.
    pub fn select(&self, table: usize, fields: Option<&str>) -> Vec<Selected> {
        let db = self.db;
        let requested: Vec<&str> = fields
            .map(|f| {
                f.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut out: Vec<Selected> = Vec::new();
        if requested.is_empty() {
            if let Some(t) = db.tables.get(table) {
                for (i, column) in t.columns.iter().enumerate() {
                    let path = FieldPath {
                        steps: vec![(table, i)],
                    };
                    out.push(Selected {
                        key: column.element.to_string(),
                        readable: self.path_readable(&path),
                        path,
                    });
                }
            }
            return out;
        }
        for name in requested {
            if out.iter().any(|s| s.key == name) {
                continue;
            }
            if let Some(path) = db.resolve_path(table, name) {
                out.push(Selected {
                    key: name.to_string(),
                    readable: self.path_readable(&path),
                    path,
                });
            }
        }
        out
    }

    /// May the user read every column along `path` (and every table it walks into)?
    pub fn path_readable(&self, path: &FieldPath) -> bool {
        path.steps.iter().enumerate().all(|(i, (table, column))| {
            let element = self
                .db
                .tables
                .get(*table)
                .and_then(|t| t.columns.get(*column))
                .map_or("", |c| &*c.element);
            (i == 0 || self.acl.can_read_table(self.db, *table))
                && self.acl.can_read_field(self.db, *table, element)
        })
    }

    /// `{"result":{...}}` (or its XML form): one record through `table`, with the
    /// `sysparm_fields` selection.
    pub fn single(&self, table: usize, id: RecordId, fields: Option<&str>) -> String {
        let selected = self.select(table, fields);
        let mut out = String::new();
        match self.format {
            Format::Json => {
                out.push_str("{\"result\":");
                self.write_record(&mut out, id, &selected);
                out.push('}');
            }
            Format::Xml => {
                out.push_str(XML_PROLOG);
                out.push_str("<response>");
                self.write_record(&mut out, id, &selected);
                out.push_str("</response>");
            }
        }
        out
    }

    /// `{"result":[...]}` (or its XML form, one `<result>` per record).
    pub fn list(&self, ids: &[RecordId], fields: &[Selected]) -> String {
        let mut out = String::new();
        match self.format {
            Format::Json => {
                out.push_str("{\"result\":[");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_record(&mut out, *id, fields);
                }
                out.push_str("]}");
            }
            Format::Xml => {
                out.push_str(XML_PROLOG);
                out.push_str("<response>");
                for id in ids {
                    self.write_record(&mut out, *id, fields);
                }
                out.push_str("</response>");
            }
        }
        out
    }

    /// Append one record: a JSON object, or a `<result>` element.
    pub fn write_record(&self, out: &mut String, id: RecordId, fields: &[Selected]) {
        out.push_str(match self.format {
            Format::Json => "{",
            Format::Xml => "<result>",
        });
        let mut first = true;
        for field in fields {
            if !field.readable && self.options.field_denial == FieldDenial::Omit {
                continue;
            }
            if !field.readable {
                self.scalar(out, &mut first, &field.key, "");
                continue;
            }
            let (raw, table, column) = match self.db.walk(id, &field.path) {
                Some((rec, col)) => (self.db.value(rec, col), field.path.last().0, col),
                None => {
                    let (table, col) = field.path.last();
                    ("", table, col)
                }
            };
            let Some(meta) = self
                .db
                .tables
                .get(table)
                .and_then(|t| t.columns.get(column))
            else {
                self.scalar(out, &mut first, &field.key, "");
                continue;
            };
            self.write_value(out, &mut first, &field.key, (table, column), meta, raw);
        }
        out.push_str(match self.format {
            Format::Json => "}",
            Format::Xml => "</result>",
        });
    }

    /// `"key":"value"` or `<key>value</key>`.
    fn scalar(&self, out: &mut String, first: &mut bool, key: &str, value: &str) {
        match self.format {
            Format::Json => {
                json_key(out, first, key);
                push_str(out, value);
            }
            Format::Xml => xml_element(out, key, value),
        }
    }

    /// `"key":{"a":"1",…}` or `<key><a>1</a>…</key>`.
    fn object(&self, out: &mut String, first: &mut bool, key: &str, parts: &[(&str, &str)]) {
        match self.format {
            Format::Json => {
                json_key(out, first, key);
                out.push('{');
                for (i, (name, value)) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_str(out, name);
                    out.push(':');
                    push_str(out, value);
                }
                out.push('}');
            }
            Format::Xml => {
                out.push('<');
                out.push_str(key);
                out.push('>');
                for (name, value) in parts {
                    xml_element(out, name, value);
                }
                out.push_str("</");
                out.push_str(key);
                out.push('>');
            }
        }
    }

    fn write_value(
        &self,
        out: &mut String,
        first: &mut bool,
        key: &str,
        (table, column): (usize, usize),
        meta: &Column,
        raw: &str,
    ) {
        if meta.is_reference() {
            self.write_reference(out, first, key, (table, column), meta, raw);
            return;
        }
        match self.mode {
            DisplayMode::Value => self.scalar(out, first, key, raw),
            DisplayMode::Display => {
                self.scalar(out, first, key, self.display_of_value(table, meta, raw));
            }
            DisplayMode::All => {
                let display = self.display_of_value(table, meta, raw);
                self.object(
                    out,
                    first,
                    key,
                    &[("display_value", display), ("value", raw)],
                );
            }
        }
    }

    fn display_of_value<'s>(&'s self, table: usize, meta: &Column, raw: &'s str) -> &'s str {
        if meta.choice > 0
            && !raw.is_empty()
            && let Some(label) = self.db.choice_label(table, &meta.element, raw)
        {
            return label;
        }
        raw
    }

    fn write_reference(
        &self,
        out: &mut String,
        first: &mut bool,
        key: &str,
        (table, column): (usize, usize),
        meta: &Column,
        raw: &str,
    ) {
        if raw.is_empty() {
            match (self.mode, self.options.empty_reference_all) {
                (DisplayMode::All, EmptyReferenceAll::Object) => {
                    self.object(out, first, key, &[("display_value", ""), ("value", "")]);
                }
                _ => self.scalar(out, first, key, ""),
            }
            return;
        }
        if self.mode == DisplayMode::Value && self.exclude_links {
            // The common shape of metadata queries: no lookup needed.
            self.scalar(out, first, key, raw);
            return;
        }
        let target = self.db.follow(table, column, raw);
        let display = match (meta.reference, target) {
            (Some(target_table), Some(id)) => self.db.display_of(target_table, id),
            _ => "",
        };
        if self.mode == DisplayMode::Display && self.exclude_links {
            self.scalar(out, first, key, display);
            return;
        }
        // The keys the mode asks for, in the platform's order.
        let link = (!self.exclude_links).then(|| self.link(meta, raw, target));
        let mut parts: Vec<(&str, &str)> = Vec::with_capacity(3);
        if self.mode != DisplayMode::Value {
            parts.push(("display_value", display));
        }
        if let Some(link) = &link {
            parts.push(("link", link));
        }
        if self.mode != DisplayMode::Display {
            parts.push(("value", raw));
        }
        self.object(out, first, key, &parts);
    }

    fn link(&self, meta: &Column, raw: &str, target: Option<RecordId>) -> String {
        let table_name = meta
            .reference
            .and_then(|t| self.db.tables.get(t))
            .map_or("", |t| &*t.name);
        let key = match (&meta.reference_key, self.options.name_keyed_links, target) {
            (Some(_), NameKeyedLinks::SysId, Some(id)) => {
                let sys_id_col = self.db.column(id.table, "sys_id");
                sys_id_col.map_or(raw, |c| self.db.value(id, c))
            }
            _ => raw,
        };
        format!("{}/api/now/table/{table_name}/{key}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        db: Database,
        acl: Acl,
        options: SimOptions,
    }

    fn fixture(options: SimOptions, deny: &[&str]) -> Fixture {
        let db = crate::simulator::dataset::load(&options).expect("dataset");
        let deny: Vec<String> = deny.iter().map(|s| s.to_string()).collect();
        let acl = Acl::parse(&deny, &[], &db).expect("acl");
        Fixture { db, acl, options }
    }

    fn render(
        f: &Fixture,
        table: &str,
        sys_id: &str,
        fields: &str,
        mode: DisplayMode,
        exclude: bool,
    ) -> serde_json::Value {
        let r = Renderer {
            db: &f.db,
            acl: &f.acl,
            options: &f.options,
            base: "https://x.example",
            mode,
            exclude_links: exclude,
            format: Format::Json,
        };
        let t = f.db.table(table).expect("table");
        let id = f.db.find_sys_id(t, sys_id).expect("record");
        let selected = r.select(t, Some(fields));
        let mut out = String::new();
        r.write_record(&mut out, id, &selected);
        serde_json::from_str(&out).expect("valid JSON")
    }

    const INC3: &str = "e8caedcbc0a80164017df472f39eaed1";

    #[test]
    fn reference_shapes() {
        let f = fixture(SimOptions::default(), &[]);
        let group = "287ebd7da9fe198100f92cc8d1d2154e";
        let link = format!("https://x.example/api/now/table/sys_user_group/{group}");
        let v = render(
            &f,
            "incident",
            INC3,
            "assignment_group,assigned_to",
            DisplayMode::Value,
            false,
        );
        assert_eq!(
            v["assignment_group"],
            serde_json::json!({"link": link, "value": group})
        );
        assert_eq!(v["assigned_to"], "");
        let v = render(
            &f,
            "incident",
            INC3,
            "assignment_group",
            DisplayMode::Value,
            true,
        );
        assert_eq!(v["assignment_group"], group);
        let v = render(
            &f,
            "incident",
            INC3,
            "assignment_group,assigned_to",
            DisplayMode::Display,
            false,
        );
        assert_eq!(
            v["assignment_group"],
            serde_json::json!({"display_value": "Cloud FinOps", "link": link})
        );
        assert_eq!(v["assigned_to"], "");
        let v = render(
            &f,
            "incident",
            INC3,
            "assignment_group,assigned_to,priority",
            DisplayMode::All,
            false,
        );
        assert_eq!(
            v["assignment_group"],
            serde_json::json!({"display_value": "Cloud FinOps", "link": link, "value": group})
        );
        assert_eq!(
            v["assigned_to"],
            serde_json::json!({"display_value": "", "value": ""})
        );
        assert_eq!(
            v["priority"],
            serde_json::json!({"display_value": "2 - High", "value": "2"})
        );
    }

    #[test]
    fn dot_walked_keys_are_flat() {
        let f = fixture(SimOptions::default(), &[]);
        let v = render(
            &f,
            "incident",
            INC3,
            "number,assignment_group.name,caller_id.company.name",
            DisplayMode::Value,
            false,
        );
        assert_eq!(v["assignment_group.name"], "Cloud FinOps");
        assert_eq!(v["caller_id.company.name"], "ACME North America");
        assert_eq!(v["number"], "INC0000003");
    }

    #[test]
    fn denied_fields_are_omitted_or_empty() {
        let f = fixture(SimOptions::default(), &["incident.*"]);
        let v = render(
            &f,
            "incident",
            INC3,
            "number,short_description",
            DisplayMode::Value,
            false,
        );
        assert_eq!(v, serde_json::json!({}));
        let options = SimOptions {
            field_denial: FieldDenial::Empty,
            ..SimOptions::default()
        };
        let f = fixture(options, &["incident.short_description"]);
        let v = render(
            &f,
            "incident",
            INC3,
            "number,short_description",
            DisplayMode::Value,
            false,
        );
        assert_eq!(
            v,
            serde_json::json!({"number": "INC0000003", "short_description": ""})
        );
    }
}
