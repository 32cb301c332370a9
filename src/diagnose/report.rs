//! The Markdown report for the ServiceNow admin, built from the same texts as the checks.

use super::fixes::{self, FixContext, INTEGRATION_ROLE};
use super::{CheckId, CheckResult, CheckStatus};
use crate::sanitize;

/// One table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    sanitize::line(s).replace('|', "\\|")
}

/// A multi-line fix as Markdown: numbered steps become a list set off by blank lines.
fn block(text: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for line in sanitize::text(text).lines() {
        let is_item = fixes::step_number(line).is_some();
        if is_item != in_list && !out.is_empty() {
            out.push('\n');
        }
        in_list = is_item;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The ACL names the background script should create for the failing ACL checks.
fn missing_acls(results: &[CheckResult]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in results {
        let Some(acl) = r.id.acl() else { continue };
        let failing = matches!(
            r.status,
            CheckStatus::Blocked | CheckStatus::Partial | CheckStatus::Warning
        );
        // A scope problem is not fixed by ACLs.
        let scoped = r
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("Scope Restriction"));
        if !failing || scoped {
            continue;
        }
        let table = acl.trim_end_matches(".*");
        for name in [table.to_string(), format!("{table}.*")] {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The background-script alternative of remediation 2.3, for the given ACL names.
fn script(user: &str, acls: &[String]) -> String {
    let names = acls
        .iter()
        .map(|a| js_string(a))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"```javascript
// System Definition > Scripts - Background, in a session ELEVATED to security_admin,
// application scope Global. Creates a read-only role, the read ACLs, and grants the role.
(function () {{
    var ROLE = {role};
    var USER = {user};
    var NAMES = [{names}];
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
    if (user.get('user_name', USER)) {{
        var has = new GlideRecord('sys_user_has_role');
        has.initialize();
        has.setValue('user', user.getUniqueValue());
        has.setValue('role', roleId);
        has.insert();
        gs.info('Role ' + ROLE + ' granted to ' + USER);
    }} else {{
        gs.info('User not found: ' + USER);
    }}
}})();
```
"#,
        role = js_string(INTEGRATION_ROLE),
        user = js_string(user),
    )
}

/// A Markdown report: instance, user, a table of checks, and every fix in full.
pub fn markdown_report(instance_url: &str, username: &str, results: &[CheckResult]) -> String {
    // The report's own text (the role summary) names the user, never the host.
    let ctx = FixContext::new(username, "");
    let ok = !results.is_empty() && results.iter().all(CheckResult::is_ok);
    let mut md = format!(
        "# snow-connect diagnosis\n\n\
         - Instance: {}\n\
         - Integration user: `{}`\n",
        cell(instance_url),
        cell(username).replace('`', "'"),
    );
    if let Ok(now) =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)
    {
        md.push_str(&format!("- Checked: {now}\n"));
    }
    md.push_str(if ok {
        "- Result: **the integration will work.**\n"
    } else {
        "- Result: **the integration will not work until the items below are fixed.**\n"
    });

    md.push_str("\n| Check | Status | Summary | Time |\n|---|---|---|---|\n");
    for r in results {
        md.push_str(&format!(
            "| `{}` | {} {} | {} | {} ms |\n",
            r.id,
            r.status.glyph(),
            r.status.word(),
            cell(&r.summary),
            r.elapsed_ms
        ));
    }

    let with_fix: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.fix.is_some() && r.status != CheckStatus::Passed)
        .collect();
    if !with_fix.is_empty() {
        md.push_str("\n## What to change\n");
        let mut seen: Vec<(&str, CheckId)> = Vec::new();
        for r in with_fix {
            md.push_str(&format!(
                "\n### {} `{}`: {}\n\n{}\n",
                r.status.glyph(),
                r.id,
                r.status.word(),
                cell(&r.summary)
            ));
            if let Some(e) = &r.evidence {
                md.push_str(&format!("\nEvidence: {}\n", cell(e)));
            }
            let fix = r.fix.as_deref().unwrap_or_default();
            match seen.iter().find(|(f, _)| *f == fix) {
                Some((_, first)) => {
                    md.push_str(&format!("\nFix: the same as for `{first}` above.\n"))
                }
                None => {
                    md.push_str(&format!("\nFix:\n\n{}", block(fix)));
                    seen.push((fix, r.id));
                }
            }
        }
    }

    let acls = missing_acls(results);
    if !acls.is_empty() {
        md.push_str(&format!(
            "\n## Roles\n\n{}",
            block(&fixes::role_summary(&ctx))
        ));
        md.push_str(&format!(
            "\n## Alternative: one background script\n\n\
             Instead of the form steps above, an admin elevated to security_admin can run this in \
             the same session (not tested on a live instance; the form steps are the reference). \
             It creates the role {INTEGRATION_ROLE}, the read ACLs {}, and grants the role.\n\n{}",
            acls.iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", "),
            script(username, &acls)
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: CheckId, status: CheckStatus, fix: Option<&str>) -> CheckResult {
        CheckResult {
            id,
            status,
            summary: format!("{id} summary | with pipe"),
            evidence: Some("HTTP 403: Insufficient rights to query records".into()),
            fix: fix.map(Into::into),
            elapsed_ms: 7,
        }
    }

    #[test]
    fn report_lists_every_check_and_every_fix_once() {
        let ctx = FixContext::new("finout.integration", "acme.service-now.com");
        let table_fix = fixes::table_read("sys_dictionary", &ctx);
        let results: Vec<CheckResult> = CheckId::ALL
            .iter()
            .map(|id| match id {
                CheckId::AclSysDictionary => result(*id, CheckStatus::Blocked, Some(&table_fix)),
                CheckId::AclSysDictionaryFields => result(*id, CheckStatus::Skipped, None),
                _ => result(*id, CheckStatus::Passed, None),
            })
            .collect();
        let md = markdown_report(
            "https://acme.service-now.com",
            "finout.integration",
            &results,
        );
        for id in CheckId::ALL {
            assert!(md.contains(&format!("| `{id}` |")), "{id} missing");
        }
        assert!(md.contains("will not work"));
        assert!(md.contains("summary \\| with pipe"));
        assert!(md.contains("Name sys_dictionary / -- None --"));
        assert!(md.contains("Evidence: HTTP 403: Insufficient rights"));
        assert!(md.contains("\n\n1. Elevate to security_admin"), "{md}");
        assert!(md.contains("var NAMES = [\"sys_dictionary\", \"sys_dictionary.*\"];"));
        assert!(md.contains("var USER = \"finout.integration\";"));
    }

    #[test]
    fn identical_fixes_are_written_once() {
        let scope = fixes::securely_scoped();
        let results = vec![
            result(CheckId::AclSysDbObject, CheckStatus::Blocked, Some(&scope)),
            result(
                CheckId::AclSysDictionary,
                CheckStatus::Blocked,
                Some(&scope),
            ),
        ];
        let md = markdown_report("https://acme.service-now.com", "u", &results);
        assert_eq!(md.matches("Scope Restriction").count(), 1);
        assert!(md.contains("the same as for `acl:sys_db_object` above"));
        // Scope problems are not fixed by ACLs: no script.
        assert!(!md.contains("background script"));
    }

    #[test]
    fn healthy_report_says_it_will_work() {
        let results: Vec<CheckResult> = CheckId::ALL
            .iter()
            .map(|id| result(*id, CheckStatus::Passed, None))
            .collect();
        let md = markdown_report("https://acme.service-now.com", "u", &results);
        assert!(md.contains("will work"));
        assert!(!md.contains("## What to change"));
    }
}
