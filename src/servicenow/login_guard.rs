//! Never lock the user out: credentials the instance rejected are remembered across runs and
//! not sent again unchanged without the user's explicit say (`--retry-login`, or the wizard's
//! confirmation). ServiceNow locks a user after repeated failed logins (5 by default), and
//! each `check` run, each retry, each Connect would otherwise count as one.
//!
//! The record lives in a directory the caller chooses (the state directory): a per-machine
//! random key (`login-key`, 0600) and one file per rejected set of credentials
//! (`rejected/<fingerprint>.json`, 0600). The fingerprint is HMAC-SHA256 over the instance,
//! client id, client secret, user name and password under that key: it proves "the same
//! five values as last time" and nothing else, and without the key it cannot be tested
//! against guesses. A record holds when the credentials were last rejected and how many
//! attempts were made; never a secret. A success with those credentials removes it.
//!
//! A file that cannot be read or parsed never blocks: it is logged, the credentials are
//! treated as not remembered, and the next rejection overwrites it.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::client::Credentials;

/// Environment variable that points the state directory elsewhere (tests, sandboxes).
pub const STATE_DIR_ENV: &str = "SNOW_CONNECT_STATE_DIR";

/// The lockout threshold ServiceNow ships with (`glide.user.max_failed_logins`... default 5),
/// quoted in messages.
pub const DEFAULT_LOCKOUT_AFTER: u32 = 5;

const KEY_FILE: &str = "login-key";
const RECORDS: &str = "rejected";
const RECORD_VERSION: u32 = 1;

/// What is remembered about rejected credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// When they were last rejected (Unix seconds, UTC).
    pub rejected_at: i64,
    /// Password grants with these credentials that the instance rejected.
    pub attempts: u32,
}

impl Rejection {
    /// `2026-12-04 18:03:11 UTC`.
    pub fn when(&self) -> String {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
        time::OffsetDateTime::from_unix_timestamp(self.rejected_at)
            .ok()
            .and_then(|t| t.format(&fmt).ok())
            .unwrap_or_else(|| format!("Unix time {}", self.rejected_at))
    }
}

#[derive(Serialize, Deserialize)]
struct RecordFile {
    version: u32,
    rejected_at: i64,
    attempts: u32,
}

/// The keyed fingerprint of one set of credentials (hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(String);

struct Store {
    /// Where records live; `None` keeps them in memory only (for this process).
    dir: Option<PathBuf>,
    /// The key, and whether it is the one on disk (records are written only under that).
    key: Mutex<Option<(hmac::Key, bool)>>,
    memory: Mutex<HashMap<Fingerprint, Rejection>>,
}

/// Remembers rejected credentials. Cheap to clone; clones share the record, but each
/// [`LoginGuard::with_retry`] handle carries its own one-time permission.
#[derive(Clone)]
pub struct LoginGuard {
    store: Arc<Store>,
    /// One send of remembered-rejected credentials is allowed (`--retry-login`, or the
    /// wizard's confirmation); taken by the first password grant.
    retry: Arc<AtomicBool>,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field("dir", &self.store.dir)
            .field("retry", &self.retry.load(Ordering::Relaxed))
            .finish()
    }
}

