//! Simulator flags, shared by `snow-connect simulator` and `snow-connect --demo`.
//!
//! The last group of flags picks between behaviours that `servicenow-facts.md` marks UNCERTAIN;
//! each default is the most likely real behaviour.

use clap::{Args, ValueEnum};

/// Fixed demo OAuth client id (documented in the README).
pub const DEMO_CLIENT_ID: &str = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f";
/// Fixed demo OAuth client secret.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// Fixed demo integration user.
pub const DEMO_USERNAME: &str = "finout.integration";
/// Fixed demo password.
pub const DEMO_PASSWORD: &str = "demo-password";

const UNCERTAIN: &str = "Simulator: behaviour the platform does not document";

/// How the simulated instance behaves. Every field is a command-line flag.
#[derive(Clone, Args, PartialEq)]
#[command(next_help_heading = "Simulator")]
pub struct SimOptions {
    /// Address to listen on; non-loopback addresses need --public.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub public: bool,
    /// The integration user lacks this ACL (repeatable): sys_db_object, sys_db_object.*,
    /// sys_dictionary, sys_dictionary.*, sys_glide_object, sys_choice, incident.create,
    /// incident.read, incident.write, incident.delete, or any TABLE, TABLE.*, TABLE.FIELD,
    /// TABLE.read, TABLE.create, TABLE.write, TABLE.delete.
    #[arg(long, value_name = "ACL")]
    pub deny: Vec<String>,
    /// Answer every path with the PDI hibernation page (HTTP 200, HTML).
    #[arg(long)]
    pub hibernating: bool,
    /// The OAuth client is securely scoped: Table API answers 403 "Access to unscoped api".
    #[arg(long)]
    pub securely_scoped: bool,
    /// After N API requests in the window, answer 429 with Retry-After.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Length of the rate-limit window in seconds (the platform counts per hour).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub rate_limit_window: u64,
    /// Delay every response by N milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Add N custom u_ fields to incident (scale tests).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub extra_fields: u32,
    /// Also mark TABLE.FIELD mandatory in the dictionary (repeatable), like a customised
    /// instance, e.g. incident.caller_id.
    #[arg(long, value_name = "TABLE.FIELD")]
    pub mandatory: Vec<String>,
    /// Access-token lifetime in seconds (expires_in is one less).
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub token_ttl: u64,
    /// Refresh-token lifetime in seconds (the platform default is 100 days).
    #[arg(long, value_name = "SECS", default_value_t = 8_640_000)]
    pub refresh_token_ttl: u64,
    /// Serve HTTPS with a certificate from a freshly generated CA.
    #[arg(long)]
    pub tls: bool,
    /// With --tls, also put NAME in the certificate (repeatable), e.g. for proxy tests.
    #[arg(long = "tls-name", value_name = "NAME", requires = "tls")]
    pub tls_name: Vec<String>,
    /// OAuth client id the simulator accepts.
    #[arg(long = "client-id", id = "sim_client_id", value_name = "ID", default_value = DEMO_CLIENT_ID)]
    pub client_id: String,
    /// OAuth client secret the simulator accepts.
    #[arg(long = "client-secret", value_name = "SECRET", default_value = DEMO_CLIENT_SECRET)]
    pub client_secret: String,
    /// User name the simulator accepts.
    #[arg(long = "username", id = "sim_username", value_name = "NAME", default_value = DEMO_USERNAME)]
    pub username: String,
    /// Password the simulator accepts.
    #[arg(long = "password", value_name = "PASSWORD", default_value = DEMO_PASSWORD)]
    pub password: String,
    /// Refuse HTTP Basic auth on /api/now/* (401), like an instance whose REST API access
    /// policy allows OAuth only.
    #[arg(long)]
    pub bearer_only: bool,
    /// Lock the integration user after N failed logins in a row (password grant or Basic);
    /// once locked, even the right password is refused. Off by default.
    #[arg(long, value_name = "N")]
    pub lockout_after: Option<u32>,

