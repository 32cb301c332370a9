//! Every remediation text, in one place, so that the wizard's ACL matrix, `check` and the
//! Markdown report say the same thing. The wording follows `servicenow-remediation.md`
//! (sections 1.4, 2.1, 2.2, 3.1, 4.2 and 6): menu paths, ACL names, roles, elevation.

use std::time::Duration;

use crate::servicenow::Error;

/// The custom role the fixes ask the admin to create; any name works.
pub const INTEGRATION_ROLE: &str = "finout_integration";

/// Where a fix is read, which decides how it says to verify a change: the command or the key
/// that tries again there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reader {
    /// `snow-connect check` (and `fields`, and the Markdown report): run the checks again.
    #[default]
    CheckCommand,
    /// A create that failed on the command line (`send`, `check --create-test-incident`):
    /// plain `check` would not create anything, so it names the commands that do.
    CreateCommand,
    /// The wizard's ACL matrix, where `r` runs the checks again.
    WizardMatrix,
    /// The wizard's failed test incident, where `t` (or the button) sends it again.
    WizardTestIncident,
}

impl Reader {
    /// Every reader, for [`FixContext::retarget`] and the tests.
    pub const ALL: [Reader; 4] = [
        Reader::CheckCommand,
        Reader::CreateCommand,
        Reader::WizardMatrix,
        Reader::WizardTestIncident,
    ];

    /// How this reader verifies a change, as the end of a sentence: "…, then {again}."
    pub fn again(self) -> &'static str {
        match self {
            Reader::CheckCommand => "run `snow-connect check` again",
            Reader::CreateCommand => {
                "run `snow-connect check --create-test-incident` (or `send` again)"
            }
            Reader::WizardMatrix => "press r to run the checks again",
            Reader::WizardTestIncident => "send the test incident again (t or the button)",
        }
    }

    /// Whether the text is read in the wizard (which asks before resending credentials).
    pub(crate) fn in_wizard(self) -> bool {
        matches!(self, Reader::WizardMatrix | Reader::WizardTestIncident)
    }
}

/// Who and where a fix is about, and where it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixContext {
    /// The integration user's User ID.
    pub user: String,
    /// The instance host, e.g. `acme.service-now.com`.
    pub host: String,
    /// The instance URL is `http://` (a simulator or a proxy on loopback): advice must not say
    /// "HTTPS" or "TLS" for it.
    pub plain_http: bool,
    /// Where the fix is read: the one sentence that says how to verify the change follows it.
    pub reader: Reader,
}

impl FixContext {
    /// A context for `user` on `host`, read by `snow-connect check`.
    pub fn new(user: &str, host: &str) -> FixContext {
        FixContext {
            user: user.to_string(),
            host: host.to_string(),
            plain_http: false,
            reader: Reader::default(),
        }
    }

    /// The same context, read by `reader`.
    #[must_use]
    pub fn read_by(self, reader: Reader) -> FixContext {
        FixContext { reader, ..self }
    }

    /// How the reader verifies a change (see [`Reader::again`]).
    pub fn again(&self) -> &'static str {
        self.reader.again()
    }

    /// `text` (a fix written for the command line, as the check ladder writes them) with its
    /// verification sentence in this reader's words, when this reader is in the wizard.
    /// Command-line wordings are left alone: `check` words its create failures for creating.
    pub fn retarget(&self, text: &str) -> String {
        if !self.reader.in_wizard() {
            return text.to_string();
        }
        Reader::ALL
            .iter()
            .filter(|r| !r.in_wizard())
            .fold(text.to_string(), |t, r| t.replace(r.again(), self.again()))
    }

    /// A context for `user` on the instance at `url`, scheme included.
    pub fn for_url(user: &str, url: &crate::servicenow::InstanceUrl) -> FixContext {
        FixContext {
            plain_http: url.as_str().starts_with("http://"),
            ..FixContext::new(user, url.host())
        }
    }

    /// The integration user's name, or a description when it is not known.
    pub fn user(&self) -> &str {
        if self.user.is_empty() {
            "the integration user"
        } else {
            &self.user
        }
    }
}

/// Which half of a record ACL pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclPart {
    /// `table` / `-- None --`: the table-level ACL.
    Table,
    /// `table` / `*`: the all-fields ACL.
    Fields,
}