impl LoginGuard {
    /// A guard whose record lives in `dir` (created 0700 when first needed); `None` keeps
    /// it in memory for this process only.
    pub fn open(dir: Option<PathBuf>) -> LoginGuard {
        LoginGuard {
            store: Arc::new(Store {
                dir,
                key: Mutex::new(None),
                memory: Mutex::new(HashMap::new()),
            }),
            retry: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A guard that remembers for this process only.
    pub fn in_memory() -> LoginGuard {
        LoginGuard::open(None)
    }

    /// The same record, allowing (or not) one send of remembered-rejected credentials.
    pub fn with_retry(&self, retry: bool) -> LoginGuard {
        LoginGuard {
            store: Arc::clone(&self.store),
            retry: Arc::new(AtomicBool::new(retry)),
        }
    }

    /// The directory of the record, when it is on disk.
    pub fn dir(&self) -> Option<&Path> {
        self.store.dir.as_deref()
    }

    /// What is remembered about these credentials at this instance.
    pub fn lookup(&self, instance: &str, creds: &Credentials) -> Option<Rejection> {
        let fp = self.fingerprint(instance, creds)?;
        self.read(&fp)
    }

    /// Problems with the record that the user should hear about (an unreadable key or
    /// directory), as sentences; empty when all is well.
    pub fn health(&self) -> Vec<String> {
        let Some(dir) = &self.store.dir else {
            return vec![
                "rejected credentials are remembered only for this run (no state directory)"
                    .to_string(),
            ];
        };
        match self.key() {
            Some((_, true)) => Vec::new(),
            _ => vec![format!(
                "cannot read or create the login record key in {}; rejected credentials are \
                 remembered only for this run",
                dir.display()
            )],
        }
    }

    /// Before a password grant: `Err` with what is remembered when these credentials were
    /// rejected before and no retry was allowed; otherwise the fingerprint to record the
    /// outcome under. A retry permission is used up here.
    pub(crate) fn before_grant(
        &self,
        instance: &str,
        creds: &Credentials,
    ) -> Result<Option<Fingerprint>, Rejection> {
        let Some(fp) = self.fingerprint(instance, creds) else {
            return Ok(None);
        };
        match self.read(&fp) {
            Some(r) if !self.retry.swap(false, Ordering::SeqCst) => Err(r),
            Some(r) => {
                tracing::info!(
                    attempts = r.attempts,
                    "sending credentials that were rejected before, as explicitly asked"
                );
                Ok(Some(fp))
            }
            None => Ok(Some(fp)),
        }
    }

    /// The instance rejected the credentials: one more attempt, now. Returns the record.
    pub(crate) fn rejected(&self, fp: &Fingerprint) -> Rejection {
        let attempts = self.read(fp).map_or(0, |r| r.attempts).saturating_add(1);
        let r = Rejection {
            rejected_at: time::OffsetDateTime::now_utc().unix_timestamp(),
            attempts,
        };
        if let Ok(mut m) = self.store.memory.lock() {
            m.insert(fp.clone(), r);
        }
        if let Some(path) = self.record_path(fp)
            && let Err(e) = write_record(&path, &r)
        {
            tracing::warn!(
                "cannot write the rejected-login record {}: {e}",
                path.display()
            );
        }
        r
    }

    /// The instance accepted the credentials: forget that they were ever rejected.
    pub(crate) fn accepted(&self, fp: &Fingerprint) {
        if let Ok(mut m) = self.store.memory.lock() {
            m.remove(fp);
        }
        if let Some(path) = self.record_path(fp) {
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!("credentials accepted: rejected-login record cleared"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
            }
        }
    }

    fn read(&self, fp: &Fingerprint) -> Option<Rejection> {
        let from_disk = self.record_path(fp).and_then(|p| read_record(&p));
        let in_memory = self
            .store
            .memory
            .lock()
            .ok()
            .and_then(|m| m.get(fp).copied());
        // The newer of the two: another process may have added attempts meanwhile.
        match (from_disk, in_memory) {
            (Some(d), Some(m)) => Some(if d.attempts >= m.attempts { d } else { m }),
            (d, m) => d.or(m),
        }
    }

    fn record_path(&self, fp: &Fingerprint) -> Option<PathBuf> {
        // Records on disk only make sense under the key they were made with.
        let dir = self.store.dir.as_ref()?;
        if !self.key()?.1 {
            return None;
        }
        Some(dir.join(RECORDS).join(format!("{}.json", fp.0)))
    }

    fn fingerprint(&self, instance: &str, creds: &Credentials) -> Option<Fingerprint> {
        let (key, _) = self.key()?;
        let mut ctx = hmac::Context::with_key(&key);
        for part in [
            instance.trim_end_matches('/'),
            creds.client_id.as_str(),
            creds.client_secret.expose_secret(),
            creds.username.as_str(),
            creds.password.expose_secret(),
        ] {
            // Length-prefixed, so that ("ab","c") and ("a","bc") differ.
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        let tag = ctx.sign();
        Some(Fingerprint(hex(tag.as_ref())))
    }

    /// The per-machine key: read from the directory, created there on first use, or (with
    /// no directory, or one that cannot be used) made for this process only.
    fn key(&self) -> Option<(hmac::Key, bool)> {
        let mut slot = self.store.key.lock().ok()?;
        if let Some(k) = slot.as_ref() {
            return Some(k.clone());
        }
        let from_disk = self.store.dir.as_ref().and_then(|dir| {
            load_or_create_key(dir)
                .map_err(|e| {
                    tracing::warn!(
                        "login record key in {}: {e}; remembering for this run only",
                        dir.display()
                    );
                })
                .ok()
        });
        let (bytes, on_disk) = match from_disk {
            Some(b) => (b, true),
            None => (random_key().ok()?.to_vec(), false),
        };
        let key = (hmac::Key::new(hmac::HMAC_SHA256, &bytes), on_disk);
        *slot = Some(key.clone());
        Some(key)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn random_key() -> Result<[u8; 32], String> {
    let mut k = [0u8; 32];
    SystemRandom::new()
        .fill(&mut k)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(k)
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Reads the key, or creates it (0600) when there is none. A key file that is not 32 bytes
/// of hex is replaced: records made under an unknown key cannot be matched anyway.
fn load_or_create_key(dir: &Path) -> Result<Vec<u8>, String> {
    let path = dir.join(KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            if let Some(k) = unhex(text.trim()).filter(|k| k.len() == 32) {
                return Ok(k);
            }
            tracing::warn!(
                "{} is not a login record key; replacing it (earlier records are forgotten)",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_dir_all(dir.join(RECORDS));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let key = random_key()?;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match created {
        Ok(mut f) => {
            f.write_all(hex(&key).as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key.to_vec())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| unhex(t.trim()))
            .filter(|k| k.len() == 32)
            .ok_or_else(|| format!("{} is unreadable", path.display())),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

fn read_record(path: &Path) -> Option<Rejection> {
    let text = match std::fs::read(path) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read {}: {e}; ignoring it", path.display());
            return None;
        }
    };
    match serde_json::from_str::<RecordFile>(&text) {
        Ok(r) if r.version == RECORD_VERSION && r.attempts > 0 => Some(Rejection {
            rejected_at: r.rejected_at,
            attempts: r.attempts,
        }),
        _ => {
            tracing::warn!(
                "{} is not a rejected-login record; ignoring it (the next rejection replaces it)",
                path.display()
            );
            None
        }
    }
}

/// Writes the record atomically (temp file, then rename), 0600.
fn write_record(path: &Path, r: &Rejection) -> Result<(), String> {
    let dir = path.parent().ok_or("no directory")?;
    private_dir(dir).map_err(|e| e.to_string())?;
    let body = serde_json::to_string(&RecordFile {
        version: RECORD_VERSION,
        rejected_at: r.rejected_at,
        attempts: r.attempts,
    })
    .map_err(|e| e.to_string())?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("record"),
        std::process::id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| e.to_string())?;
    f.write_all(body.as_bytes()).map_err(|e| e.to_string())?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::os::unix::fs::PermissionsExt;

    fn creds(password: &str) -> Credentials {
        Credentials {
            client_id: "id".into(),
            client_secret: SecretString::from("client-secret-value"),
            username: "finout.integration".into(),
            password: SecretString::from(password.to_string()),
        }
    }

    const URL: &str = "https://acme.service-now.com";

    #[test]
    fn a_rejection_is_remembered_across_guards_and_cleared_by_success() {
        let dir = tempfile::tempdir().unwrap();
        let g = LoginGuard::open(Some(dir.path().to_path_buf()));
        let fp = g.before_grant(URL, &creds("wrong")).unwrap().unwrap();
        assert_eq!(g.rejected(&fp).attempts, 1);

        // A later run: refused, with the count.
        let later = LoginGuard::open(Some(dir.path().to_path_buf()));
        let r = later.before_grant(URL, &creds("wrong")).unwrap_err();
        assert_eq!(r.attempts, 1);
        // Other credentials go through.
        assert!(later.before_grant(URL, &creds("right")).is_ok());
        assert!(later.before_grant("https://other", &creds("wrong")).is_ok());
        // An explicit retry is one send, not more.
        let retry = later.with_retry(true);
        let fp = retry.before_grant(URL, &creds("wrong")).unwrap().unwrap();
        assert_eq!(retry.rejected(&fp).attempts, 2);
        assert_eq!(
            retry
                .before_grant(URL, &creds("wrong"))
                .unwrap_err()
                .attempts,
            2
        );
        // Success clears.
        let fp = later
            .with_retry(true)
            .before_grant(URL, &creds("wrong"))
            .unwrap()
            .unwrap();
        later.accepted(&fp);
        assert!(later.lookup(URL, &creds("wrong")).is_none());
        assert!(
            LoginGuard::open(Some(dir.path().to_path_buf()))
                .before_grant(URL, &creds("wrong"))
                .is_ok()
        );
    }

    #[test]
    fn files_are_private_and_hold_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let g = LoginGuard::open(Some(dir.path().join("state")));
        let fp = g
            .before_grant(URL, &creds("pw-VERY-secret"))
            .unwrap()
            .unwrap();
        g.rejected(&fp);
        let key = dir.path().join("state").join(KEY_FILE);
        let rec = dir
            .path()
            .join("state")
            .join(RECORDS)
            .join(format!("{}.json", fp.0));
        for p in [&key, &rec] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
            let text = std::fs::read_to_string(p).unwrap();
            assert!(!text.contains("pw-VERY-secret") && !text.contains("client-secret-value"));
        }
    }

    #[test]
    fn corrupt_files_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let g = LoginGuard::open(Some(dir.path().to_path_buf()));
        let fp = g.before_grant(URL, &creds("wrong")).unwrap().unwrap();
        g.rejected(&fp);
        let rec = dir.path().join(RECORDS).join(format!("{}.json", fp.0));
        std::fs::write(&rec, "{not json").unwrap();
        let fresh = LoginGuard::open(Some(dir.path().to_path_buf()));
        assert!(fresh.before_grant(URL, &creds("wrong")).is_ok());
        // The next rejection replaces the corrupt record.
        assert_eq!(fresh.rejected(&fp).attempts, 1);
        assert!(read_record(&rec).is_some());

        // A corrupt key is replaced, never fatal.
        std::fs::write(dir.path().join(KEY_FILE), b"\xffgarbage").unwrap();
        let g = LoginGuard::open(Some(dir.path().to_path_buf()));
        assert!(g.before_grant(URL, &creds("wrong")).is_ok());
        assert!(g.health().is_empty());
    }

    #[test]
    fn an_unusable_directory_falls_back_to_memory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let g = LoginGuard::open(Some(file.join("sub")));
        assert!(!g.health().is_empty());
        // No key on disk: remembered for this process only, and nothing blocks.
        let fp = g.before_grant(URL, &creds("wrong")).unwrap().unwrap();
        g.rejected(&fp);
        assert!(g.before_grant(URL, &creds("wrong")).is_err());
        let other = LoginGuard::open(Some(file.join("sub")));
        assert!(other.before_grant(URL, &creds("wrong")).is_ok());
        let m = LoginGuard::in_memory();
        let fp = m.before_grant(URL, &creds("wrong")).unwrap().unwrap();
        m.rejected(&fp);
        assert!(m.before_grant(URL, &creds("wrong")).is_err());
    }
}
