//! A typed builder for Table API queries (`sysparm_*`), URL-encoded correctly.

/// `sysparm_display_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayValue {
    /// Raw values (default).
    #[default]
    False,
    /// Display values only.
    True,
    /// Both, as `{"display_value":..,"value":..}`.
    All,
}

/// An encoded query (`sysparm_query`), built term by term and joined with `^`.
///
/// ServiceNow has no escape for `^` inside a value: a value holding `^NQ...` adds terms of its
/// own. Values typed by users must not be put here unchecked; see [`EncodedQuery::is_safe_value`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedQuery {
    terms: Vec<String>,
}

impl EncodedQuery {
    /// An empty query (matches everything).
    pub fn new() -> Self {
        Self::default()
    }
    /// `field=value`.
    pub fn eq(self, field: &str, value: &str) -> Self {
        self.term(format!("{field}={value}"))
    }
    /// `field!=value`.
    pub fn ne(self, field: &str, value: &str) -> Self {
        self.term(format!("{field}!={value}"))
    }
    /// `fieldINa,b,c`.
    pub fn is_in<S: AsRef<str>>(self, field: &str, values: &[S]) -> Self {
        let list: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
        self.term(format!("{field}IN{}", list.join(",")))
    }
    /// `fieldLIKEvalue` (contains).
    pub fn like(self, field: &str, value: &str) -> Self {
        self.term(format!("{field}LIKE{value}"))
    }
    /// `fieldSTARTSWITHvalue`.
    pub fn starts_with(self, field: &str, value: &str) -> Self {
        self.term(format!("{field}STARTSWITH{value}"))
    }
    /// `fieldISNOTEMPTY`.
    pub fn is_not_empty(self, field: &str) -> Self {
        self.term(format!("{field}ISNOTEMPTY"))
    }
    /// `fieldISEMPTY`.
    pub fn is_empty(self, field: &str) -> Self {
        self.term(format!("{field}ISEMPTY"))
    }
    /// `ORDERBYfield`.
    pub fn order_by(self, field: &str) -> Self {
        self.term(format!("ORDERBY{field}"))
    }
    /// `^OR` + the next term: `a=1^ORb=2`.
    pub fn or_eq(mut self, field: &str, value: &str) -> Self {
        self.terms.push(format!("OR{field}={value}"));
        self
    }
    fn term(mut self, t: String) -> Self {
        self.terms.push(t);
        self
    }
    /// `fieldENDSWITHvalue`.
    pub fn ends_with(self, field: &str, value: &str) -> Self {
        self.term(format!("{field}ENDSWITH{value}"))
    }
    /// `fieldNOT INa,b,c`.
    pub fn not_in<S: AsRef<str>>(self, field: &str, values: &[S]) -> Self {
        let list: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
        self.term(format!("{field}NOT IN{}", list.join(",")))
    }
    /// `ORDERBYDESCfield`.
    pub fn order_by_desc(self, field: &str) -> Self {
        self.term(format!("ORDERBYDESC{field}"))
    }
    /// True when `value` cannot change the query's structure: it holds no `^` (ServiceNow
    /// has no escape for it). Values of `IN` lists must also hold no `,`.
    pub fn is_safe_value(value: &str) -> bool {
        !value.contains('^')
    }
    /// The encoded form, e.g. `nameINincident,task^elementISNOTEMPTY` (not yet URL-encoded).
    pub fn as_encoded(&self) -> String {
        self.terms.join("^")
    }
    /// True when there are no terms.
    pub fn is_empty_query(&self) -> bool {
        self.terms.is_empty()
    }
}

/// One Table API read: table, query and `sysparm_*` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableQuery {
    /// Table name, e.g. `sys_dictionary`.
    pub table: String,
    /// `sysparm_query`.
    pub query: EncodedQuery,
    /// `sysparm_fields` (empty = all).
    pub fields: Vec<String>,
    /// `sysparm_limit` (None = server default 10000).
    pub limit: Option<u32>,
    /// `sysparm_offset`.
    pub offset: u32,
    /// `sysparm_display_value`.
    pub display_value: DisplayValue,
    /// `sysparm_exclude_reference_link`.
    pub exclude_reference_link: bool,
    /// `sysparm_no_count`.
    pub no_count: bool,
}

