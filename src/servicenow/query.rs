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
    /// The query string pairs in a stable order (for `reqwest::RequestBuilder::query`).
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        todo!("client: query pairs")
    }
}
