//! The Markdown report for the ServiceNow admin, built from the same texts as the checks.

use super::fixes::{self, FixContext, INTEGRATION_ROLE};
use super::plan::Assessment;
#[cfg(test)]
use super::{CheckId, CheckStatus};
use super::{CheckResult, Verdict};
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

/// The Markdown report for `results`, assessed on their own (the wizard's `s`).
pub fn markdown_report(instance_url: &str, username: &str, results: &[CheckResult]) -> String {
    let ctx = FixContext::new(username, "");
    let assessment = super::plan::assess(results, Vec::new(), &ctx);
    markdown_report_for(instance_url, username, results, &assessment)
}

/// A Markdown report: instance, user, the root causes (each once), a table of checks, the one
/// admin plan and its background script.
pub fn markdown_report_for(
    instance_url: &str,
    username: &str,
    results: &[CheckResult],
    assessment: &Assessment,
) -> String {
    // The report's own text (the role summary) names the user, never the host.
    let ctx = FixContext::new(username, "");
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
    md.push_str(&format!("- Result: **{}**\n", verdict_sentence(assessment)));

    if !assessment.causes.is_empty() {
        md.push_str(&format!(
            "\n## Root cause{}\n",
            if assessment.causes.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
        for c in &assessment.causes {
            md.push_str(&format!(
                "\n### `{}` ({}): {}\n",
                c.id,
                kind_word(c.kind),
                cell(&c.summary)
            ));
            if !c.checks.is_empty() {
                md.push_str(&format!(
                    "\nChecks: {}\n",
                    c.checks
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(at) = &c.retry_at {
                md.push_str(&format!("\nTry again after: {}\n", cell(at)));
            }
            if let Some(e) = c
                .checks
                .iter()
                .find_map(|id| results.iter().find(|r| r.id == *id)?.evidence.as_ref())
            {
                md.push_str(&format!("\nEvidence: {}\n", cell(e)));
            }
            if !c.fix.is_empty() {
                md.push_str(&format!("\nFix:\n\n{}", block(&c.fix)));
            }
        }
    }

    md.push_str(
        "\n## Checks\n\n| Check | Status | Cause | Summary | Time |\n|---|---|---|---|---|\n",
    );
    for r in results {
        md.push_str(&format!(
            "| `{}` | {} {} | {} | {} | {} ms |\n",
            r.id,
            r.status.glyph(),
            r.status.word(),
            r.cause.map(|c| format!("`{c}`")).unwrap_or_default(),
            cell(&r.summary),
            r.elapsed_ms
        ));
    }

    // Findings no cause explains (e.g. one of ServiceNow's own sites typed as the URL).
    let other: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.cause.is_none() && r.fix.is_some() && super::plan::needs_attention(r))
        .collect();
    if !other.is_empty() {
        md.push_str("\n## Other findings\n");
        for r in other {
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
            md.push_str(&format!(
                "\nFix:\n\n{}",
                block(r.fix.as_deref().unwrap_or_default())
            ));
        }
    }

    if !assessment.plan.steps.is_empty() {
        md.push_str("\n## What the ServiceNow admin changes (one plan)\n\n");
        for (i, step) in assessment.plan.steps.iter().enumerate() {
            for (j, line) in sanitize::text(step).lines().enumerate() {
                if j == 0 {
                    md.push_str(&format!("{}. {line}\n", i + 1));
                } else {
                    md.push_str(&format!("   {line}\n"));
                }
            }
        }
    }

    if let Some(script) = &assessment.plan.script {
        md.push_str(&format!(
            "\n## Roles\n\n{}",
            block(&fixes::role_summary(&ctx))
        ));
        md.push_str(&format!(
            "\n## Alternative: one background script\n\n\
             Instead of the form steps above, an admin elevated to security_admin can run this in \
             the same session (not tested on a live instance; the form steps are the reference). \
             It creates the role {INTEGRATION_ROLE}, the read ACLs {}, and grants the roles.\n\n\
             ```javascript\n{script}```\n",
            assessment
                .missing_acls()
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    md
}

/// `credentials`, `configuration` ...
fn kind_word(k: super::CauseKind) -> &'static str {
    match k {
        super::CauseKind::Credentials => "credentials",
        super::CauseKind::Configuration => "configuration",
        super::CauseKind::Instance => "instance",
        super::CauseKind::Transient => "transient",
    }
}

/// The verdict in one sentence, shared by the report and `check`.
pub fn verdict_sentence(a: &Assessment) -> String {
    match a.verdict {
        Verdict::Works => "the integration will work.".to_string(),
        Verdict::MustChange => {
            "the integration will not work until the root causes are fixed (in ServiceNow or in the config).".to_string()
        }
        Verdict::Unreachable => {
            "the instance could not be reached or is unavailable; nothing after that could be checked.".to_string()
        }
        Verdict::RetryLater => match a.cause(super::CauseId::RateLimited).and_then(|c| c.retry_at.clone()) {
            Some(at) => format!("the instance rate-limited the checks: try again after {at}."),
            None => "the instance rate-limited the checks: try again in a few minutes.".to_string(),
        },
        Verdict::Usage => "the instance URL is not usable.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::CauseId;

    fn result(
        id: CheckId,
        status: CheckStatus,
        cause: Option<CauseId>,
        acls: &[&str],
    ) -> CheckResult {
        CheckResult {
            evidence: Some("HTTP 403: Insufficient rights to query records".into()),
            fix: cause.map(|_| "row fix".to_string()),
            cause,
            missing_acls: acls.iter().map(|a| a.to_string()).collect(),
            elapsed_ms: 7,
            ..CheckResult::new(id, status, format!("{id} summary | with pipe"))
        }
    }

    #[test]
    fn report_lists_every_check_the_cause_once_and_one_plan() {
        let results: Vec<CheckResult> = CheckId::ALL
            .iter()
            .map(|id| match id {
                CheckId::AclSysDictionary => result(
                    *id,
                    CheckStatus::Blocked,
                    Some(CauseId::MissingAcl),
                    &["sys_dictionary"],
                ),
                CheckId::AclSysDictionaryFields => {
                    result(*id, CheckStatus::Skipped, Some(CauseId::MissingAcl), &[])
                }
                CheckId::AclSysGlideObject => result(
                    *id,
                    CheckStatus::Blocked,
                    Some(CauseId::MissingAcl),
                    &["sys_glide_object"],
                ),
                _ => result(*id, CheckStatus::Passed, None, &[]),
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
        assert_eq!(md.matches("### `missing_acl`").count(), 1, "{md}");
        assert_eq!(md.matches("Elevate to security_admin").count(), 1, "{md}");
        assert!(md.contains("Name sys_dictionary / -- None --"));
        assert!(md.contains("Name sys_glide_object / -- None --"));
        assert!(md.contains("\n1. Elevate to security_admin"), "{md}");
        assert!(md.contains(
            "var NAMES = [\"sys_dictionary\", \"sys_dictionary.*\", \"sys_glide_object\", \"sys_glide_object.*\"];"
        ));
        assert!(md.contains("var USER = \"finout.integration\";"));
    }

    #[test]
    fn an_instance_wide_cause_is_one_section_and_no_script() {
        let results = vec![
            result(
                CheckId::AclSysDbObject,
                CheckStatus::Inconclusive,
                Some(CauseId::SecurelyScoped),
                &[],
            ),
            result(
                CheckId::AclSysDictionary,
                CheckStatus::Inconclusive,
                Some(CauseId::SecurelyScoped),
                &[],
            ),
        ];
        let md = markdown_report("https://acme.service-now.com", "u", &results);
        assert_eq!(md.matches("### `securely_scoped`").count(), 1, "{md}");
        assert_eq!(md.matches("row fix").count(), 1, "{md}");
        // Scope problems are not fixed by ACLs: no script.
        assert!(!md.contains("background script"));
    }

    #[test]
    fn healthy_report_says_it_will_work() {
        let results: Vec<CheckResult> = CheckId::ALL
            .iter()
            .map(|id| result(*id, CheckStatus::Passed, None, &[]))
            .collect();
        let md = markdown_report("https://acme.service-now.com", "u", &results);
        assert!(md.contains("will work"));
        assert!(!md.contains("Root cause"));
        assert!(!md.contains("one plan"));
    }
}