impl AclPart {
    pub(crate) fn second_picker(self) -> &'static str {
        match self {
            AclPart::Table => "-- None --",
            AclPart::Fields => "*",
        }
    }
    pub(crate) fn what(self) -> &'static str {
        match self {
            AclPart::Table => "the table ACL",
            AclPart::Fields => "the field ACL",
        }
    }
}

/// A numbered list of steps.
fn numbered(intro: &str, steps: &[String], outro: &[&str]) -> String {
    let mut out = String::from(intro);
    for (i, s) in steps.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, s));
    }
    for line in outro {
        out.push('\n');
        out.push_str(line);
    }
    out
}

/// The number of a step line as [`numbered`] writes it (`3. ...`), for renderers that lay
/// the steps out; `None` for any other line.
pub fn step_number(line: &str) -> Option<&str> {
    line.split_once(". ")
        .map(|(n, _)| n)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn elevate_step() -> String {
    "Elevate to security_admin (creating ACLs needs it): user menu (your avatar) > Elevate role > \
     tick security_admin > Update (Core UI: your name > Elevate Roles > OK). No \"Elevate role\" \
     entry means you do not hold security_admin: ask the person who does (usually the original \
     admin account) to do these steps."
        .to_string()
}

pub(crate) fn role_step() -> String {
    format!(
        "If the integration role does not exist yet: User Administration > Roles > New, Name \
         {INTEGRATION_ROLE} (any name works), Elevated privilege unchecked, Submit."
    )
}

fn acl_step(table: &str, part: AclPart) -> String {
    format!(
        "System Security > Access Control (ACL) > New: Type record, Operation read, Decision type \
         Allow If, Name {table} / {} ({}), Requires role {INTEGRATION_ROLE}, Active checked, Submit.",
        part.second_picker(),
        part.what()
    )
}

pub(crate) fn grant_step(ctx: &FixContext, role: &str) -> String {
    let user = ctx.user();
    format!(
        "Give the role to {user}: User Administration > Users > {user} > Roles related list > \
         Edit... > add {role} > Save."
    )
}

pub(crate) fn new_session_step(ctx: &FixContext) -> String {
    format!(
        "A new role takes effect with a new session: revoke the integration's token (System OAuth \
         > Manage Tokens > the token > Revoke Access) or wait for it to expire (30 minutes by \
         default), then {}.",
        ctx.again()
    )
}

pub(crate) const NEVER: &str = "Do not use admin, security_admin or snc_read_only for this.";

/// The ACL steps for `table`, creating the given parts in order.
fn acl_fix(
    intro: &str,
    table: &str,
    parts: &[AclPart],
    ctx: &FixContext,
    extra: &[&str],
) -> String {
    let mut steps = vec![elevate_step(), role_step()];
    for p in parts {
        steps.push(acl_step(table, *p));
    }
    steps.push(grant_step(ctx, INTEGRATION_ROLE));
    steps.push(new_session_step(ctx));
    let mut outro: Vec<&str> = extra.to_vec();
    outro.push(NEVER);
    numbered(intro, &steps, &outro)
}

pub(crate) fn table_extra(table: &str) -> &'static [&'static str] {
    match table {
        "sys_dictionary" => &[
            "Shortcut: the personalize_dictionary role covers sys_dictionary and \
             sys_dictionary.* (but it also lets the user change dictionary entries; the read ACLs \
             above are the least-privilege way).",
        ],
        "sys_choice" => &[
            "Optional: without it the field picker cannot list choice values. The \
             personalize_choices role also works, but it grants write access too; prefer the read \
             ACLs above.",
        ],
        "sys_glide_object" => &[
            "sys_glide_object holds the field types (\"Field class\"); no out-of-the-box role \
             other than admin reads it, so both ACLs are needed.",
        ],
        _ => &[],
    }
}

/// The table cannot be read at all: create the table ACL and, with it, the field ACL.
pub fn table_read(table: &str, ctx: &FixContext) -> String {
    let intro = format!(
        "ServiceNow admin: let {} read {table} with two read ACLs and a role.",
        ctx.user()
    );
    acl_fix(
        &intro,
        table,
        &[AclPart::Table, AclPart::Fields],
        ctx,
        table_extra(table),
    )
}