    /// Body of the 403 for a denied platform (sys_*) table.
    #[arg(long, value_enum, value_name = "STYLE", default_value_t = SysTableDenial::InsufficientRights, help_heading = UNCERTAIN, hide_short_help = true)]
    pub sys_table_denial: SysTableDenial,
    /// How a denied table answers, per table (repeatable): TABLE=forbidden (403) or
    /// TABLE=empty (200, no rows, unchanged X-Total-Count).
    #[arg(long, value_name = "TABLE=STYLE", help_heading = UNCERTAIN, hide_short_help = true)]
    pub table_denial: Vec<String>,
    /// How fields the user may not read appear: keys left out, or empty strings.
    #[arg(long, value_enum, value_name = "STYLE", default_value_t = FieldDenial::Omit, help_heading = UNCERTAIN, hide_short_help = true)]
    pub field_denial: FieldDenial,
    /// Scheme named in the WWW-Authenticate header of a 401.
    #[arg(long, value_enum, value_name = "SCHEME", default_value_t = AuthScheme::Basic, help_heading = UNCERTAIN, hide_short_help = true)]
    pub www_authenticate: AuthScheme,
    /// Leave refresh_token out of the response to a refresh_token grant.
    #[arg(long, help_heading = UNCERTAIN, hide_short_help = true)]
    pub refresh_omits_refresh_token: bool,
    /// What a query on a field the table does not have does: ignored, 403, or no rows.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = UnknownQueryField::Ignore, help_heading = UNCERTAIN, hide_short_help = true)]
    pub unknown_query_field: UnknownQueryField,
    /// What /oauth_token.do does with a JSON body: the generic 401, or accept it.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = TokenJsonBody::Reject, help_heading = UNCERTAIN, hide_short_help = true)]
    pub token_json_body: TokenJsonBody,
    /// Key order inside the 401 "User Not Authenticated" error object.
    #[arg(long, value_enum, value_name = "ORDER", default_value_t = AuthErrorOrder::DetailFirst, help_heading = UNCERTAIN, hide_short_help = true)]
    pub auth_error_order: AuthErrorOrder,
    /// What the link of a name-keyed reference (internal_type, reference) ends with.
    #[arg(long, value_enum, value_name = "KEY", default_value_t = NameKeyedLinks::Name, help_heading = UNCERTAIN, hide_short_help = true)]
    pub name_keyed_links: NameKeyedLinks,
    /// How an empty reference looks with sysparm_display_value=all.
    #[arg(long, value_enum, value_name = "SHAPE", default_value_t = EmptyReferenceAll::Object, help_heading = UNCERTAIN, hide_short_help = true)]
    pub empty_reference_all: EmptyReferenceAll,
    /// The detail of the 400 "Invalid table X".
    #[arg(long, value_enum, value_name = "DETAIL", default_value_t = InvalidTableDetail::Null, help_heading = UNCERTAIN, hide_short_help = true)]
    pub invalid_table_detail: InvalidTableDetail,
    /// What a POST whose sys_id is already taken gets: the 403 insert failure, or a fresh
    /// sys_id.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = TakenSysId::Fail, help_heading = UNCERTAIN, hide_short_help = true)]
    pub taken_sys_id: TakenSysId,
    /// Whether the Table API may change fields the dictionary marks read-only.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ReadOnlyWrites::Ignore, help_heading = UNCERTAIN, hide_short_help = true)]
    pub read_only_writes: ReadOnlyWrites,
}

/// A POST that supplies a sys_id another record already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TakenSysId {
    /// 403 "Operation Failed" / "Error during insert of TABLE (NUMBER)", as a unique-key
    /// collision answers on an instance.
    #[default]
    Fail,
    /// The record is created with a fresh sys_id instead.
    NewSysId,
}

/// Writes to read-only fields through the Table API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReadOnlyWrites {
    /// The value is dropped and the rest of the update applies (the default "Instance
    /// Configured" read-only option, which behaves as "Client Script Modifiable").
    #[default]
    Ignore,
    /// The value is written ("Display Read Only").
    Allow,
}

/// The 403 body for a denied sys_* platform table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SysTableDenial {
    /// "Insufficient rights to query records", detail null.
    #[default]
    InsufficientRights,
    /// "User Not Authorized" / "User is unauthorized to access table: X".
    UserNotAuthorized,
}

/// How an unreadable field appears in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FieldDenial {
    /// The key is left out of the record (the documented behaviour).
    #[default]
    Omit,
    /// The key is present with an empty string.
    Empty,
}

/// The scheme in `WWW-Authenticate: <SCHEME> realm="Service-now"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AuthScheme {
    /// `BASIC realm="Service-now"` (captured from a real instance).
    #[default]
    Basic,
    /// `BEARER realm="Service-now"`.
    Bearer,
}

/// What a query condition on a field the table lacks does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum UnknownQueryField {
    /// The condition is dropped and the rest of the query runs (the default platform setting).
    #[default]
    Ignore,
    /// 403 "Field(s) present in the query do not have permission to be read".
    Forbidden,
    /// No rows (`glide.invalid_query.returns_no_rows=true`).
    NoRows,
}

/// What the token endpoint does with `Content-Type: application/json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TokenJsonBody {
    /// The generic 401 access_denied body (the docs say "an unspecified error").
    #[default]
    Reject,
    /// Read the JSON object like a form.
    Accept,
}

/// Key order in the 401 error object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AuthErrorOrder {
    /// `{"error":{"detail":…,"message":…},…}` as in the captured curl trace.
    #[default]
    DetailFirst,
    /// `{"error":{"message":…,"detail":…},…}` like the other envelopes.
    MessageFirst,
}

/// What the link of a name-keyed reference holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum NameKeyedLinks {
    /// `…/sys_glide_object/string`.
    #[default]
    Name,
    /// `…/sys_glide_object/<sys_id of the string row>`.
    SysId,
}

/// An empty reference with `sysparm_display_value=all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EmptyReferenceAll {
    /// `{"display_value":"","value":""}`.
    #[default]
    Object,
    /// `""`.
    String,
}

