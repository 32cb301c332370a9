//! The Markdown report for the ServiceNow admin, built from the same texts as the checks.

use super::CheckResult;

/// A Markdown report: instance, user, a table of checks, and every fix in full.
pub fn markdown_report(instance_url: &str, username: &str, results: &[CheckResult]) -> String {
    let _ = (instance_url, username, results);
    todo!("diagnose: report")
}