/// Rows come back without (some of) the requested fields: a field-level ACL hides them.
pub fn fields_hidden(table: &str, hidden: &[&str], ctx: &FixContext) -> String {
    let intro = format!(
        "ServiceNow admin: {table} rows come back without {}; a field-level read ACL hides them. \
         Add a read ACL on {table}.* with the integration role.",
        hidden.join(", ")
    );
    acl_fix(&intro, table, &[AclPart::Fields], ctx, table_extra(table))
}

/// Some of the table's fields cannot be read (found while reading the dictionary).
pub fn field_read(table: &str, ctx: &FixContext) -> String {
    let intro = format!(
        "ServiceNow admin: {} cannot read all of {table}'s fields. Add a read ACL on {table}.* \
         with the integration role.",
        ctx.user()
    );
    acl_fix(&intro, table, &[AclPart::Fields], ctx, table_extra(table))
}

/// A read ACL found missing while reading the dictionary: `table.*` is the field ACL
/// ([`field_read`]), a bare `table` the table ACL ([`table_read`]).
pub fn missing_acl(acl: &str, ctx: &FixContext) -> String {
    match acl.strip_suffix(".*") {
        Some(table) => field_read(table, ctx),
        None => table_read(acl, ctx),
    }
}

/// A query on the table's own columns was refused ("Field(s) present in the query do not have
/// permission to be read"): the user cannot read the table's fields.
pub fn query_fields_denied(table: &str, ctx: &FixContext) -> String {
    let intro = format!(
        "ServiceNow admin: ServiceNow refused to filter {table} on its own columns because {} \
         cannot read them. Add a read ACL on {table}.* with the integration role (query ACLs \
         default to read access; if your instance has query_match/query_range ACLs on these \
         fields, give them the same role).",
        ctx.user()
    );
    acl_fix(&intro, table, &[AclPart::Fields], ctx, table_extra(table))
}

/// The recommended role set (remediation 1.4), for the report.
pub fn role_summary(ctx: &FixContext) -> String {
    format!(
        "Roles for {user}:\n\
         1. itil (creates incidents and reads reference data), or sn_incident_write if itil is not \
         acceptable.\n\
         2. A custom role such as {INTEGRATION_ROLE}, required by read ACLs on sys_db_object, \
         sys_db_object.*, sys_dictionary, sys_dictionary.*, sys_glide_object, sys_glide_object.* \
         and, for choice lists, sys_choice and sys_choice.*.\n\
         3. Shortcut, if write access to the dictionary is acceptable: personalize_dictionary \
         covers sys_dictionary and sys_dictionary.* only.\n\
         4. Never: admin, security_admin, snc_read_only.",
        user = ctx.user()
    )
}

/// The OAuth client is securely scoped (403 "Access to unscoped api is not allowed").
pub fn securely_scoped(ctx: &FixContext) -> String {
    format!(
        "ServiceNow admin: the OAuth client is securely scoped, so ServiceNow refuses every Table API \
     call whatever the user's roles; no ACL change helps. Do one of:\n\
     1. System OAuth > Application Registry > the integration's record: set Scope Restriction to \
     Broad scoped > Update (Zurich and later).\n\
     2. Machine Identity Console > Inbound integrations > the integration: clear \"Allow access \
     only to APIs in selected scope\" > Save.\n\
     3. Add the auth scope useraccount to the OAuth client (it can then use every API the user \
     may use).\n\
     Also check that the record was created with the application picker on Global (Accessible \
     from: All application scopes). Scope changes apply to existing tokens: {} right after.",
        ctx.again()
    )
}

/// 403 "Missing required api access scope": a REST API Auth Scope protects the Table API.
pub fn missing_auth_scope(ctx: &FixContext) -> String {
    format!(
        "ServiceNow admin: a REST API Auth Scope protects the Table API and the OAuth client \
         lacks it. In System OAuth > Application Registry > the integration's record, add that \
         auth scope (or the auth scope useraccount, which can use every API) to the client, then \
         {}.",
        ctx.again()
    )
}