/// The detail of "Invalid table X".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum InvalidTableDetail {
    /// `null`.
    #[default]
    Null,
    /// `"Table X does not exist"`.
    DoesNotExist,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: "127.0.0.1:0".into(),
            public: false,
            deny: Vec::new(),
            hibernating: false,
            securely_scoped: false,
            rate_limit: None,
            rate_limit_window: 3600,
            latency_ms: 0,
            extra_fields: 0,
            mandatory: Vec::new(),
            token_ttl: 1800,
            refresh_token_ttl: 8_640_000,
            tls: false,
            tls_name: Vec::new(),
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            username: DEMO_USERNAME.into(),
            password: DEMO_PASSWORD.into(),
            bearer_only: false,
            lockout_after: None,
            sys_table_denial: SysTableDenial::default(),
            table_denial: Vec::new(),
            field_denial: FieldDenial::default(),
            www_authenticate: AuthScheme::default(),
            refresh_omits_refresh_token: false,
            unknown_query_field: UnknownQueryField::default(),
            token_json_body: TokenJsonBody::default(),
            auth_error_order: AuthErrorOrder::default(),
            name_keyed_links: NameKeyedLinks::default(),
            empty_reference_all: EmptyReferenceAll::default(),
            invalid_table_detail: InvalidTableDetail::default(),
            taken_sys_id: TakenSysId::default(),
            read_only_writes: ReadOnlyWrites::default(),
        }
    }
}

/// Debug output never shows the secret or the password, even the demo ones: overrides may be
/// real credentials.
impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = "<redacted>";
        f.debug_struct("SimOptions")
            .field("listen", &self.listen)
            .field("public", &self.public)
            .field("deny", &self.deny)
            .field("hibernating", &self.hibernating)
            .field("securely_scoped", &self.securely_scoped)
            .field("rate_limit", &self.rate_limit)
            .field("rate_limit_window", &self.rate_limit_window)
            .field("latency_ms", &self.latency_ms)
            .field("extra_fields", &self.extra_fields)
            .field("mandatory", &self.mandatory)
            .field("token_ttl", &self.token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("tls", &self.tls)
            .field("tls_name", &self.tls_name)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted)
            .field("username", &self.username)
            .field("password", &redacted)
            .field("bearer_only", &self.bearer_only)
            .field("lockout_after", &self.lockout_after)
            .field("sys_table_denial", &self.sys_table_denial)
            .field("table_denial", &self.table_denial)
            .field("field_denial", &self.field_denial)
            .field("www_authenticate", &self.www_authenticate)
            .field(
                "refresh_omits_refresh_token",
                &self.refresh_omits_refresh_token,
            )
            .field("unknown_query_field", &self.unknown_query_field)
            .field("token_json_body", &self.token_json_body)
            .field("auth_error_order", &self.auth_error_order)
            .field("name_keyed_links", &self.name_keyed_links)
            .field("empty_reference_all", &self.empty_reference_all)
            .field("invalid_table_detail", &self.invalid_table_detail)
            .field("taken_sys_id", &self.taken_sys_id)
            .field("read_only_writes", &self.read_only_writes)
            .finish()
    }
}

impl SimOptions {
    /// True when any flag differs from the default (used to reject sim flags without --demo).
    pub fn is_customised(&self) -> bool {
        *self != SimOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        sim: SimOptions,
    }

    #[test]
    fn clap_defaults_equal_default_impl() {
        let parsed = Wrapper::try_parse_from(["x"]).map(|w| w.sim);
        assert_eq!(parsed.ok(), Some(SimOptions::default()));
    }

    #[test]
    fn debug_hides_the_secret_and_password() {
        let options = SimOptions {
            client_secret: "very-secret-value".into(),
            password: "hunter2-password".into(),
            ..SimOptions::default()
        };
        let text = format!("{options:?}");
        assert!(!text.contains("very-secret-value") && !text.contains("hunter2-password"));
        assert!(text.contains("finout.integration"));
    }

    #[test]
    fn switches_parse() {
        let w = Wrapper::try_parse_from([
            "x",
            "--field-denial",
            "empty",
            "--www-authenticate",
            "bearer",
            "--unknown-query-field",
            "no-rows",
            "--table-denial",
            "incident=forbidden",
            "--rate-limit",
            "3",
            "--rate-limit-window",
            "2",
        ]);
        let sim = w.map(|w| w.sim).ok();
        let sim = sim.as_ref();
        assert_eq!(sim.map(|s| s.field_denial), Some(FieldDenial::Empty));
        assert_eq!(sim.map(|s| s.www_authenticate), Some(AuthScheme::Bearer));
        assert_eq!(
            sim.map(|s| s.unknown_query_field),
            Some(UnknownQueryField::NoRows)
        );
        assert_eq!(sim.map(|s| s.rate_limit_window), Some(2));
        assert!(sim.is_some_and(|s| s.is_customised()));
    }
}
