//! From check results to the verdict: the root causes, each once, and the one admin plan that
//! fixes all of them together (elevate once, create the role once, the ACLs as one list, grant
//! once, one new session), plus the background script for exactly what is missing.
//!
//! Pure: the wizard derives the same assessment from the rows it shows, `check` from the
//! diagnosis, the report from either.

use serde::Serialize;

use super::cause::{self, Cause, CauseId, EndpointProblem, Verdict};
use super::fixes::{self, FixContext, INTEGRATION_ROLE};
use super::{CheckId, CheckResult, CheckStatus};
use crate::servicenow::Error;

/// The admin's one checklist and the script alternative.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdminPlan {
    /// Numbered steps, in order. A step's later lines (`- ...`) are its items.
    pub steps: Vec<String>,
    /// The background script creating exactly the missing ACLs and granting the roles.
    pub script: Option<String>,
}

impl AdminPlan {
    /// The plan as numbered text (`1. ...`, items indented under their step).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            for (j, line) in step.lines().enumerate() {
                if j == 0 {
                    out.push_str(&format!("{}. {line}\n", i + 1));
                } else {
                    out.push_str(&format!("   {line}\n"));
                }
            }
        }
        out
    }
}

/// Causes, plan and verdict of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Every root cause once, in ladder order of the first check it explains.
    pub causes: Vec<Cause>,
    /// The one admin plan.
    pub plan: AdminPlan,
    /// What the caller should do.
    pub verdict: Verdict,
}

impl Assessment {
    /// True when the integration works.
    pub fn ok(&self) -> bool {
        self.verdict == Verdict::Works
    }

    /// The cause with id `id`.
    pub fn cause(&self, id: CauseId) -> Option<&Cause> {
        self.causes.iter().find(|c| c.id == id)
    }

    /// Causes that concern the whole instance (shown once, as a banner or headline).
    pub fn instance_wide(&self) -> impl Iterator<Item = &Cause> {
        self.causes.iter().filter(|c| c.id.instance_wide())
    }

    /// The read ACLs the `missing_acl` cause lists.
    pub fn missing_acls(&self) -> &[String] {
        self.cause(CauseId::MissingAcl)
            .map_or(&[], |c| c.acls.as_slice())
    }
}

/// A cause found outside the checks: dictionary discovery failing for a transient reason.
pub fn cause_from_error(err: &Error, what: &str, ctx: &FixContext) -> Option<Cause> {
    let id = cause::cause_of_error(err)?;
    let evidence = super::probes::evidence(err);
    let at = cause::retry_at(err);
    Some(Cause {
        id,
        kind: id.kind(),
        summary: crate::sanitize::line(&headline(
            id,
            &evidence,
            &format!("{what}: {evidence}"),
            at,
        ))
        .into_owned(),
        fix: crate::sanitize::text(&fixes::for_error(err, ctx).unwrap_or_default()).into_owned(),
        checks: Vec::new(),
        retry_at: cause::retry_at(err).map(cause::rfc3339),
        acls: Vec::new(),
        endpoints: Vec::new(),
    })
}