/// 403 "Failed API level ACL Validation": the REST endpoint ACLs are active.
pub fn rest_api_access(ctx: &FixContext) -> String {
    let user = ctx.user();
    format!(
        "ServiceNow admin: the Table API's REST endpoint ACLs are active on this instance and \
         {user} lacks the role they require. Give {user} the snc_platform_rest_api_access role \
         (itil contains it): User Administration > Users > {user} > Roles related list > Edit... \
         > add snc_platform_rest_api_access > Save. {}",
        new_session_step(ctx)
    )
}

/// The token was issued but the Table API answers 401.
pub fn token_not_accepted() -> String {
    "ServiceNow admin: the token was issued but the Table API did not accept it. On System OAuth \
     > Application Registry > the integration's record, clear Enforce Token Restrictions, or \
     allow OAuth for the Table API with a REST API Access Policy (System Web Services > REST API \
     Access Policies). Also check that no access policy on the Table API allows Basic \
     authentication only."
        .to_string()
}

/// Insert into `incident` refused (403 "ACL Exception Insert Failed").
pub fn insert_denied(ctx: &FixContext) -> String {
    let user = ctx.user();
    numbered(
        &format!("ServiceNow admin: let {user} create incidents."),
        &[
            format!(
                "Give {user} the itil role (or the narrower sn_incident_write): User \
                 Administration > Users > {user} > Roles related list > Edit... > add itil > Save."
            ),
            format!(
                "If {user} has snc_read_only, remove it in the same list: that role blocks every \
                 insert."
            ),
            new_session_step(ctx),
        ],
        &[
            "If ServiceNow's message names a business rule or data policy instead of an ACL, that \
             rule refused the insert: ask its owner.",
        ],
    )
}

/// The token request was refused (always the same generic 401 body).
pub fn token_rejected(ctx: &FixContext) -> String {
    let user = ctx.user();
    let mut out = numbered(
        "ServiceNow refused the token request and does not say which of client ID, client secret, \
         user name or password is wrong. snow-connect did not retry: repeated failures lock the \
         user out (ServiceNow usually locks after about 5 failures). Check, in this order:",
        &[
            "Client ID and client secret: System OAuth > Application Registry > the record (the \
             lock icon reveals the secret). Copy both again; a regenerated secret invalidates the \
             old one."
                .to_string(),
            format!(
                "User name and password: the user name is the User ID ({user}), not the email. \
                 If unsure, User Administration > Users > {user} > Set Password."
            ),
            format!(
                "{user} locked out: on the user record clear Locked out > Update (or wait 15 \
                 minutes if auto-unlock is active)."
            ),
            format!("{user} inactive: on the user record check Active."),
            format!(
                "Password needs reset: on the user record clear Password needs reset and set a \
                 permanent password for {user}."
            ),
            "The Application Registry record's Active box must be checked.".to_string(),
            "The property glide.oauth.inbound.ropc.grant_type.disabled: true disables this login \
             method (hardened instances may set it on purpose; talk to your security team before \
             changing it)."
                .to_string(),
            "OAuth itself: the OAuth 2.0 plugin (com.snc.platform.security.oauth) active and the \
             property com.snc.platform.security.oauth.is.active set to true."
                .to_string(),
            format!(
                "{user} must have a local password (an SSO-only account cannot use this grant)."
            ),
            "MFA for integrations: glide.authenticate.multifactor.for_integrations = true blocks \
             users enrolled in MFA; use an integration user without MFA."
                .to_string(),
        ],
        &["The instance's System Log (System Logs > System Log > All) may name the reason."],
    );
    if is_pdi_host(&ctx.host) {
        out.push_str(
            "\nThis is a personal developer instance: PDIs unused for ten days are reclaimed and \
             reset, which removes the user and the OAuth record; credentials that used to work \
             then fail like this.",
        );
    }
    out
}

