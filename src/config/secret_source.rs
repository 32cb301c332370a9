//! Fetching a secret from where operators keep it: the output of a command (`pass`, `vault`,
//! a credential helper) or a file (systemd credentials, Docker and Kubernetes secrets).
//!
//! Neither the secret nor anything else the command prints ever appears in an error: a
//! helper that fails may well have printed the secret, or part of it, before failing.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use secrecy::SecretString;

/// How long a secret command may run. Long enough for a human to answer a GPG pinentry.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A secret longer than this is not a secret but a mistake (a whole file, a log).
const MAX_SECRET_BYTES: usize = 64 * 1024;

/// Characters that only a shell understands: with any of them the string runs under `sh -c`.
/// Quotes and backslashes are not among them: `shell-words` splits those the way sh does.
const SHELL_SYNTAX: &[char] = &[
    '|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', ']', '{', '}', '~', '#', '\n',
];

/// How a command string is run.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    /// Split into words and run directly, no shell involved.
    Direct(Vec<String>),
    /// Needs a shell (pipes, variables, globs ...): `sh -c STRING`.
    Shell(String),
}

fn invocation(cmd: &str) -> Result<Invocation, String> {
    if cmd.contains(SHELL_SYNTAX) {
        return Ok(Invocation::Shell(cmd.to_string()));
    }
    let words = shell_words::split(cmd).map_err(|_| {
        "has an unmatched quote; close it, or quote the whole command the way sh would".to_string()
    })?;
    // `NAME=value cmd` sets a variable for the command: a shell feature.
    if words.first().is_some_and(|w| w.contains('=')) {
        return Ok(Invocation::Shell(cmd.to_string()));
    }
    if words.is_empty() {
        return Err("is empty; give the command that prints the secret".to_string());
    }
    Ok(Invocation::Direct(words))
}

/// Check a command string without running it (for loading the file).
pub(crate) fn check_command(cmd: &str) -> Result<(), String> {
    invocation(cmd).map(|_| ())
}

