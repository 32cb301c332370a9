//! Check ids, statuses and results: the fixed vocabulary of DESIGN.md section 4.

use serde::Serialize;

use super::CauseId;

/// One rung of the connection ladder. The order of [`CheckId::ALL`] is the ladder's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// `instance_url`: well formed and normalised.
    InstanceUrl,
    /// `reachability`: DNS, TCP and TLS.
    Reachability,
    /// `instance`: answers like a ServiceNow instance.
    Instance,
    /// `oauth`: the password grant returns a token.
    Oauth,
    /// `acl:sys_db_object`.
    AclSysDbObject,
    /// `acl:sys_db_object.*`.
    AclSysDbObjectFields,
    /// `acl:sys_dictionary`.
    AclSysDictionary,
    /// `acl:sys_dictionary.*`.
    AclSysDictionaryFields,
    /// `acl:sys_glide_object`.
    AclSysGlideObject,
    /// `acl:sys_choice` (optional: a warning, not a failure).
    AclSysChoice,
    /// `incident:create` (only when asked).
    IncidentCreate,
}

impl CheckId {
    /// Every check in ladder order.
    pub const ALL: [CheckId; 11] = [
        CheckId::InstanceUrl,
        CheckId::Reachability,
        CheckId::Instance,
        CheckId::Oauth,
        CheckId::AclSysDbObject,
        CheckId::AclSysDbObjectFields,
        CheckId::AclSysDictionary,
        CheckId::AclSysDictionaryFields,
        CheckId::AclSysGlideObject,
        CheckId::AclSysChoice,
        CheckId::IncidentCreate,
    ];

    /// The fixed id string, e.g. `acl:sys_dictionary.*`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::InstanceUrl => "instance_url",
            CheckId::Reachability => "reachability",
            CheckId::Instance => "instance",
            CheckId::Oauth => "oauth",
            CheckId::AclSysDbObject => "acl:sys_db_object",
            CheckId::AclSysDbObjectFields => "acl:sys_db_object.*",
            CheckId::AclSysDictionary => "acl:sys_dictionary",
            CheckId::AclSysDictionaryFields => "acl:sys_dictionary.*",
            CheckId::AclSysGlideObject => "acl:sys_glide_object",
            CheckId::AclSysChoice => "acl:sys_choice",
            CheckId::IncidentCreate => "incident:create",
        }
    }

    /// Parse an id string.
    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A short human title, e.g. "Read sys_dictionary fields".
    pub fn title(self) -> &'static str {
        match self {
            CheckId::InstanceUrl => "Instance URL",
            CheckId::Reachability => "Network (DNS, TCP, TLS)",
            CheckId::Instance => "ServiceNow instance",
            CheckId::Oauth => "OAuth token",
            CheckId::AclSysDbObject => "Read sys_db_object",
            CheckId::AclSysDbObjectFields => "Read sys_db_object fields",
            CheckId::AclSysDictionary => "Read sys_dictionary",
            CheckId::AclSysDictionaryFields => "Read sys_dictionary fields",
            CheckId::AclSysGlideObject => "Read sys_glide_object",
            CheckId::AclSysChoice => "Read sys_choice (optional)",
            CheckId::IncidentCreate => "Create incident",
        }
    }

    /// The ACL name this check proves (`sys_dictionary.*`), for ACL checks.
    pub fn acl(self) -> Option<&'static str> {
        self.as_str().strip_prefix("acl:")
    }

    /// The check that proves the ACL `acl` (`sys_dictionary.*`), if there is one.
    pub fn for_acl(acl: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.acl() == Some(acl))
    }

    /// True for checks whose failure makes the integration unusable (all but `acl:sys_choice`
    /// and `incident:create`, which is reported but only run on request).
    pub fn required(self) -> bool {
        !matches!(self, CheckId::AclSysChoice | CheckId::IncidentCreate)
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check. Always shown as glyph + word, never colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// It works.
    Passed,
    /// Denied or broken: the integration cannot work until it is fixed.
    Blocked,
    /// Partly works (e.g. rows readable, some fields hidden).
    Partial,
    /// Works, with a caveat (e.g. optional sys_choice unreadable).
    Warning,
    /// Run, but not decided: a temporary or instance-wide condition (its `cause`) got in the way.
    Inconclusive,
    /// Not run, with the reason in `summary`.
    Skipped,
}

impl CheckStatus {
    /// `passed`, `blocked` ...
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Blocked => "blocked",
            CheckStatus::Partial => "partial",
            CheckStatus::Warning => "warning",
            CheckStatus::Inconclusive => "inconclusive",
            CheckStatus::Skipped => "skipped",
        }
    }
    /// `Passed`, `Blocked` ... for display.
    pub fn word(self) -> &'static str {
        match self {
            CheckStatus::Passed => "Passed",
            CheckStatus::Blocked => "Blocked",
            CheckStatus::Partial => "Partial",
            CheckStatus::Warning => "Warning",
            CheckStatus::Inconclusive => "Inconclusive",
            CheckStatus::Skipped => "Skipped",
        }
    }
    /// A one-cell glyph: ✓ ✗ ◐ ! ? –
    pub fn glyph(self) -> &'static str {
        match self {
            CheckStatus::Passed => "✓",
            CheckStatus::Blocked => "✗",
            CheckStatus::Partial => "◐",
            CheckStatus::Warning => "!",
            CheckStatus::Inconclusive => "?",
            CheckStatus::Skipped => "–",
        }
    }
}

/// One check's result, exactly the fields of DESIGN.md section 4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub id: CheckId,
    /// Its outcome.
    pub status: CheckStatus,
    /// One line: what happened.
    pub summary: String,
    /// HTTP status and ServiceNow's own message, or what was observed.
    pub evidence: Option<String>,
    /// What to change in ServiceNow (menu paths, ACL names, roles), when something must change
    /// that concerns this check alone; an instance-wide cause carries its fix itself.
    pub fix: Option<String>,
    /// The id of its root cause, or null.
    pub cause: Option<CauseId>,
    /// Wall time of the check.
    pub elapsed_ms: u64,
    /// The read ACLs this check found missing, for the `missing_acl` cause and the plan.
    #[serde(skip)]
    pub missing_acls: Vec<String>,
    /// When a rate limit seen by this check ends.
    #[serde(skip)]
    pub retry_at: Option<time::OffsetDateTime>,
}

impl CheckResult {
    /// A result with nothing but id, status and summary (for callers that fill in a row that
    /// never reported).
    pub fn new(id: CheckId, status: CheckStatus, summary: impl Into<String>) -> CheckResult {
        CheckResult {
            id,
            status,
            summary: summary.into(),
            evidence: None,
            fix: None,
            cause: None,
            elapsed_ms: 0,
            missing_acls: Vec::new(),
            retry_at: None,
        }
    }

    /// The same result with another status (for tests and hand-made rows).
    pub fn with_status(mut self, status: CheckStatus) -> CheckResult {
        self.status = status;
        self
    }
}

impl CheckResult {
    /// Whether this result lets the integration work: a required check passed (warnings
    /// allowed), the optional `acl:sys_choice` never stands in the way, and a test incident
    /// only when it was refused.
    pub fn is_ok(&self) -> bool {
        match self.id {
            CheckId::AclSysChoice => true,
            CheckId::IncidentCreate => !matches!(
                self.status,
                CheckStatus::Blocked | CheckStatus::Partial | CheckStatus::Inconclusive
            ),
            _ => matches!(self.status, CheckStatus::Passed | CheckStatus::Warning),
        }
    }
}