/// `dev12345.service-now.com`: a personal developer instance.
fn is_pdi_host(host: &str) -> bool {
    host.strip_suffix(".service-now.com")
        .and_then(|h| h.strip_prefix("dev"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// 429: when to retry, and where the rule lives.
pub fn rate_limited(
    retry_after: Option<Duration>,
    limit: Option<u64>,
    reset: Option<u64>,
) -> String {
    let when = match (retry_after, reset) {
        (Some(d), _) => {
            // A Retry-After beyond the calendar (a hostile or broken header) has no clock time.
            let at = time::Duration::try_from(d)
                .ok()
                .and_then(|d| time::OffsetDateTime::now_utc().checked_add(d));
            match at {
                Some(at) => format!(
                    "Retry after {} (at {:02}:{:02} UTC).",
                    human_duration(d),
                    at.hour(),
                    at.minute()
                ),
                None => format!("Retry after {}.", human_duration(d)),
            }
        }
        (None, Some(r)) => match time::OffsetDateTime::from_unix_timestamp(r as i64) {
            Ok(t) => format!(
                "Retry after {:02}:{:02}:{:02} UTC (when the limit resets).",
                t.hour(),
                t.minute(),
                t.second()
            ),
            Err(_) => "Retry in a few minutes.".to_string(),
        },
        (None, None) => "Retry in a few minutes.".to_string(),
    };
    let rule = match limit {
        Some(n) => format!(" (a rate limit rule allows {n} requests per hour for this user)"),
        None => String::new(),
    };
    format!(
        "The instance limits REST requests{rule}. {when} A check makes fewer than ten \
         requests. To raise the limit, a ServiceNow admin reviews the rule in the Rate Limit \
         Rules table (sys_rate_limit_rules.list)."
    )
}

/// "45 seconds", "2 minutes", "60 minutes", "3 hours".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if s < 120 {
        plural(s, "second")
    } else if s < 2 * 3600 {
        plural(s.div_ceil(60), "minute")
    } else {
        plural(s.div_ceil(3600), "hour")
    }
}

/// The PDI is asleep.
pub fn hibernating(ctx: &FixContext) -> String {
    format!(
        "The personal developer instance is hibernating. Its owner signs in at \
         https://developer.servicenow.com to wake it; it is usually available again within five \
         minutes. Then {}.",
        ctx.again()
    )
}

/// The PDI is waking or restarting.
pub fn offline(ctx: &FixContext) -> String {
    format!(
        "The instance is currently offline: a developer instance that is waking up or \
         restarting after patching is usually back within five minutes. Wait, then {}.",
        ctx.again()
    )
}

/// The host answered with a web page (or a redirect), not the API.
pub fn not_servicenow(redirect_to: Option<&str>) -> String {
    let mut out = String::from(
        "The address answered with a web page, not the ServiceNow API. Use the instance's own \
         address (https://NAME.service-now.com, or your company's custom URL for it), not a \
         portal, an SSO login page or a proxy page.",
    );
    if let Some(loc) = redirect_to {
        out.push_str(&format!(
            " It redirected to {loc}: that is typically a single sign-on or login page; the API \
             itself never redirects."
        ));
    }
    out.push_str(
        " If a proxy sits in between, it must pass /api/now/ and /oauth_token.do through \
         unchanged.",
    );
    out
}

/// TLS or certificate failure.
pub fn tls() -> String {
    "The TLS certificate could not be verified. If your company inspects TLS with its own CA \
     (a corporate proxy), trust that CA: pass --ca-file /path/to/ca.pem, or set \
     SSL_CERT_FILE=/path/to/ca.pem. Otherwise check that the URL is the instance's own address \
     and that the system clock is right."
        .to_string()
}

/// The host does not resolve.
pub fn dns(host: &str, suggestion: Option<&str>) -> String {
    let mut out = format!(
        "The host name {host} does not resolve. ServiceNow instances are usually \
         NAME.service-now.com."
    );
    if let Some(s) = suggestion {
        out.push_str(&format!(" Did you mean {s}?"));
    }
    out.push_str(" Check the spelling, and your DNS or VPN.");
    out
}

/// Nothing listens at the address.
pub fn connection_refused(host: &str) -> String {
    format!(
        "Nothing accepted the connection at {host}. Check the URL and port. If you reach the \
         internet through a proxy, set HTTPS_PROXY."
    )
}

/// No answer in time, or the connection failed some other way; `plain_http` for an
/// `http://` URL.
pub fn network(host: &str, plain_http: bool) -> String {
    let (scheme, proxy) = if plain_http {
        ("HTTP", "HTTP_PROXY")
    } else {
        ("HTTPS", "HTTPS_PROXY")
    };
    format!(
        "Check that this machine can reach {host} over {scheme} (firewall, VPN; set {proxy} if \
         a proxy is required), then try again; raise --timeout for a slow link."
    )
}

/// The fix shown on an ACL row: the one ACL, and that the plan creates it with every other
/// missing one (one elevation, one role, one grant, one new session).
pub fn acl_row(acl: &str, ctx: &FixContext) -> String {
    let (table, part) = match acl.strip_suffix(".*") {
        Some(t) => (t, AclPart::Fields),
        None => (acl, AclPart::Table),
    };
    format!(
        "ServiceNow admin: add a read ACL Name {table} / {} ({}) requiring the role \
         {INTEGRATION_ROLE}, and give that role to {}. The plan lists it with every other change, \
         under one elevation.",
        part.second_picker(),
        part.what(),
        ctx.user()
    )
}

/// 5xx from the instance.
pub fn server_error() -> String {
    "The instance answered with a server error. During upgrades or maintenance this is \
     temporary: retry in a few minutes. If it persists, ask your ServiceNow admin to check the \
     instance's health."
        .to_string()
}

/// 400 "Invalid table" for a metadata table.
pub fn invalid_table(table: &str) -> String {
    format!(
        "ServiceNow admin: the Table API does not offer {table}. Check System Definition > Tables \
         > {table} > Application Access > \"Allow access to this table via web services\"."
    )
}

/// The HTTP client could not be built (bad CA file).
pub fn setup() -> String {
    "Check that --ca-file (or SSL_CERT_FILE) names a readable PEM certificate file.".to_string()
}

/// What to change for a client error, in the same words wherever it is shown: the ACL matrix,
/// `check`, `send`. Read denials are not here: the probes classify those, knowing the table.
/// What to do when a discovery reached one of its limits.
pub(crate) fn over_budget() -> String {
    format!(
        "ServiceNow admin: check the instance's dictionary (System Definition > Dictionary, \
         filtered on the incident and task tables): a real one holds hundreds or a few \
         thousand columns. If it really is larger, raise snow-connect's limits for one \
         discovery (defaults: {} rows, {} MiB read, {} pages) with the environment variables \
         SNOW_CONNECT_MAX_ROWS and SNOW_CONNECT_MAX_MIB. If a proxy or another server \
         answers in place of the instance, check the instance URL.",
        crate::servicenow::budget_rows_text(),
        crate::servicenow::Limits::default().bytes / (1024 * 1024),
        crate::servicenow::Limits::default().pages,
    )
}

/// `None` when there is nothing to change (404, 400, cancelled) or the 403 is one we do not
/// recognise (a business rule or data policy, whose own message names it).
pub fn for_error(err: &Error, ctx: &FixContext) -> Option<String> {
    Some(match err {
        Error::Dns { host, suggestion } => dns(host, suggestion.as_deref()),
        Error::ConnectionRefused { host } => connection_refused(host),
        Error::Connect { host, .. }
        | Error::Timeout { host, .. }
        | Error::Interrupted { host, .. } => network(host, ctx.plain_http),
        Error::Tls { .. } => tls(),
        Error::Hibernating => hibernating(ctx),
        Error::Offline => offline(ctx),
        Error::Redirected { location, .. } => not_servicenow(Some(location)),
        Error::NotJson { .. } | Error::InvalidResponse { .. } | Error::BodyTooLarge { .. } => {
            not_servicenow(None)
        }
        Error::TokenRejected { .. } | Error::LoginRemembered { .. } => token_rejected(ctx),
        Error::NotAuthenticated(_) => token_not_accepted(),
        Error::SecurelyScoped(_) => securely_scoped(ctx),
        e @ Error::Forbidden(m) => {
            let detail = m.detail.as_deref().unwrap_or_default();
            if is_insert_denied(e) {
                insert_denied(ctx)
            } else if detail.contains("Access to unscoped api") {
                securely_scoped(ctx)
            } else if detail.contains("Missing required api access scope") {
                missing_auth_scope(ctx)
            } else if detail.contains("Failed API level ACL Validation") {
                rest_api_access(ctx)
            } else {
                return None;
            }
        }
        Error::InvalidTable { table } => invalid_table(table),
        Error::RateLimited {
            retry_after,
            limit,
            reset,
            ..
        } => rate_limited(*retry_after, *limit, *reset),
        Error::Server { .. } => server_error(),
        Error::OverBudget(_) => over_budget(),
        Error::Setup(_) => setup(),
        Error::NotFound(_) | Error::BadRequest { .. } | Error::Cancelled => return None,
    })
}

/// True for the 403 a create gets when the user may not insert into the table.
pub fn is_insert_denied(err: &Error) -> bool {
    match err {
        Error::Forbidden(m) => {
            let detail = m.detail.as_deref().unwrap_or_default();
            detail.contains("ACL Exception Insert Failed")
                || m.message.contains("ACL Exception Insert Failed")
        }
        _ => false,
    }
}

/// How to run the optional test incident.
pub fn how_to_create_test_incident() -> &'static str {
    "not run: pass --create-test-incident to `snow-connect check` (or use \"send a test \
     incident\" on the wizard's Review & save screen) to create a clearly labelled test incident"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FixContext {
        FixContext::new("finout.integration", "acme.service-now.com")
    }

    #[test]
    fn table_fix_names_both_acls_elevation_role_and_session() {
        let f = table_read("sys_dictionary", &ctx());
        assert!(f.contains("Name sys_dictionary / -- None --"), "{f}");
        assert!(f.contains("Name sys_dictionary / *"), "{f}");
        assert!(f.contains("System Security > Access Control (ACL) > New"));
        assert!(f.contains("Type record, Operation read"));
        assert!(f.contains("security_admin"));
        assert!(f.contains("Elevate role"));
        assert!(f.contains("original admin account"));
        assert!(f.contains("finout_integration"));
        assert!(f.contains("personalize_dictionary"));
        assert!(f.contains("User Administration > Users > finout.integration > Roles"));
        assert!(f.contains("Manage Tokens"));
        assert!(f.contains("Do not use admin, security_admin or snc_read_only"));
        // Steps are numbered from 1 without gaps.
        for n in 1..=6 {
            assert!(f.contains(&format!("\n{n}. ")), "step {n} missing in {f}");
        }
    }

    #[test]
    fn field_fix_names_only_the_star_acl() {
        let f = fields_hidden("sys_db_object", &["name", "super_class"], &ctx());
        assert!(f.contains("Name sys_db_object / *"));
        assert!(!f.contains("-- None --"));
        assert!(f.contains("without name, super_class"));
        assert!(!f.contains("personalize_dictionary"));
    }

    #[test]
    fn token_fix_lists_the_four_credentials_in_order_and_warns_about_lockout() {
        let f = token_rejected(&ctx());
        assert!(f.contains("client ID, client secret, user name or password"));
        assert!(f.contains("did not retry"));
        assert!(f.contains("about 5 failures"));
        let order = [
            "Application Registry",
            "User ID",
            "Locked out",
            "Active",
            "Password needs reset",
            "glide.oauth.inbound.ropc.grant_type.disabled",
            "com.snc.platform.security.oauth.is.active",
        ];
        let mut last = 0;
        for needle in order {
            let at = f[last..].find(needle).map(|i| i + last);
            assert!(at.is_some(), "{needle} missing or out of order");
            last = at.unwrap_or(last);
        }
        assert!(!f.contains("reclaimed"));
        let pdi = token_rejected(&FixContext::new("u", "dev12345.service-now.com"));
        assert!(pdi.contains("reclaimed"));
    }

    #[test]
    fn insert_fix_gives_itil_and_removes_read_only() {
        let f = insert_denied(&ctx());
        assert!(f.contains("itil"));
        assert!(f.contains("sn_incident_write"));
        assert!(f.contains("snc_read_only"));
    }

    #[test]
    fn scope_fix_points_to_the_registry_not_acls() {
        let f = securely_scoped(&ctx());
        assert!(f.contains("Scope Restriction"));
        assert!(f.contains("Broad scoped"));
        assert!(f.contains("Allow access only to APIs in selected scope"));
        assert!(f.contains("useraccount"));
        assert!(!f.contains("Access Control (ACL) > New"));
    }

    #[test]
    fn each_reader_is_told_how_to_verify_in_its_own_words() {
        let cases = [
            (Reader::CheckCommand, "run `snow-connect check` again"),
            (
                Reader::CreateCommand,
                "run `snow-connect check --create-test-incident` (or `send` again)",
            ),
            (Reader::WizardMatrix, "press r to run the checks again"),
            (
                Reader::WizardTestIncident,
                "send the test incident again (t or the button)",
            ),
        ];
        for (reader, words) in cases {
            let ctx = ctx().read_by(reader);
            let texts = [
                insert_denied(&ctx),
                table_read("sys_dictionary", &ctx),
                query_fields_denied("sys_db_object", &ctx),
                rest_api_access(&ctx),
                securely_scoped(&ctx),
                missing_auth_scope(&ctx),
            ];
            for text in texts {
                assert!(text.contains(words), "{reader:?}: {text}");
                for other in Reader::ALL.into_iter().filter(|r| *r != reader) {
                    assert!(!text.contains(other.again()), "{reader:?}: {text}");
                }
            }
        }
        // The command line's `check` is the default, word for word as before.
        assert_eq!(FixContext::default().reader, Reader::CheckCommand);
        assert!(
            new_session_step(&ctx())
                .ends_with("(30 minutes by default), then run `snow-connect check` again.")
        );
        assert!(securely_scoped(&ctx()).ends_with(
            "Scope changes apply to existing tokens: run `snow-connect check` again right after."
        ));
    }

    #[test]
    fn the_wizard_rewords_what_the_ladder_wrote_for_check() {
        let written = table_read("sys_dictionary", &ctx());
        for reader in [Reader::WizardMatrix, Reader::WizardTestIncident] {
            let read = ctx().read_by(reader).retarget(&written);
            assert!(!read.contains("snow-connect check"), "{read}");
            assert_eq!(read, table_read("sys_dictionary", &ctx().read_by(reader)));
        }
        // On the command line a create's wording stays a create's.
        let create = insert_denied(&ctx().read_by(Reader::CreateCommand));
        assert_eq!(ctx().retarget(&create), create);
    }

    #[test]
    fn rate_limit_fix_says_when() {
        let f = rate_limited(Some(Duration::from_secs(42)), Some(1000), None);
        assert!(f.contains("Retry after 42 seconds (at "), "{f}");
        assert_eq!(human_duration(Duration::from_secs(3600)), "60 minutes");
        assert_eq!(human_duration(Duration::from_secs(1)), "1 second");
        assert_eq!(human_duration(Duration::from_secs(7300)), "3 hours");
        assert!(f.contains("1000 requests per hour"));
        let f = rate_limited(None, None, Some(3600));
        assert!(f.contains("01:00:00 UTC"), "{f}");
        // Past the year 9999: no clock time, and no panic.
        let f = rate_limited(Some(Duration::from_secs(u64::MAX)), None, None);
        assert!(f.contains("Retry after ") && !f.contains("UTC"), "{f}");
    }

    #[test]
    fn dns_fix_carries_the_suggestion() {
        let f = dns("acme", Some("acme.service-now.com"));
        assert!(f.contains("Did you mean acme.service-now.com?"));
    }

    #[test]
    fn one_mapping_serves_check_and_send() {
        use crate::servicenow::ServiceNowMessage;
        let forbidden = |detail: &str| {
            Error::Forbidden(ServiceNowMessage {
                message: "Operation Failed".into(),
                detail: Some(detail.into()),
            })
        };
        let insert = for_error(
            &forbidden("ACL Exception Insert Failed due to security constraints"),
            &ctx(),
        );
        assert_eq!(insert, Some(insert_denied(&ctx())));
        assert_eq!(
            for_error(
                &forbidden("Data Policy Exception: Caller is mandatory"),
                &ctx()
            ),
            None,
            "a business rule's own message is the fix"
        );
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(45)),
            limit: None,
            reset: None,
            rule: None,
            message: ServiceNowMessage {
                message: "Rate limit exceeded".into(),
                detail: None,
            },
        };
        assert!(for_error(&limited, &ctx()).is_some_and(|f| f.contains("Retry after 45 seconds")));
        assert_eq!(for_error(&Error::Cancelled, &ctx()), None);
    }
}
