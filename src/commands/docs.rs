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
/// (nested ones too) with its synopsis, description, options and long help.
pub fn man_page() -> std::io::Result<String> {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .date(env!("SNOW_CONNECT_BUILD_DATE"))
        .render(&mut page)?;
    for sub in cmd.get_subcommands() {
        subcommand_sections(sub, &mut page)?;
    }
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// `.SH "SNOW-CONNECT CHECK"` and the subcommand's own sections as `.SS` below it.
fn subcommand_sections(sub: &clap::Command, page: &mut Vec<u8>) -> std::io::Result<()> {
    if sub.is_hide_set() {
        return Ok(());
    }
    let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
    page.extend_from_slice(format!(".SH \"{}\"\n", roff_escape(&name.to_uppercase())).as_bytes());
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
    if sub.get_after_long_help().is_some() {
        man.render_extra_section(&mut part)?;
    }
    page.extend_from_slice(demote_sections(&String::from_utf8_lossy(&part)).as_bytes());
    for nested in sub.get_subcommands() {
        subcommand_sections(nested, page)?;
    }
    Ok(())
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
        assert!(page.starts_with(".TH"), "{}", &page[..page.len().min(200)]);
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
        assert!(page.contains("EXIT STATUS"));
        // Exactly one SYNOPSIS section: the subcommands' are subsections.
        assert_eq!(page.matches(".SH SYNOPSIS").count(), 1);
    }

    #[test]
    fn demoting_keeps_other_lines() {
        assert_eq!(
            demote_sections(".SH A\ntext\n.SS B\n"),
            ".SS A\ntext\n.SS B\n"
        );
    }
}