/// The `endpoint_invalid` cause for the problems found in the configured endpoints.
pub fn endpoint_cause(problems: Vec<EndpointProblem>) -> Option<Cause> {
    if problems.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = problems.iter().map(|p| p.endpoint.as_str()).collect();
    names.dedup();
    let summary = format!(
        "{} endpoint{} cannot create incidents on this instance: {}",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        problems
            .iter()
            .map(|p| format!("{:?} field {}", p.endpoint, p.field))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let fix = problems
        .iter()
        .map(|p| {
            format!(
                "Endpoint {:?}, field {}: {}",
                p.endpoint, p.field, p.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(Cause {
        id: CauseId::EndpointInvalid,
        kind: CauseId::EndpointInvalid.kind(),
        summary: crate::sanitize::line(&summary).into_owned(),
        fix: crate::sanitize::text(&fix).into_owned(),
        checks: Vec::new(),
        retry_at: None,
        acls: Vec::new(),
        endpoints: problems,
    })
}

/// The ladder order of the ACLs the plan may create.
const ACL_ORDER: [&str; 8] = [
    "sys_db_object",
    "sys_db_object.*",
    "sys_dictionary",
    "sys_dictionary.*",
    "sys_glide_object",
    "sys_glide_object.*",
    "sys_choice",
    "sys_choice.*",
];

fn acl_rank(acl: &str) -> usize {
    ACL_ORDER
        .iter()
        .position(|a| *a == acl)
        .unwrap_or(ACL_ORDER.len())
}

/// Assess `results` (and causes found outside them) for `ctx`'s user.
pub fn assess(results: &[CheckResult], extra: Vec<Cause>, ctx: &FixContext) -> Assessment {
    let mut causes: Vec<Cause> = Vec::new();
    for r in results {
        let Some(id) = r.cause else { continue };
        // A skipped row after a stop points at the cause but adds nothing to it, unless the
        // row that met it is missing (cancelled runs).
        match causes.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.checks.push(r.id);
                merge_row(c, r);
            }
            None => {
                let mut c = Cause {
                    id,
                    kind: id.kind(),
                    summary: String::new(),
                    fix: r.fix.clone().unwrap_or_default(),
                    checks: vec![r.id],
                    retry_at: None,
                    acls: Vec::new(),
                    endpoints: Vec::new(),
                };
                merge_row(&mut c, r);
                c.summary = headline(
                    id,
                    r.evidence.as_deref().unwrap_or_default(),
                    &r.summary,
                    r.retry_at,
                );
                causes.push(c);
            }
        }
    }
    for c in &mut causes {
        if c.id == CauseId::MissingAcl {
            c.acls.sort_by_key(|a| acl_rank(a));
            c.acls.dedup();
            let required: Vec<&String> = c
                .acls
                .iter()
                .filter(|a| !a.starts_with("sys_choice"))
                .collect();
            c.summary = format!(
                "{} lacks {} read ACL{}: {}{}",
                ctx.user(),
                c.acls.len(),
                if c.acls.len() == 1 { "" } else { "s" },
                c.acls.join(", "),
                if required.is_empty() {
                    " (optional: choice lists only)"
                } else {
                    ""
                }
            );
            c.fix = format!(
                "ServiceNow admin: follow the plan (one elevation, one role {INTEGRATION_ROLE}, \
                 the read ACLs {}, one grant, one new session), or run its background script.",
                c.acls.join(", ")
            );
        }
    }
    // The rows' fixes were written by the ladder, for `check`; a cause read elsewhere (the
    // wizard's matrix) says how to verify there.
    for c in &mut causes {
        c.fix = ctx.retarget(&c.fix);
    }
    for e in extra {
        match causes.iter_mut().find(|c| c.id == e.id) {
            Some(c) => {
                c.endpoints.extend(e.endpoints);
                if c.retry_at.is_none() {
                    c.retry_at = e.retry_at;
                }
            }
            None => causes.push(e),
        }
    }
    let mut verdict = Verdict::Works;
    for r in results.iter().filter(|r| !r.is_ok()) {
        verdict = verdict.max(r.cause.map_or(Verdict::MustChange, CauseId::verdict));
    }
    for c in causes.iter().filter(|c| c.checks.is_empty()) {
        verdict = verdict.max(c.id.verdict());
    }
    let plan = admin_plan(&causes, ctx);
    Assessment {
        causes,
        plan,
        verdict,
    }
}

/// Fold one row into its cause: the ACLs it found missing, the latest retry time.
fn merge_row(c: &mut Cause, r: &CheckResult) {
    c.acls.extend(r.missing_acls.iter().cloned());
    if c.fix.is_empty()
        && let Some(f) = &r.fix
    {
        c.fix = f.clone();
    }
    if let Some(t) = r.retry_at {
        let later = c
            .retry_at
            .as_deref()
            .is_none_or(|prev| cause::rfc3339(t).as_str() > prev);
        if later {
            c.retry_at = Some(cause::rfc3339(t));
        }
    }
}

/// One line for a cause, from the evidence and summary of the first row (or error) that met it.
fn headline(
    id: CauseId,
    evidence: &str,
    summary: &str,
    retry_at: Option<time::OffsetDateTime>,
) -> String {
    match id {
        CauseId::RateLimited => match retry_at {
            Some(t) => format!(
                "the integration user is rate limited (HTTP 429); try again after {}",
                cause::clock(t)
            ),
            None => "the integration user is rate limited (HTTP 429); try again in a few minutes".to_string(),
        },
        CauseId::SecurelyScoped => "the OAuth client is securely scoped: ServiceNow refuses every Table API call, whatever the user's roles".to_string(),
        CauseId::Unavailable => format!(
            "the instance is unavailable ({}): maintenance or an outage, usually temporary",
            if evidence.is_empty() { "no usable answer" } else { evidence }
        ),
        CauseId::Hibernating => "the instance is hibernating (a personal developer instance asleep)".to_string(),
        CauseId::Timeout => format!("the instance did not answer in time ({summary})"),
        CauseId::TokenRestricted => "a token is issued, but the Table API rejects it (HTTP 401): token restrictions or an API access policy".to_string(),
        // Not sent this run: the summary says when they were rejected and how to send again.
        CauseId::CredentialsRejected if summary.starts_with("not sent") => summary.to_string(),
        CauseId::DictionaryTooLarge => format!(
            "the dictionary is larger than snow-connect reads: {}",
            if evidence.is_empty() { summary } else { evidence }
        ),
        CauseId::CredentialsRejected => "ServiceNow refused the token request: one of client ID, client secret, user name or password is wrong, or the user cannot log in".to_string(),
        _ => summary.to_string(),
    }
}

/// The `missing_acl` cause for a denial found outside the ladder (another table's dictionary).
pub fn denied_cause(acl: &str, evidence: &str, ctx: &FixContext) -> Option<Cause> {
    let row = CheckResult {
        cause: Some(CauseId::MissingAcl),
        missing_acls: vec![acl.to_string()],
        evidence: Some(evidence.to_string()),
        fix: Some(fixes::acl_row(acl, ctx)),
        ..CheckResult::new(
            CheckId::for_acl(acl).unwrap_or(CheckId::AclSysDictionary),
            CheckStatus::Blocked,
            format!("reading the dictionary needs the read ACL {acl}"),
        )
    };
    assess(std::slice::from_ref(&row), Vec::new(), ctx)
        .causes
        .into_iter()
        .next()
}

/// The one numbered checklist for every cause the admin can fix.
fn admin_plan(causes: &[Cause], ctx: &FixContext) -> AdminPlan {
    let has = |id| causes.iter().any(|c: &Cause| c.id == id);
    let found: Vec<String> = causes
        .iter()
        .filter(|c| c.id == CauseId::MissingAcl)
        .flat_map(|c| c.acls.iter().cloned())
        .collect();
    // A table that cannot be read hides whether its field ACL exists: create both, as the
    // remediation notes advise; the companion is marked as not checked.
    let mut acls: Vec<(String, bool)> = found.iter().map(|a| (a.clone(), true)).collect();
    for a in &found {
        if !a.ends_with(".*") {
            let star = format!("{a}.*");
            if !acls.iter().any(|(x, _)| *x == star) {
                acls.push((star, false));
            }
        }
    }
    acls.sort_by_key(|(a, _)| acl_rank(a));

    let mut steps = Vec::new();
    let mut roles: Vec<&str> = Vec::new();
    if !acls.is_empty() {
        steps.push(fixes::elevate_step());
        steps.push(fixes::role_step());
        let mut step = format!(
            "Create {} read ACL{} (System Security > Access Control (ACL) > New: Type record, \
             Operation read, Decision type Allow If, Name as below, Requires role \
             {INTEGRATION_ROLE}, Active checked, Submit; once per line):",
            acls.len(),
            if acls.len() == 1 { "" } else { "s" }
        );
        for (acl, checked) in &acls {
            let (table, part) = match acl.strip_suffix(".*") {
                Some(t) => (t, fixes::AclPart::Fields),
                None => (acl.as_str(), fixes::AclPart::Table),
            };
            let mut note = part.what().to_string();
            if !checked {
                note.push_str("; not checked while the table is unreadable, create it too");
            }
            if table == "sys_choice" {
                note.push_str("; optional: choice lists");
            }
            step.push_str(&format!(
                "\n- Name {table} / {} ({note})",
                part.second_picker()
            ));
        }
        let mut tables: Vec<&str> = acls.iter().map(|(a, _)| a.trim_end_matches(".*")).collect();
        tables.dedup();
        for t in tables {
            for extra in fixes::table_extra(t) {
                step.push_str(&format!("\n- {extra}"));
            }
        }
        steps.push(step);
        roles.push(INTEGRATION_ROLE);
    }
    if has(CauseId::InsertDenied) {
        roles.push("itil");
    } else if has(CauseId::WebServiceAccess) {
        roles.push("snc_platform_rest_api_access");
    }
    if !roles.is_empty() {
        let user = ctx.user();
        let mut step = format!(
            "Give {user} the role{} {}: User Administration > Users > {user} > Roles related list \
             > Edit... > add {} > Save.",
            if roles.len() == 1 { "" } else { "s" },
            roles.join(" and "),
            roles.join(", ")
        );
        if has(CauseId::InsertDenied) {
            step.push_str(&format!(
                " itil lets {user} create incidents (sn_incident_write is the narrower choice); \
                 if {user} has snc_read_only, remove it in the same list: it blocks every insert."
            ));
        }
        step.push(' ');
        step.push_str(fixes::NEVER);
        steps.push(step);
    }
    if has(CauseId::SecurelyScoped) {
        steps.push(
            "Let the OAuth client call the Table API (it is securely scoped): System OAuth > \
             Application Registry > the integration's record: set Scope Restriction to Broad \
             scoped > Update; or, in Machine Identity Console > Inbound integrations, clear \
             \"Allow access only to APIs in selected scope\"; or add the auth scope useraccount \
             to the client."
                .to_string(),
        );
    }
    if has(CauseId::AuthScopeMissing) {
        steps.push(fixes::missing_auth_scope(ctx).replace("ServiceNow admin: ", ""));
    }
    if has(CauseId::TokenRestricted) {
        steps.push(fixes::token_not_accepted().replace("ServiceNow admin: ", ""));
    }
    if has(CauseId::OauthDisabled) {
        steps.push(
            "Turn OAuth on: the OAuth 2.0 plugin (com.snc.platform.security.oauth) active and \
             the property com.snc.platform.security.oauth.is.active set to true."
                .to_string(),
        );
    }
    if has(CauseId::CredentialsRejected) {
        steps.push(format!(
            "Check the four credentials, in the order the cause credentials_rejected lists \
             (client ID and secret, {}'s User ID and password, Locked out, Active, Password \
             needs reset), then {}; each failed try counts towards the lockout. {}",
            ctx.user(),
            ctx.again(),
            if ctx.reader.in_wizard() {
                "Changed credentials are sent at once; the same ones, once fixed in ServiceNow, \
                 are sent again only after the wizard's lockout warning."
            } else {
                "Changed credentials are sent at once; the same ones, once fixed in ServiceNow, \
                 need --retry-login (snow-connect remembers a rejection)."
            }
        ));
    }
    // Only a new role waits for a new session; scope changes apply to tokens already issued
    // (servicenow-remediation.md), so asking to revoke them would send the admin astray.
    if !roles.is_empty() {
        steps.push(fixes::new_session_step(ctx));
    }
    let script = (!acls.is_empty()).then(|| {
        let names: Vec<String> = acls.iter().map(|(a, _)| a.clone()).collect();
        let extra: Vec<&str> = roles
            .iter()
            .copied()
            .filter(|r| *r != INTEGRATION_ROLE)
            .collect();
        script(ctx.user(), &names, &extra)
    });
    AdminPlan { steps, script }
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn js_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|a| js_string(a.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The background-script alternative of remediation 2.3: the role, exactly `acls`, and the
/// grants (the integration role and `extra_roles`).
pub fn script(user: &str, acls: &[String], extra_roles: &[&str]) -> String {
    format!(
        r#"// System Definition > Scripts - Background, in a session ELEVATED to security_admin,
// application scope Global. Creates a read-only role, the read ACLs, and grants the roles.
(function () {{
    var ROLE = {role};
    var USER = {user};
    var NAMES = [{names}];
    var EXTRA_ROLES = [{extra}];
    function idByName(table, name) {{
        var gr = new GlideRecord(table);
        return gr.get('name', name) ? gr.getUniqueValue() : null;
    }}
    var typeId = idByName('sys_security_type', 'record');
    var opId = idByName('sys_security_operation', 'read');
    var internalId = idByName('sys_user_role', 'snc_internal');
    var role = new GlideRecord('sys_user_role');
    if (!role.get('name', ROLE)) {{
        role.initialize();
        role.setValue('name', ROLE);
        role.setValue('description', 'Read-only table metadata for the Finout integration');
        role.insert();
    }}
    var roleId = role.getUniqueValue();
    NAMES.forEach(function (name) {{
        var acl = new GlideRecord('sys_security_acl');
        acl.initialize();
        acl.setValue('name', name);
        acl.setValue('type', typeId);
        acl.setValue('operation', opId);
        acl.setValue('decision_type', 'allow');
        acl.setValue('admin_overrides', true);
        acl.setValue('active', false); // activated only after the role is linked
        acl.setValue('description', 'Finout integration: read ' + name);
        var aclId = acl.insert();
        var link = new GlideRecord('sys_security_acl_role');
        link.initialize();
        link.setValue('sys_security_acl', aclId);
        link.setValue('sys_user_role', roleId);
        link.insert();
        if (internalId) {{ // drop an automatically added snc_internal link
            var auto = new GlideRecord('sys_security_acl_role');
            auto.addQuery('sys_security_acl', aclId);
            auto.addQuery('sys_user_role', internalId);
            auto.query();
            while (auto.next()) auto.deleteRecord();
        }}
        var done = new GlideRecord('sys_security_acl');
        if (done.get(aclId)) {{ done.setValue('active', true); done.update(); }}
        gs.info('ACL ready: ' + name);
    }});
    var user = new GlideRecord('sys_user');
    if (!user.get('user_name', USER)) {{
        gs.info('User not found: ' + USER);
        return;
    }}
    [ROLE].concat(EXTRA_ROLES).forEach(function (name) {{
        var r = new GlideRecord('sys_user_role');
        if (!r.get('name', name)) {{ gs.info('Role not found: ' + name); return; }}
        var has = new GlideRecord('sys_user_has_role');
        has.initialize();
        has.setValue('user', user.getUniqueValue());
        has.setValue('role', r.getUniqueValue());
        has.insert();
        gs.info('Role ' + name + ' granted to ' + USER);
    }});
}})();
"#,
        role = js_string(INTEGRATION_ROLE),
        user = js_string(user),
        names = js_list(acls),
        extra = js_list(extra_roles),
    )
}

/// True for a row whose status the verdict should count as a problem the user sees.
pub fn needs_attention(r: &CheckResult) -> bool {
    matches!(
        r.status,
        CheckStatus::Blocked
            | CheckStatus::Partial
            | CheckStatus::Warning
            | CheckStatus::Inconclusive
    )
}

/// The checks a cause explains, as ids joined for a sentence.
pub fn check_list(ids: &[CheckId]) -> String {
    ids.iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: CheckId, status: CheckStatus, cause: Option<CauseId>, acls: &[&str]) -> CheckResult {
        CheckResult {
            missing_acls: acls.iter().map(|a| a.to_string()).collect(),
            cause,
            fix: Some(format!("fix of {id}")),
            evidence: Some("HTTP 403".into()),
            ..CheckResult::new(id, status, format!("{id} summary"))
        }
    }

    fn ctx() -> FixContext {
        FixContext::new("finout.integration", "acme.service-now.com")
    }

    #[test]
    fn two_missing_acls_make_one_cause_and_one_plan_with_one_elevation() {
        let results = vec![
            row(CheckId::Oauth, CheckStatus::Passed, None, &[]),
            row(
                CheckId::AclSysDictionaryFields,
                CheckStatus::Blocked,
                Some(CauseId::MissingAcl),
                &["sys_dictionary.*"],
            ),
            row(
                CheckId::AclSysGlideObject,
                CheckStatus::Blocked,
                Some(CauseId::MissingAcl),
                &["sys_glide_object"],
            ),
        ];
        let a = assess(&results, Vec::new(), &ctx());
        assert_eq!(a.verdict, Verdict::MustChange);
        assert_eq!(a.causes.len(), 1);
        let c = &a.causes[0];
        assert_eq!(c.id, CauseId::MissingAcl);
        assert_eq!(
            c.checks,
            vec![CheckId::AclSysDictionaryFields, CheckId::AclSysGlideObject]
        );
        assert_eq!(c.acls, vec!["sys_dictionary.*", "sys_glide_object"]);
        let text = a.plan.text();
        assert_eq!(
            text.matches("Elevate to security_admin").count(),
            1,
            "{text}"
        );
        assert_eq!(text.matches("User Administration > Roles > New").count(), 1);
        assert_eq!(text.matches("Roles related list").count(), 1);
        assert_eq!(text.matches("Manage Tokens").count(), 1);
        assert!(text.contains("Name sys_dictionary / *"));
        assert!(text.contains("Name sys_glide_object / -- None --"));
        assert!(text.contains("Name sys_glide_object / * (the field ACL; not checked"));
        let script = a.plan.script.unwrap_or_default();
        assert!(script.contains(
            "var NAMES = [\"sys_dictionary.*\", \"sys_glide_object\", \"sys_glide_object.*\"];"
        ));
    }

    #[test]
    fn an_instance_wide_cause_is_one_cause_whatever_the_number_of_rows() {
        let scoped = |id, s| row(id, s, Some(CauseId::SecurelyScoped), &[]);
        let results = vec![
            scoped(CheckId::AclSysDbObject, CheckStatus::Inconclusive),
            scoped(CheckId::AclSysDbObjectFields, CheckStatus::Skipped),
            scoped(CheckId::AclSysDictionary, CheckStatus::Inconclusive),
            scoped(CheckId::AclSysGlideObject, CheckStatus::Inconclusive),
        ];
        let a = assess(&results, Vec::new(), &ctx());
        assert_eq!(a.causes.len(), 1);
        assert_eq!(a.causes[0].checks.len(), 4);
        assert_eq!(a.verdict, Verdict::MustChange);
        assert!(a.plan.text().contains("Scope Restriction"));
        assert!(a.plan.script.is_none(), "ACLs do not fix a scope");
    }

    #[test]
    fn verdict_takes_the_worst_cause_and_ignores_the_optional_choice_check() {
        let limited = row(
            CheckId::AclSysChoice,
            CheckStatus::Inconclusive,
            Some(CauseId::RateLimited),
            &[],
        );
        assert_eq!(
            assess(std::slice::from_ref(&limited), Vec::new(), &ctx()).verdict,
            Verdict::Works
        );
        let glide = row(
            CheckId::AclSysGlideObject,
            CheckStatus::Inconclusive,
            Some(CauseId::RateLimited),
            &[],
        );
        let a = assess(&[glide.clone(), limited], Vec::new(), &ctx());
        assert_eq!(a.verdict, Verdict::RetryLater);
        assert!(a.plan.steps.is_empty());
        let unreachable = row(
            CheckId::Reachability,
            CheckStatus::Blocked,
            Some(CauseId::Unreachable),
            &[],
        );
        assert_eq!(
            assess(&[unreachable, glide], Vec::new(), &ctx()).verdict,
            Verdict::Unreachable
        );
        let endpoint = endpoint_cause(vec![EndpointProblem {
            endpoint: "Default".into(),
            field: "caller_id".into(),
            message: "mandatory".into(),
        }]);
        let a = assess(&[], endpoint.into_iter().collect(), &ctx());
        assert_eq!(a.verdict, Verdict::MustChange);
        assert_eq!(a.causes[0].id, CauseId::EndpointInvalid);
    }
}