impl TableQuery {
    /// A query on `table` with defaults.
    pub fn new(table: &str) -> Self {
        TableQuery {
            table: table.to_string(),
            query: EncodedQuery::new(),
            fields: Vec::new(),
            limit: None,
            offset: 0,
            display_value: DisplayValue::False,
            exclude_reference_link: false,
            no_count: false,
        }
    }
    /// Set `sysparm_query`.
    pub fn query(mut self, q: EncodedQuery) -> Self {
        self.query = q;
        self
    }
    /// Set `sysparm_fields`.
    pub fn fields<S: AsRef<str>>(mut self, fields: &[S]) -> Self {
        self.fields = fields.iter().map(|f| f.as_ref().to_string()).collect();
        self
    }
    /// Set `sysparm_limit`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// Set `sysparm_offset`.
    pub fn offset(mut self, n: u32) -> Self {
        self.offset = n;
        self
    }
    /// Set `sysparm_display_value`.
    pub fn display_value(mut self, d: DisplayValue) -> Self {
        self.display_value = d;
        self
    }
    /// Set `sysparm_exclude_reference_link=true`.
    pub fn exclude_reference_link(mut self) -> Self {
        self.exclude_reference_link = true;
        self
    }
    /// Set `sysparm_no_count=true` (no `X-Total-Count`, so pages are followed one by one).
    pub fn no_count(mut self) -> Self {
        self.no_count = true;
        self
    }
    /// The query string pairs in a stable order (for `reqwest::RequestBuilder::query`).
    ///
    /// Values are not encoded here: `reqwest` form-encodes each one, so `^`, `=`, `,` and `&`
    /// inside an encoded query arrive intact. Only non-default options are sent, which keeps
    /// URLs short and identical to what ServiceNow echoes in its `Link` header.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::with_capacity(8);
        let mut push = |k: &str, v: String| pairs.push((k.to_string(), v));
        if !self.query.is_empty_query() {
            push("sysparm_query", self.query.as_encoded());
        }
        if !self.fields.is_empty() {
            push("sysparm_fields", self.fields.join(","));
        }
        match self.display_value {
            DisplayValue::False => {}
            DisplayValue::True => push("sysparm_display_value", "true".into()),
            DisplayValue::All => push("sysparm_display_value", "all".into()),
        }
        if self.exclude_reference_link {
            push("sysparm_exclude_reference_link", "true".into());
        }
        if self.no_count {
            push("sysparm_no_count", "true".into());
        }
        if let Some(limit) = self.limit {
            push("sysparm_limit", limit.to_string());
        }
        if self.offset > 0 {
            push("sysparm_offset", self.offset.to_string());
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(pairs: &[(String, String)]) -> Vec<(String, String)> {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        url::form_urlencoded::parse(encoded.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn dictionary_query_pairs_in_stable_order() {
        let q = TableQuery::new("sys_dictionary")
            .query(
                EncodedQuery::new()
                    .is_in("name", &["incident", "task"])
                    .is_not_empty("element"),
            )
            .fields(&["name", "element", "column_label"])
            .exclude_reference_link()
            .limit(1000)
            .offset(2000);
        let want: Vec<(String, String)> = [
            ("sysparm_query", "nameINincident,task^elementISNOTEMPTY"),
            ("sysparm_fields", "name,element,column_label"),
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_limit", "1000"),
            ("sysparm_offset", "2000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(q.to_pairs(), want);
    }

    #[test]
    fn defaults_send_nothing_extra() {
        assert!(TableQuery::new("incident").to_pairs().is_empty());
        let q = TableQuery::new("incident")
            .display_value(DisplayValue::All)
            .no_count();
        assert_eq!(
            q.to_pairs(),
            vec![
                ("sysparm_display_value".to_string(), "all".to_string()),
                ("sysparm_no_count".to_string(), "true".to_string()),
            ]
        );
        let q = TableQuery::new("incident").display_value(DisplayValue::True);
        assert_eq!(q.to_pairs()[0].1, "true");
    }

    #[test]
    fn every_operator_encodes() {
        let q = EncodedQuery::new()
            .eq("active", "true")
            .or_eq("active", "false")
            .ne("state", "7")
            .like("short_description", "disk full")
            .starts_with("number", "INC")
            .ends_with("number", "1")
            .is_empty("parent")
            .not_in("state", &["6", "7"])
            .order_by("number")
            .order_by_desc("sys_created_on");
        assert_eq!(
            q.as_encoded(),
            "active=true^ORactive=false^state!=7^short_descriptionLIKEdisk full^numberSTARTSWITHINC\
             ^numberENDSWITH1^parentISEMPTY^stateNOT IN6,7^ORDERBYnumber^ORDERBYDESCsys_created_on"
        );
        assert!(!q.is_empty_query());
        assert!(EncodedQuery::new().is_empty_query());
    }

    #[test]
    fn special_characters_survive_url_encoding() {
        let q = TableQuery::new("incident")
            .query(
                EncodedQuery::new()
                    .eq("short_description", "a=b&c+d%e f#g?h/i")
                    .is_in("sys_id", &["1", "2", "3"])
                    .like("description", "ünïcødé ✓"),
            )
            .fields(&["a", "b"]);
        let pairs = q.to_pairs();
        assert_eq!(decoded(&pairs), pairs);
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        assert!(encoded.contains("%5E"), "^ must be encoded: {encoded}");
        assert!(!encoded.contains('^'));
        assert!(
            !encoded.contains("&c"),
            "a raw & would split the parameter: {encoded}"
        );
    }

    #[test]
    fn safe_values() {
        assert!(EncodedQuery::is_safe_value("Cloud FinOps = team"));
        assert!(!EncodedQuery::is_safe_value("x^NQactive=true"));
    }

    proptest::proptest! {
        #[test]
        fn any_value_round_trips_through_form_encoding(field in "[a-z_]{1,12}", value in ".*", list in proptest::collection::vec("[^,]*", 0..5)) {
            let q = TableQuery::new("incident")
                .query(EncodedQuery::new().eq(&field, &value).is_in(&field, &list));
            let pairs = q.to_pairs();
            proptest::prop_assert_eq!(decoded(&pairs), pairs.clone());
            proptest::prop_assert_eq!(&pairs[0].1, &format!("{field}={value}^{field}IN{}", list.join(",")));
        }
    }
}
