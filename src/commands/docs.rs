//! `snow-connect completions SHELL` and `snow-connect man`: generated from the same clap
//! definition that parses the command line, so they cannot drift from it.

use super::output;
use crate::exit::Exit;

/// Print the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Exit {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "snow-connect", &mut buf);
    output::print(&String::from_utf8_lossy(&buf));
    Exit::Success
}

/// Print the man page on stdout.
pub fn man() -> Exit {
    match man_page() {
        Ok(page) => {
            output::print(&page);
            Exit::Success
        }
        Err(e) => {
            output::error(&format!("cannot render the man page: {e}"));
            Exit::Usage
        }
    }
}

/// The whole manual as one roff page: the top-level command, then a section per subcommand
/// (nested ones too) with its synopsis, description, options and long help. Non-ASCII
/// characters are written as groff escapes, so the page renders under any locale.
pub fn man_page() -> std::io::Result<String> {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone()).date(env!("SNOW_CONNECT_BUILD_DATE"));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    let mut page = String::from_utf8_lossy(&page).into_owned();
    if let Some(text) = cmd.get_after_long_help() {
        page.push_str(&long_help_sections(&text.to_string(), ".SH"));
    }
    for sub in cmd.get_subcommands() {
        subcommand_sections(sub, &mut page)?;
    }
    Ok(ascii_only(&once_preamble(&page)))
}

/// Each rendered part starts with roff's apostrophe preamble (`.ie`/`.el` defining `Aq`);
/// the page needs it once, at the top.
fn once_preamble(roff: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::with_capacity(roff.len());
    for line in roff.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && !seen.insert(line) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `.SH "SNOW-CONNECT CHECK"` and the subcommand's own sections as `.SS` below it.
fn subcommand_sections(sub: &clap::Command, page: &mut String) -> std::io::Result<()> {
    if sub.is_hide_set() {
        return Ok(());
    }
    let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
    page.push_str(&format!(".SH \"{}\"\n", roff_escape(&name.to_uppercase())));
    let man = clap_mangen::Man::new(sub.clone());
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut part)?;
    }
    if sub.has_subcommands() {
        man.render_subcommands_section(&mut part)?;
    }
    page.push_str(&demote_sections(&String::from_utf8_lossy(&part)));
    if let Some(text) = sub.get_after_long_help() {
        page.push_str(&long_help_sections(&text.to_string(), ".SS"));
    }
    for nested in sub.get_subcommands() {
        subcommand_sections(nested, page)?;
    }
    Ok(())
}

/// The EXAMPLES / ENVIRONMENT / EXIT STATUS text of `--help` as man sections: each heading
/// line (all capitals) becomes `macro HEADING`, and the lines under it keep their layout.
fn long_help_sections(text: &str, heading_macro: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    for line in text.lines() {
        let is_heading = !line.is_empty()
            && !line.starts_with(' ')
            && line.chars().all(|c| c.is_ascii_uppercase() || c == ' ');
        if is_heading {
            if open {
                out.push_str(".fi\n");
            }
            out.push_str(&format!("{heading_macro} \"{}\"\n.nf\n", roff_escape(line)));
            open = true;
            continue;
        }
        if !open {
            out.push_str(".nf\n");
            open = true;
        }
        out.push_str("\\&");
        out.push_str(&roff_escape(line));
        out.push('\n');
    }
    if open {
        out.push_str(".fi\n");
    }
    out
}

/// One page has one set of top-level sections: a subcommand's become subsections.
fn demote_sections(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.lines() {
        match line.strip_prefix(".SH ") {
            Some(rest) => {
                out.push_str(".SS ");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Every non-ASCII character as a groff `\[uXXXX]` escape.
fn ascii_only(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('-', "\\-")
        .replace('"', "\\(dq")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_covers_every_subcommand() {
        let page = man_page().unwrap_or_default();
        assert!(page.starts_with(".ie"), "{}", &page[..page.len().min(200)]);
        assert_eq!(page.matches(".ds Aq").count(), 2, "the preamble once");
        assert_eq!(page.matches(".TH ").count(), 1);
        for name in [
            "CHECK",
            "FIELDS",
            "SEND",
            "SIMULATOR",
            "CONFIG",
            "CONFIG SHOW",
            "COMPLETIONS",
        ] {
            let heading = format!(".SH \"SNOW\\-CONNECT {name}\"");
            assert!(page.contains(&heading), "no {heading}");
        }
        assert!(page.contains("\\-\\-create\\-test\\-incident"));
        assert!(page.contains(".SH \"EXIT STATUS\""));
        assert!(page.contains(".SS \"ENVIRONMENT\""));
        // Exactly one SYNOPSIS section: the subcommands' are subsections.
        assert_eq!(page.matches(".SH SYNOPSIS").count(), 1);
    }

    #[test]
    fn long_help_keeps_its_layout_and_gets_real_headings() {
        let roff = long_help_sections("EXAMPLES\n  a -b\n\nEXIT STATUS\n  0    ok", ".SS");
        assert_eq!(
            roff,
            ".SS \"EXAMPLES\"\n.nf\n\\&  a \\-b\n\\&\n.fi\n.SS \"EXIT STATUS\"\n.nf\n\\&  0    ok\n.fi\n"
        );
    }

    #[test]
    fn the_man_page_is_ascii() {
        assert!(man_page().unwrap_or_default().is_ascii());
        assert_eq!(ascii_only("a…b"), "a\\[u2026]b");
    }

    #[test]
    fn demoting_keeps_other_lines() {
        assert_eq!(
            demote_sections(".SH A\ntext\n.SS B\n"),
            ".SS A\ntext\n.SS B\n"
        );
    }
}