/// Run `cmd` and return its trimmed standard output as the secret.
///
/// Standard input is closed (a helper that wants to ask uses the terminal directly, as
/// pinentry does); standard error is collected and dropped, never shown.
pub fn run_command(cmd: &str, timeout: Duration) -> Result<SecretString, String> {
    let (mut command, program) = match invocation(cmd)? {
        Invocation::Direct(words) => {
            let mut c = Command::new(&words[0]);
            c.args(&words[1..]);
            (c, words[0].clone())
        }
        Invocation::Shell(s) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(s);
            (c, "sh -c".to_string())
        }
    };
    let program = crate::sanitize::line(&program).into_owned();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("`{program}` was not found on PATH"),
        std::io::ErrorKind::PermissionDenied => format!("`{program}` is not executable"),
        _ => format!("`{program}` could not be started: {e}"),
    })?;
    // Readers run on their own threads so that a helper filling a pipe cannot stall us, and
    // so that a grandchild still holding a pipe after a timeout cannot hold us either.
    let (tx, rx) = mpsc::channel();
    if let Some(mut out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let r = (&mut out)
                .take(MAX_SECRET_BYTES as u64 + 1)
                .read_to_end(&mut buf);
            // Drain the rest so the helper is not killed by SIGPIPE for a long output.
            let _ = std::io::copy(&mut out, &mut std::io::sink());
            let _ = tx.send(r.map(|_| buf));
        });
    }
    let stderr_bytes = child.stderr.take().map(|mut err| {
        let (etx, erx) = mpsc::channel();
        std::thread::spawn(move || {
            let n = std::io::copy(&mut err, &mut std::io::sink()).unwrap_or(0);
            let _ = etx.send(n);
        });
        erx
    });
    drop(tx);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{program}` did not finish within {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for `{program}` failed: {e}")),
        }
    };
    let out = rx.recv_timeout(Duration::from_secs(2));
    if !status.success() {
        let said = stderr_bytes
            .and_then(|r| r.recv_timeout(Duration::from_millis(500)).ok())
            .is_some_and(|n| n > 0);
        let how = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        let hint = if said {
            " (its messages are not shown, as they may hold the secret; run the command \
             yourself to see them)"
        } else {
            ""
        };
        return Err(format!("`{program}` {how}{hint}"));
    }
    let out = match out {
        Ok(Ok(buf)) => buf,
        Ok(Err(e)) => return Err(format!("reading the output of `{program}` failed: {e}")),
        Err(_) => {
            return Err(format!(
                "`{program}` exited, but something it started still holds its output open"
            ));
        }
    };
    secret_from_bytes(out, &format!("`{program}` printed"))
}

/// Read a secret file: a regular file owned by us with mode 0600 or stricter.
pub fn read_file(path: &Path) -> Result<SecretString, String> {
    let shown = path.display().to_string();
    if !path.is_absolute() {
        return Err(format!(
            "\"{}\" is not an absolute path; give the full path, e.g. \
             /run/credentials/snow-connect.service/password",
            crate::sanitize::line(&shown)
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown} does not exist"),
        std::io::ErrorKind::PermissionDenied => {
            format!("{shown} cannot be read: permission denied")
        }
        _ => format!("{shown} cannot be read: {e}"),
    })?;
    // Checked on the open file, so the file cannot be swapped between check and read.
    let meta = file
        .metadata()
        .map_err(|e| format!("{shown} cannot be examined: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    check_private(&meta, &shown)?;
    let mut buf = Vec::new();
    file.take(MAX_SECRET_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{shown} cannot be read: {e}"))?;
    secret_from_bytes(buf, &format!("{shown} holds"))
}

#[cfg(unix)]
fn check_private(meta: &std::fs::Metadata, shown: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = crate::config::owner::effective_uid();
    if meta.uid() != me {
        return Err(format!(
            "{shown} is owned by uid {}, not by you (uid {me}); a secret file must be yours: \
             chown {me} {shown}",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown} has mode {mode:04o}: other users can access it; a secret file must be \
             mode 0600 or stricter: chmod 600 {shown}"
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_meta: &std::fs::Metadata, _shown: &str) -> Result<(), String> {
    Ok(())
}

/// The trimmed text as the secret. `what` starts the messages ("`pass` printed").
fn secret_from_bytes(bytes: Vec<u8>, what: &str) -> Result<SecretString, String> {
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(format!(
            "{what} more than {} KiB, which is not a secret",
            MAX_SECRET_BYTES / 1024
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{what} something not UTF-8 text"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("{what} nothing (an empty secret)"));
    }
    Ok(SecretString::from(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn plain_commands_run_without_a_shell_and_shell_syntax_needs_one() {
        assert_eq!(
            invocation("pass show 'snow/finout prod'"),
            Ok(Invocation::Direct(vec![
                "pass".into(),
                "show".into(),
                "snow/finout prod".into()
            ]))
        );
        assert!(matches!(
            invocation("vault kv get -field=password secret/snow"),
            Ok(Invocation::Direct(w)) if w.len() == 5
        ));
        for s in ["cat $HOME/x", "a | b", "FOO=1 helper", "cat ~/x", "a; b"] {
            assert!(matches!(invocation(s), Ok(Invocation::Shell(_))), "{s}");
        }
        assert!(invocation("pass show 'oops").is_err());
        assert!(invocation("   ").is_err());
    }

    #[test]
    fn the_trimmed_output_is_the_secret() {
        let s = run_command("printf '  s3cret\\n\\n'", COMMAND_TIMEOUT).expect("runs");
        assert_eq!(s.expose_secret(), "s3cret");
        let s = run_command("echo from-a-shell | tr a-z A-Z", COMMAND_TIMEOUT).expect("runs");
        assert_eq!(s.expose_secret(), "FROM-A-SHELL");
    }

    #[test]
    fn a_failing_command_never_shows_what_it_printed() {
        let e = run_command(
            "sh -c 'echo leaked-secret; echo leaked-err >&2; exit 3'",
            COMMAND_TIMEOUT,
        )
        .expect_err("fails");
        assert!(e.contains("exited with status 3"), "{e}");
        assert!(e.contains("not shown"), "{e}");
        assert!(!e.contains("leaked"), "{e}");
    }

    #[test]
    fn missing_programs_empty_output_and_timeouts_are_clear_errors() {
        let e = run_command("no-such-helper-xyz get", COMMAND_TIMEOUT).expect_err("missing");
        assert!(
            e.contains("`no-such-helper-xyz` was not found on PATH"),
            "{e}"
        );
        let e = run_command("true", COMMAND_TIMEOUT).expect_err("empty");
        assert!(e.contains("printed nothing"), "{e}");
        let started = Instant::now();
        let e = run_command("sleep 5", Duration::from_millis(200)).expect_err("slow");
        assert!(e.contains("did not finish within"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("password");
        std::fs::write(&path, "hunter2\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = read_file(&path).expect_err("0644 is refused");
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(read_file(&path).expect("0600").expose_secret(), "hunter2");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert_eq!(read_file(&path).expect("0400").expose_secret(), "hunter2");
        let e = read_file(Path::new("relative/password")).expect_err("relative");
        assert!(e.contains("absolute"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_owned_by_someone_else_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        if crate::config::owner::effective_uid() != 0 {
            return; // Only root can give a file away.
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("password");
        std::fs::write(&path, "hunter2\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::chown(&path, Some(65534), None).expect("chown");
        let e = read_file(&path).expect_err("foreign");
        assert!(e.contains("owned by uid 65534"), "{e}");
    }
}
