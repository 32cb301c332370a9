//! Writing a new private file next to the user's work (the admin report): atomically, mode
//! 0600, and never over anything already there, a planted symlink included.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ConfigError;
use super::atomic::sync_dir;

/// Write `bytes` as `dir/STEM.EXT`, or, when that name is taken (by a file, a directory or a
/// symlink), as `dir/STEM-YYYYMMDD-HHMMSS.EXT` (then `-2`, `-3` ...). Returns the path used.
///
/// The content goes to a 0600 temporary file first and is linked under its name only if the
/// name is free (`link(2)` never follows or replaces what is there), so a reader sees either
/// no file or the whole report.
pub fn write_new_private(
    dir: &Path,
    stem: &str,
    ext: &str,
    bytes: &[u8],
) -> Result<PathBuf, ConfigError> {
    let prefix = format!(".{stem}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let first = dir.join(format!("{stem}.{ext}"));
    let writing = |e| ConfigError::io(&first, "writing", e);
    let mut tmp = builder.tempfile_in(dir).map_err(writing)?;
    tmp.as_file_mut().write_all(bytes).map_err(writing)?;
    tmp.as_file_mut().sync_all().map_err(writing)?;
    let stamp = timestamp();
    let mut candidates = vec![first.clone(), dir.join(format!("{stem}-{stamp}.{ext}"))];
    candidates.extend((2..100).map(|n| dir.join(format!("{stem}-{stamp}-{n}.{ext}"))));
    for path in candidates {
        match tmp.persist_noclobber(&path) {
            Ok(_) => {
                sync_dir(dir).map_err(|e| ConfigError::io(dir, "syncing the directory", e))?;
                return Ok(path);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(ConfigError::io(&path, "writing", e.error)),
        }
    }
    Err(ConfigError::io(
        &first,
        "writing",
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "too many reports with this name; move some away",
        ),
    ))
}

fn timestamp() -> String {
    let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_else(|_| "now".to_string())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_planted_symlink_is_never_followed_and_an_existing_report_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").expect("write");
        let link = dir.path().join("snow-connect-report.md");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");

        let p = write_new_private(dir.path(), "snow-connect-report", "md", b"# one").expect("w");
        assert_ne!(p, link);
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
        assert!(
            link.symlink_metadata()
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "# one");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert!(
            name.starts_with("snow-connect-report-") && name.ends_with(".md"),
            "{name}"
        );

        let q = write_new_private(dir.path(), "snow-connect-report", "md", b"# two").expect("w");
        assert_ne!(p, q);
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "# one");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
