//! The config file: schema v1 round trips, comment-keeping edits, 0600 files, precise errors,
//! the `config` command through the real binary, and drafts (including on SIGHUP).

use crate::support::fs::mode;
use crate::support::model::{EndpointExt, FieldExt, endpoint, field};
use crate::support::pty as pty_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use secrecy::{ExposeSecret, SecretString};
use snow_connect::config::{
    self, Config, ConfigError, DraftStore, SaveOptions, SecretRef, ServiceNowConfig,
};
use snow_connect::diagnose::FieldKind;

use pty_support::Term;

const CLIENT_SECRET: &str = "cl13nt-S3CRET-zq81";
const PASSWORD: &str = "pa55-W0RD-xv42";

fn inline(s: &str) -> SecretRef {
    SecretRef::Inline(SecretString::from(s.to_string()))
}

fn sample() -> Config {
    Config {
        servicenow: ServiceNowConfig {
            instance_url: "https://acme.service-now.com".to_string(),
            client_id: "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f".to_string(),
            client_secret: inline(CLIENT_SECRET),
            username: "finout.integration".to_string(),
            password: SecretRef::Env("SNOW_TEST_PASSWORD".to_string()),
        },
        endpoints: vec![
            endpoint("FinOps anomalies")
                .described("Cost anomaly alerts")
                .with([
                    field(
                        "assignment_group",
                        FieldKind::Reference,
                        "287ebd7da9fe198100f92cc8d1d2154e",
                    )
                    .shown_as("Cloud FinOps"),
                    field("impact", FieldKind::Choice, "2").shown_as("2 - Medium"),
                    field("u_cost_delta", FieldKind::Integer, "-1250"),
                    field("u_auto_close", FieldKind::Boolean, "false"),
                    field("u_team", FieldKind::String, "Platform \"core\" \\ ops").mandatory(),
                ]),
            endpoint("Budget overruns — EU"),
        ],
    }
}

fn secret_text(s: &SecretRef) -> String {
    match s {
        SecretRef::Inline(v) => format!("inline:{}", v.expose_secret()),
        SecretRef::Env(n) => format!("env:{n}"),
        SecretRef::Command(c) => format!("command:{c}"),
        SecretRef::File(p) => format!("file:{}", p.display()),
    }
}

fn assert_same(a: &Config, b: &Config) {
    let (x, y) = (&a.servicenow, &b.servicenow);
    assert_eq!(x.instance_url, y.instance_url);
    assert_eq!(x.client_id, y.client_id);
    assert_eq!(x.username, y.username);
    assert_eq!(secret_text(&x.client_secret), secret_text(&y.client_secret));
    assert_eq!(secret_text(&x.password), secret_text(&y.password));
    assert_eq!(a.endpoints, b.endpoints);
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---------------------------------------------------------------------------------------------
// Round trip, editing, modes
// ---------------------------------------------------------------------------------------------

#[test]
fn every_field_round_trips_through_a_new_file_and_an_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub").join("config.toml");
    let c = sample();
    config::save(&path, &c, SaveOptions::default()).expect("save new");
    assert_same(&config::load_for_edit(&path).expect("load").config, &c);
    assert_same(
        &config::load_str(&std::fs::read_to_string(&path).expect("read"), &path).expect("parse"),
        &c,
    );

    // Swap where the secrets live and change a field of every kind; save over the file.
    let mut d = c.clone();
    d.servicenow.client_secret = SecretRef::Env("SNOW_TEST_CLIENT_SECRET".to_string());
    d.servicenow.password = inline(PASSWORD);
    d.endpoints[0].fields[1].display = None;
    d.endpoints[0].fields[4].mandatory = false;
    d.endpoints[1].description = "now described".to_string();
    d.endpoints[1]
        .fields
        .push(field("urgency", FieldKind::Choice, "1"));
    config::save(&path, &d, SaveOptions::default()).expect("save edit");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        !text.contains(CLIENT_SECRET),
        "the old inline secret is gone"
    );
    assert!(
        !text.contains("SNOW_TEST_PASSWORD"),
        "the old env name is gone"
    );
    assert_same(&config::load_for_edit(&path).expect("load").config, &d);
}

/// A hand-written file: comments everywhere, aligned values, an unusual key order,
/// [servicenow] after the endpoints, and a `value` written as an integer.
const HAND_WRITTEN: &str = r#"# Finout -> ServiceNow, maintained by the platform team.
version = 1

# Alerts about cost anomalies.
[[endpoints]]
table       = "incident"   # always incident
name        = "FinOps anomalies"
description = "Cost anomaly alerts"

  [[endpoints.fields]]
  element = "priority"
  type    = "integer"
  value   = 2               # P2

  [[endpoints.fields]]
  element = "assignment_group"
  type    = "reference"
  value   = "287ebd7da9fe198100f92cc8d1d2154e"
  display = "Cloud FinOps"

[[endpoints]]
name  = "Budget"
table = "incident"

# The one instance.
[servicenow]
username      = "finout.integration"   # dedicated user
instance_url  = "https://acme.service-now.com"
client_id     = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f"
client_secret = "cl13nt-S3CRET-zq81"    # from Application Registry
password      = "pa55-W0RD-xv42"
# end
"#;

#[test]
fn changing_one_value_keeps_every_comment_and_the_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    write(&path, HAND_WRITTEN, 0o600);
    let mut c = config::load_for_edit(&path).expect("load").config;

    c.servicenow.username = "svc.finout".to_string();
    config::save(&path, &c, SaveOptions::default()).expect("save");
    let expected = HAND_WRITTEN.replace(
        r#"username      = "finout.integration"   # dedicated user"#,
        r#"username      = "svc.finout"   # dedicated user"#,
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), expected);

    // Saving the same config again changes nothing at all.
    config::save(&path, &c, SaveOptions::default()).expect("save again");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), expected);
}

#[test]
fn switching_a_secret_to_an_env_name_keeps_its_place_and_comment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    write(&path, HAND_WRITTEN, 0o600);
    let mut c = config::load_for_edit(&path).expect("load").config;
    c.servicenow.client_secret = SecretRef::Env("SNOW_CLIENT_SECRET".to_string());
    config::save(&path, &c, SaveOptions::default()).expect("save");
    let expected = HAND_WRITTEN.replace(
        r#"client_secret = "cl13nt-S3CRET-zq81"    # from Application Registry"#,
        r#"client_secret_env = "SNOW_CLIENT_SECRET"    # from Application Registry"#,
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), expected);
}

#[test]
fn endpoints_are_matched_by_name_removed_and_appended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    write(&path, HAND_WRITTEN, 0o600);
    let mut c = config::load_for_edit(&path).expect("load").config;
    // Change a field value, drop the second endpoint, add a new one.
    c.endpoints[0].fields[0].value = "1".to_string();
    c.endpoints.remove(1);
    c.endpoints
        .push(
            endpoint("New")
                .described("added")
                .with([field("urgency", FieldKind::Choice, "3")]),
        );
    config::save(&path, &c, SaveOptions::default()).expect("save");
    let expected = HAND_WRITTEN
        .replace(
            "  value   = 2               # P2",
            "  value   = \"1\"               # P2",
        )
        .replace(
            "name  = \"Budget\"\ntable = \"incident\"\n",
            "name = \"New\"\ndescription = \"added\"\ntable = \"incident\"\n\n\
             [[endpoints.fields]]\nelement = \"urgency\"\ntype = \"choice\"\nvalue = \"3\"\n",
        );
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text, expected);
    assert_same(&config::load_for_edit(&path).expect("load").config, &c);
}

#[test]
fn files_are_0600_when_created_and_after_an_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    config::save(&path, &sample(), SaveOptions::default()).expect("save");
    assert_eq!(mode(&path), 0o600);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut c = sample();
    c.servicenow.username = "other".to_string();
    config::save(&path, &c, SaveOptions::default()).expect("save edit");
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_file_others_can_read_loads_with_a_warning_that_says_how_to_fix_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    config::save(&path, &sample(), SaveOptions::default()).expect("save");
    assert!(
        config::load_for_edit(&path)
            .expect("load")
            .warnings
            .is_empty()
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let warnings = config::load_for_edit(&path).expect("load").warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let msg = &warnings[0].message;
    assert!(msg.contains("0644"), "{msg}");
    assert!(
        msg.contains(&format!("chmod 600 {}", path.display())),
        "{msg}"
    );
}

#[test]
fn a_file_that_does_not_load_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let broken = HAND_WRITTEN.replace("username ", "usrname ");
    write(&path, &broken, 0o600);
    let e = config::save(&path, &sample(), SaveOptions::default()).expect_err("refused");
    assert!(matches!(e, ConfigError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("did you mean `username`"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken);
}

#[test]
fn another_instance_needs_replace_and_replacing_deletes_the_endpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    write(&path, HAND_WRITTEN, 0o600);
    let old = config::load_for_edit(&path).expect("load").config;
    assert_eq!(old.endpoints.len(), 2);

    let mut sn = old.servicenow.clone();
    sn.instance_url = "https://acme-prod.service-now.com".to_string();
    let new = Config::for_new_instance(sn);
    let e = config::save(&path, &new, SaveOptions::default()).expect_err("needs replace");
    match &e {
        ConfigError::DifferentInstance { existing, new, .. } => {
            assert_eq!(existing, "https://acme.service-now.com");
            assert_eq!(new, "https://acme-prod.service-now.com");
        }
        other => panic!("expected DifferentInstance, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).expect("read"), HAND_WRITTEN);

    config::save(
        &path,
        &new,
        SaveOptions {
            replace_instance: true,
            ..SaveOptions::default()
        },
    )
    .expect("replace");
    let loaded = config::load_for_edit(&path).expect("load").config;
    assert_eq!(
        loaded.servicenow.instance_url,
        "https://acme-prod.service-now.com"
    );
    assert!(loaded.endpoints.is_empty());
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        !text.contains("FinOps anomalies") && !text.contains("Budget"),
        "{text}"
    );
    assert!(!text.contains("[[endpoints"), "{text}");
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn an_unset_env_variable_is_named_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let text = HAND_WRITTEN.replace(
        r#"password      = "pa55-W0RD-xv42""#,
        r#"password_env  = "SNOW_TEST_UNSET_7f3a""#,
    );
    write(&path, &text, 0o600);
    let e = config::load(&path).expect_err("variable is unset");
    match &e {
        ConfigError::EnvNotSet { key, var, at, .. } => {
            assert_eq!(key, "password_env");
            assert_eq!(var, "SNOW_TEST_UNSET_7f3a");
            assert_eq!(*at, Some((31, 17)));
        }
        other => panic!("expected EnvNotSet, got {other:?}"),
    }
    assert!(
        e.to_string()
            .contains(":31:17: environment variable SNOW_TEST_UNSET_7f3a")
    );
    // The same config is still readable for showing or editing.
    let c = config::load_for_edit(&path).expect("load for edit").config;
    let e = c.servicenow.resolve_password().expect_err("unset");
    assert!(e.to_string().contains("SNOW_TEST_UNSET_7f3a"), "{e}");
    assert!(e.to_string().contains("password_env"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Invalid files: exact positions, through the library and through `config show`
// ---------------------------------------------------------------------------------------------

const BASE: &str = r#"version = 1

[servicenow]
instance_url = "https://acme.service-now.com"
client_id = "abc"
client_secret = "cl13nt-S3CRET-zq81"
username = "finout.integration"
password = "pa55-W0RD-xv42"

[[endpoints]]
name = "A"
table = "incident"
"#;

fn extra_fields(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "\n[[endpoints.fields]]\nelement = \"u_f{i}\"\ntype = \"string\"\nvalue = \"x\"\n"
            )
        })
        .collect()
}

/// (case, file text, line, column, words the message must contain)
fn invalid_cases() -> Vec<(&'static str, String, usize, usize, &'static str)> {
    vec![
        (
            "syntax error",
            BASE.replace(r#"client_id = "abc""#, r#"client_id = "abc"#),
            5,
            17,
            "TOML syntax error: invalid basic string",
        ),
        (
            "wrong type",
            BASE.replace(r#"client_id = "abc""#, "client_id = 12345"),
            5,
            13,
            "`client_id` in [servicenow] must be a string, found an integer; put the value in quotes",
        ),
        (
            "unknown key",
            BASE.replace("password = ", "pasword = "),
            8,
            1,
            "unknown key `pasword` in [servicenow]; did you mean `password`?",
        ),
        (
            "missing required key",
            BASE.replace("username = \"finout.integration\"\n", ""),
            3,
            1,
            "[servicenow] lacks the required key `username`",
        ),
        (
            "unsupported version",
            BASE.replace("version = 1", "version = 2"),
            1,
            11,
            "unsupported config version 2: this snow-connect reads version 1",
        ),
        (
            "missing version",
            BASE.replace("version = 1\n", ""),
            1,
            1,
            "missing `version`: add `version = 1`",
        ),
        (
            "duplicate endpoint names",
            format!("{BASE}\n[[endpoints]]\nname = \"A\"\ntable = \"incident\"\n"),
            15,
            8,
            "duplicate endpoint name \"A\" (first used on line 11)",
        ),
        (
            "more than 10 additional fields",
            format!("{BASE}{}", extra_fields(11)),
            64,
            1,
            "endpoint \"A\" has more than 10 additional fields",
        ),
        (
            "invalid field type",
            format!("{BASE}{}", extra_fields(1)).replace("type = \"string\"", "type = \"text\""),
            16,
            8,
            "invalid type \"text\" in field \"u_f1\" of endpoint \"A\"; expected one of `string`",
        ),
        (
            "integer field with a word",
            format!("{BASE}{}", extra_fields(1)).replace("type = \"string\"", "type = \"integer\""),
            17,
            9,
            "Field \"u_f1\" of endpoint \"A\" has type integer, so `value` must be a whole number",
        ),
        (
            "plain http to a remote host",
            BASE.replace("https://acme", "http://acme"),
            4,
            16,
            "plain http:// is only allowed for localhost; use \"https://acme.service-now.com\"",
        ),
        (
            "empty instance url",
            BASE.replace("\"https://acme.service-now.com\"", "\"\""),
            4,
            16,
            "`instance_url` in [servicenow] is empty",
        ),
        (
            "instance url with a path",
            BASE.replace(".com\"", ".com/now/nav/ui/home\""),
            4,
            16,
            "without a path: \"https://acme.service-now.com\"",
        ),
        (
            "secret both inline and by env",
            BASE.replace(
                "username = ",
                "client_secret_env = \"SNOW_CLIENT_SECRET\"\nusername = ",
            ),
            7,
            21,
            "both `client_secret` and `client_secret_env` are set in [servicenow]",
        ),
        (
            "no secret at all",
            BASE.replace("password = \"pa55-W0RD-xv42\"\n", ""),
            3,
            1,
            "[servicenow] lacks `password`; add `password = \"...\"`, or `password_env = \"NAME\"`",
        ),
        (
            "two servicenow tables",
            format!("{BASE}\n[servicenow]\nusername = \"x\"\n"),
            14,
            2,
            "[servicenow] appears twice",
        ),
        (
            "single brackets for endpoints",
            BASE.replace("[[endpoints]]", "[endpoints]"),
            10,
            1,
            "`endpoints` must be written as one [[endpoints]] table per endpoint (two brackets), found a table",
        ),
    ]
}

#[test]
fn every_invalid_file_gets_its_line_column_and_a_useful_message() {
    for (case, text, line, column, words) in invalid_cases() {
        let e = config::load_str(&text, Path::new("c.toml")).expect_err(case);
        match &e {
            ConfigError::Invalid {
                line: l,
                column: c,
                message,
                ..
            } => {
                assert_eq!((*l, *c), (line, column), "{case}: {message}");
                assert!(message.contains(words), "{case}: {message}");
            }
            other => panic!("{case}: expected Invalid, got {other:?}"),
        }
        assert!(
            e.to_string()
                .starts_with(&format!("c.toml:{line}:{column}: ")),
            "{case}: {e}"
        );
    }
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.dir.path().join("home");
        let mut cmd = crate::support::bin::command(&home.join(".local/state"));
        cmd.args(args)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env_remove("SNOW_CONNECT_CONFIG")
            .env_remove("SNOW_CLIENT_SECRET")
            .env_remove("SNOW_PASSWORD")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run snow-connect")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_show_exits_2_with_the_position_on_every_invalid_file() {
    let sb = Sandbox::new();
    for (i, (case, body, line, column, words)) in invalid_cases().into_iter().enumerate() {
        let path = sb.path(&format!("invalid-{i}.toml"));
        write(&path, &body, 0o600);
        let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        assert!(out.stdout.is_empty(), "{case}: {}", text(&out.stdout));
        assert!(
            stderr.contains(&format!("{}:{line}:{column}: ", path.display())),
            "{case}: {stderr}"
        );
        assert!(stderr.contains(words), "{case}: {stderr}");
        assert!(
            !stderr.contains(CLIENT_SECRET) && !stderr.contains(PASSWORD),
            "{case}: a secret reached stderr: {stderr}"
        );
    }
}

#[test]
fn config_show_masks_secrets_and_names_env_variables() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    write(&path, BASE, 0o600);
    let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("client_secret = \"••••••••\""), "{stdout}");
    assert!(stdout.contains("password = \"••••••••\""), "{stdout}");
    assert!(
        stdout.contains("username = \"finout.integration\""),
        "{stdout}"
    );
    assert!(stdout.contains("name = \"A\""), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    for s in [CLIENT_SECRET, PASSWORD] {
        assert!(!stdout.contains(s) && !stderr.contains(s), "secret printed");
    }

    // Secrets named by environment variables: the names are shown, never the values.
    let env_file = BASE
        .replace(
            r#"client_secret = "cl13nt-S3CRET-zq81""#,
            r#"client_secret_env = "SNOW_TEST_CS""#,
        )
        .replace(
            r#"password = "pa55-W0RD-xv42""#,
            r#"password_env = "SNOW_TEST_PW""#,
        );
    write(&path, &env_file, 0o600);
    let out = sb
        .command(&["--config", path.to_str().expect("utf-8"), "config", "show"])
        .env("SNOW_TEST_CS", CLIENT_SECRET)
        .env("SNOW_TEST_PW", PASSWORD)
        .output()
        .expect("run");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("client_secret_env = \"SNOW_TEST_CS\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("password_env = \"SNOW_TEST_PW\""),
        "{stdout}"
    );
    for s in [CLIENT_SECRET, PASSWORD] {
        assert!(!stdout.contains(s) && !stderr.contains(s), "secret printed");
    }

    // An unset variable: the config is still shown, the variable is named with its
    // position, and the exit code says the config cannot be used as it is.
    let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stdout.contains("client_secret_env = \"SNOW_TEST_CS\""),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "{}:6:21: environment variable SNOW_TEST_CS (named by `client_secret_env`) is not set",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn error_messages_never_repeat_a_secret() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    let cases = [
        // A secret pasted where the variable's name belongs.
        BASE.replace(
            r#"password = "pa55-W0RD-xv42""#,
            r#"password_env = "pa55-W0RD-xv42""#,
        ),
        // A secret of the wrong type.
        BASE.replace(
            r#"client_secret = "cl13nt-S3CRET-zq81""#,
            r#"client_secret = ["cl13nt-S3CRET-zq81"]"#,
        ),
        // Credentials inside the URL.
        BASE.replace("https://acme", "https://bob:pa55-W0RD-xv42@acme"),
    ];
    for body in cases {
        write(&path, &body, 0o600);
        let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(
            !all.contains(CLIENT_SECRET) && !all.contains(PASSWORD),
            "secret printed: {all}"
        );
    }
}

#[test]
fn config_show_warns_about_a_readable_file_on_stderr() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    write(&path, BASE, 0o644);
    let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("mode 0644") && stderr.contains(&format!("chmod 600 {}", path.display())),
        "{stderr}"
    );
    assert!(!text(&out.stdout).contains("chmod"));
}

#[test]
fn config_show_without_a_file_says_so_and_exits_2() {
    let sb = Sandbox::new();
    let path = sb.path("missing.toml");
    let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("no config at {}", path.display())),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// config path / remove
// ---------------------------------------------------------------------------------------------

#[test]
fn config_path_follows_flag_then_env_then_default() {
    let sb = Sandbox::new();
    let out = sb.run(&["config", "path"]);
    assert_eq!(out.status.code(), Some(0));
    let default = sb.path("home/.config/snow-connect/config.toml");
    assert_eq!(text(&out.stdout).trim_end(), default.display().to_string());

    let from_env = sb.path("env.toml");
    let out = sb
        .command(&["config", "path"])
        .env("SNOW_CONNECT_CONFIG", &from_env)
        .output()
        .expect("run");
    assert_eq!(text(&out.stdout).trim_end(), from_env.display().to_string());

    let from_flag = sb.path("flag.toml");
    let out = sb
        .command(&[
            "--config",
            from_flag.to_str().expect("utf-8"),
            "config",
            "path",
        ])
        .env("SNOW_CONNECT_CONFIG", &from_env)
        .output()
        .expect("run");
    assert_eq!(
        text(&out.stdout).trim_end(),
        from_flag.display().to_string()
    );
}

#[test]
fn remove_needs_yes_without_a_terminal_and_removes_with_it() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    write(&path, HAND_WRITTEN, 0o600);
    let p = path.to_str().expect("utf-8");

    let out = sb.run(&["--config", p, "config", "remove"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(path.exists(), "refused, so the file stays");

    let out = sb.run(&["--config", p, "config", "remove", "--yes"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("https://acme.service-now.com") && stdout.contains("its 2 endpoints"),
        "{stdout}"
    );
    assert!(!path.exists());

    let out = sb.run(&["--config", p, "config", "remove", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing to remove"));
}

#[test]
fn remove_asks_on_a_terminal() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    for (answer, removed) in [("n", false), ("y", true)] {
        write(&path, HAND_WRITTEN, 0o600);
        let args = [
            "--config",
            path.to_str().expect("utf-8"),
            "config",
            "remove",
        ];
        let mut t = Term::start(&args, sb.dir.path(), &[]);
        let seen = t.wait_for("[y/N]");
        assert!(seen.contains("its 2 endpoints"), "{seen}");
        t.send(format!("{answer}\r").as_bytes());
        let status = t.wait_exit();
        assert!(status.success(), "{}", t.screen());
        assert_eq!(!path.exists(), removed, "answer {answer}");
    }
}

// ---------------------------------------------------------------------------------------------
// Drafts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct WizardState {
    step: u8,
    instance: String,
    endpoints: Vec<String>,
}

fn wizard_state() -> WizardState {
    WizardState {
        step: 4,
        instance: "https://acme.service-now.com".to_string(),
        endpoints: vec!["FinOps anomalies".to_string()],
    }
}

#[test]
fn a_draft_round_trips_privately_and_clears() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state_dir = dir.path().join("state");
    let store = DraftStore::new(&state_dir, &dir.path().join("config.toml"));
    assert!(store.load::<WizardState>().expect("load").is_none());

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    store.save(&wizard_state()).expect("save");
    let draft = store.load::<WizardState>().expect("load").expect("a draft");
    assert_eq!(draft.state, wizard_state());
    assert!(draft.saved_at >= before && draft.saved_at <= before + 60);
    assert!(store.path().starts_with(&state_dir));
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(store.path().parent().expect("dir")), 0o700);

    // The panic-hook path: pre-encoded bytes written later read back the same.
    let bytes = DraftStore::encode(&WizardState {
        step: 5,
        ..wizard_state()
    })
    .expect("encode");
    store.save_raw(&bytes).expect("save raw");
    assert_eq!(
        store
            .load::<WizardState>()
            .expect("load")
            .expect("draft")
            .state
            .step,
        5
    );

    store.clear().expect("clear");
    assert!(!store.path().exists());
    store.clear().expect("clearing twice is fine");
}

#[test]
fn each_config_has_its_own_draft_however_its_path_is_spelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir(dir.path().join("a")).expect("mkdir");
    let plain = DraftStore::new(&state, &dir.path().join("a/config.toml"));
    let dotted = DraftStore::new(&state, &dir.path().join("a/../a/./config.toml"));
    let other = DraftStore::new(&state, &dir.path().join("b/config.toml"));
    assert_eq!(plain.path(), dotted.path());
    assert_ne!(plain.path(), other.path());
}

#[test]
fn a_damaged_draft_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(&dir.path().join("state"), &dir.path().join("config.toml"));
    store
        .save_raw(b"{\"format\": 1, \"saved_at\": 12, \"sta")
        .expect("write");
    let e = store.load::<WizardState>().expect_err("damaged");
    assert!(matches!(e, ConfigError::Draft { .. }), "{e:?}");
    assert!(e.to_string().contains("damaged"), "{e}");

    store
        .save_raw(b"{\"format\": 99, \"saved_at\": 12, \"state\": {}}")
        .expect("write");
    let e = store.load::<WizardState>().expect_err("other format");
    assert!(e.to_string().contains("draft format 99"), "{e}");

    store
        .save_raw(b"{\"format\": 1, \"saved_at\": 12, \"state\": {\"step\": \"x\"}}")
        .expect("write");
    let e = store.load::<WizardState>().expect_err("other shape");
    assert!(e.to_string().contains("does not match"), "{e}");
}

#[tokio::test]
async fn a_draft_written_on_sighup_is_read_back() {
    use tokio::signal::unix::{SignalKind, signal};

    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(&dir.path().join("state"), &dir.path().join("config.toml"));
    let mut hangup = signal(SignalKind::hangup()).expect("install SIGHUP handler");
    let writer = store.clone();
    let handler = tokio::spawn(async move {
        hangup.recv().await;
        writer.save(&wizard_state())
    });

    // SAFETY: raise only sends a signal to this process; the handler above is installed.
    let rc = unsafe { libc::raise(libc::SIGHUP) };
    assert_eq!(rc, 0);

    tokio::time::timeout(std::time::Duration::from_secs(10), handler)
        .await
        .expect("the SIGHUP handler ran")
        .expect("handler task")
        .expect("draft saved");
    let draft = store.load::<WizardState>().expect("load").expect("a draft");
    assert_eq!(draft.state, wizard_state());
}

#[test]
fn inline_tables_and_dotted_keys_load_and_stay_inline_when_edited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let original = r#"version = 1
servicenow.instance_url = "https://acme.service-now.com"
servicenow.client_id = "abc"
servicenow.client_secret_env = "SNOW_CLIENT_SECRET"
servicenow.username = "u"
servicenow.password_env = "SNOW_PASSWORD"

[[endpoints]]
name = "A"
table = "incident"
fields = [
  { element = "priority", type = "integer", value = 2 },
  { element = "impact", type = "choice", value = "1" },
]
"#;
    write(&path, original, 0o600);
    let mut c = config::load_for_edit(&path).expect("load").config;
    assert_eq!(c.endpoints[0].fields.len(), 2);
    assert_eq!(c.endpoints[0].fields[0].value, "2");

    c.endpoints[0].fields[1].value = "3".to_string();
    c.endpoints[0]
        .fields
        .push(field("urgency", FieldKind::Choice, "2"));
    config::save(&path, &c, SaveOptions::default()).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with(&original[..original.find("fields = [").expect("fields")]),
        "{text}"
    );
    assert!(
        text.contains(r#"  { element = "priority", type = "integer", value = 2 },"#),
        "{text}"
    );
    assert!(
        text.contains(r#"  { element = "impact", type = "choice", value = "3" },"#),
        "{text}"
    );
    assert!(
        text.contains(
            "  { element = \"impact\", type = \"choice\", value = \"3\" },\n  \
             { element = \"urgency\", type = \"choice\", value = \"2\" },\n]\n"
        ),
        "{text}"
    );
    assert!(!text.contains("[[endpoints.fields]]"), "{text}");
    assert_same(&config::load_for_edit(&path).expect("load").config, &c);
}

#[test]
fn ten_additional_fields_plus_mandatory_ones_are_within_the_limit() {
    let mandatory = "\n[[endpoints.fields]]\nelement = \"u_required\"\ntype = \"string\"\n\
                     value = \"x\"\nmandatory = true\n";
    let text = format!("{BASE}{}{mandatory}", extra_fields(10));
    let c = config::load_str(&text, Path::new("c.toml")).expect("10 + 1 mandatory is fine");
    assert_eq!(c.endpoints[0].fields.len(), 11);
    assert_eq!(c.endpoints[0].additional_field_count(), 10);
}

// ---------------------------------------------------------------------------------------------
// Secrets kept by commands and files; configs someone else could have written
// ---------------------------------------------------------------------------------------------

#[test]
fn secrets_from_a_command_and_a_file_round_trip_and_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("client-secret");
    write(&secret_file, &format!("{CLIENT_SECRET}\n"), 0o600);
    let path = dir.path().join("config.toml");
    let mut c = sample();
    c.servicenow.client_secret = SecretRef::File(secret_file.clone());
    c.servicenow.password = SecretRef::Command(format!("printf '%s\\n' '{PASSWORD}'"));
    config::save(&path, &c, SaveOptions::default()).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("client_secret_file = "), "{text}");
    assert!(text.contains("password_command = "), "{text}");
    assert!(
        !text.contains("client_secret =") && !text.contains("password_env"),
        "{text}"
    );
    let loaded = config::load(&path).expect("load").config;
    assert_same(&loaded, &c);
    let sn = &loaded.servicenow;
    assert_eq!(
        sn.resolve_client_secret().expect("file").expose_secret(),
        CLIENT_SECRET
    );
    assert_eq!(
        sn.resolve_password().expect("command").expose_secret(),
        PASSWORD
    );

    // Switching back to inline replaces the key where it stood.
    let mut inline_again = loaded.clone();
    inline_again.servicenow.password = inline(PASSWORD);
    config::save(&path, &inline_again, SaveOptions::default()).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("password_command"), "{text}");
    assert!(
        text.contains(&format!("password = \"{PASSWORD}\"")),
        "{text}"
    );
}

#[test]
fn a_failing_password_command_is_named_and_its_output_never_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let body = BASE.replace(
        &format!("password = \"{PASSWORD}\""),
        "password_command = \"sh -c 'echo half-a-secret; exit 7'\"",
    );
    write(&path, &body, 0o600);
    let sn = config::load(&path).expect("load").config.servicenow;
    let e = sn.resolve_password().expect_err("exit 7");
    let msg = e.to_string();
    assert!(matches!(e, ConfigError::Secret { .. }), "{e:?}");
    assert!(msg.starts_with("`password_command`: "), "{msg}");
    assert!(msg.contains("exited with status 7"), "{msg}");
    assert!(!msg.contains("half-a-secret"), "{msg}");
}

#[test]
fn a_secret_file_others_can_read_is_refused_and_says_how_to_fix_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("password");
    write(&secret_file, PASSWORD, 0o640);
    let path = dir.path().join("config.toml");
    let body = BASE.replace(
        &format!("password = \"{PASSWORD}\""),
        &format!("password_file = \"{}\"", secret_file.display()),
    );
    write(&path, &body, 0o600);
    let sn = config::load(&path).expect("load").config.servicenow;
    let msg = sn.resolve_password().expect_err("0640").to_string();
    assert!(msg.starts_with("`password_file`: "), "{msg}");
    assert!(
        msg.contains("mode 0640") && msg.contains("chmod 600"),
        "{msg}"
    );
    assert!(!msg.contains(PASSWORD), "{msg}");
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(
        sn.resolve_password().expect("0600").expose_secret(),
        PASSWORD
    );
}

#[test]
fn two_ways_of_keeping_one_secret_are_refused_and_a_relative_file_too() {
    let both = BASE.replace(
        &format!("password = \"{PASSWORD}\""),
        "password_command = \"pass show snow\"\npassword_file = \"/run/x\"",
    );
    let msg = config::load_str(&both, Path::new("c.toml"))
        .expect_err("two")
        .to_string();
    assert!(
        msg.contains("both `password_command` and `password_file` are set"),
        "{msg}"
    );
    let relative = BASE.replace(
        &format!("password = \"{PASSWORD}\""),
        "password_file = \"secrets/pw\"",
    );
    let msg = config::load_str(&relative, Path::new("c.toml"))
        .expect_err("relative")
        .to_string();
    assert!(
        msg.contains("`password_file` in [servicenow] must be an absolute path"),
        "{msg}"
    );
    let typo = BASE.replace(
        &format!("password = \"{PASSWORD}\""),
        "password_comand = \"pass show snow\"",
    );
    let msg = config::load_str(&typo, Path::new("c.toml"))
        .expect_err("typo")
        .to_string();
    assert!(msg.contains("did you mean `password_command`?"), "{msg}");
}

#[test]
fn config_show_names_commands_and_files_but_never_a_secret() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    let body = BASE
        .replace(
            &format!("password = \"{PASSWORD}\""),
            "password_command = \"pass show snow/finout\"",
        )
        .replace(
            &format!("client_secret = \"{CLIENT_SECRET}\""),
            "client_secret_file = \"/run/credentials/snow.service/secret\"",
        );
    write(&path, &body, 0o600);
    let out = sb.run(&["--config", path.to_str().expect("utf-8"), "config", "show"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("password_command = \"pass show snow/finout\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("client_secret_file = \"/run/credentials/snow.service/secret\""),
        "{stdout}"
    );
}

/// Like ssh with a key file: someone else's config, or one others can write, is refused, and
/// the refusal names the flag that overrides it.
#[test]
fn a_config_owned_by_another_user_or_writable_by_others_is_refused() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    let p = path.to_str().expect("utf-8");
    write(&path, BASE, 0o620);
    let out = sb.run(&["--config", p, "config", "show"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("mode 0620"), "{stderr}");
    assert!(stderr.contains("--insecure-config"), "{stderr}");
    assert!(out.stdout.is_empty());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).expect("chown");
        let out = sb.run(&["--config", p, "config", "show"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("owned by uid 65534"), "{stderr}");
        assert!(stderr.contains("--insecure-config"), "{stderr}");
        let out = sb.run(&["--config", p, "check"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("--insecure-config"));
    }
    let out = sb.run(&["--insecure-config", "--config", p, "config", "show"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("finout.integration"));
}

const FSIZE_CHILD: &str = "SNOW_CONNECT_TEST_FSIZE_CHILD";

/// Run in a child process by the test below: save under a 100-byte file-size limit.
#[test]
fn fsize_child() {
    let Some(path) = std::env::var_os(FSIZE_CHILD) else {
        return;
    };
    snow_connect::harden::at_start();
    let limit = libc::rlimit {
        rlim_cur: 100,
        rlim_max: 100,
    };
    // SAFETY: setrlimit reads the struct we pass.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limit) }, 0);
    match config::save(Path::new(&path), &sample(), SaveOptions::default()) {
        Ok(()) => println!("RESULT saved"),
        Err(e) => println!("RESULT {e}"),
    }
}

/// `ulimit -f` used to kill the process with SIGXFSZ; now a save says what happened.
#[test]
fn a_file_size_limit_is_an_error_message_not_a_kill() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "config::fsize_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FSIZE_CHILD, &path)
        .output()
        .expect("run child");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.signal(), None, "killed by a signal: {stdout}");
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("RESULT writing"), "{stdout}");
    assert!(stdout.contains("ulimit -f"), "{stdout}");
    assert!(stdout.contains("nothing on disk was changed"), "{stdout}");
    assert!(!path.exists());
}

// ---------------------------------------------------------------------------------------------
// Concurrent edits, locks, leftovers, symlinks
// ---------------------------------------------------------------------------------------------

fn from_base(base: &Config) -> SaveOptions {
    SaveOptions {
        base: config::Base::Loaded(Box::new(base.clone())),
        ..SaveOptions::default()
    }
}

/// Two wizards open on one config both press Save: one wins, the other is told what changed
/// instead of silently dropping the first one's endpoint.
#[test]
fn concurrent_saves_never_drop_the_other_ones_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    config::save(&path, &sample(), SaveOptions::default()).expect("first save");
    let base = config::load_for_edit(&path).expect("load").config;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (path, base, barrier) = (path.clone(), base.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut mine = base.clone();
                mine.endpoints.push(endpoint(&format!("Wizard {i}")));
                barrier.wait();
                config::save(&path, &mine, from_base(&base)).map(|()| i)
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("join"))
        .collect();
    let winners: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, ConfigError::ChangedOnDisk { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("endpoint \"Wizard {}\" was added", winners[0])),
                "{msg}"
            );
        }
    }
    let now = config::load_for_edit(&path).expect("load").config;
    let names: Vec<&str> = now.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&format!("Wizard {}", winners[0]).as_str()),
        "{names:?}"
    );
    assert_eq!(now.endpoints.len(), sample().endpoints.len() + 1);
    assert!(
        !dir.path().join("config.toml.lock").exists(),
        "the lock is released"
    );
}

#[test]
fn a_hand_edit_since_loading_is_refused_but_a_comment_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    write(&path, BASE, 0o600);
    let base = config::load_for_edit(&path).expect("load").config;
    let mut mine = base.clone();
    mine.servicenow.username = "other.user".to_string();

    // A comment added by hand changes no setting: the save goes ahead and keeps it.
    write(&path, &format!("# kept by hand\n{BASE}"), 0o600);
    config::save(&path, &mine, from_base(&base)).expect("comment-only change");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.contains("# kept by hand") && text.contains("other.user"),
        "{text}"
    );

    // An endpoint added by hand is a change the save would drop.
    let base = config::load_for_edit(&path).expect("load").config;
    let by_hand =
        format!("{text}\n[[endpoints]]\nname = \"Added by hand\"\ntable = \"incident\"\n");
    write(&path, &by_hand, 0o600);
    let mut mine = base.clone();
    mine.servicenow.username = "third.user".to_string();
    let e = config::save(&path, &mine, from_base(&base)).expect_err("changed");
    let msg = e.to_string();
    assert!(msg.contains("changed on disk since it was loaded"), "{msg}");
    assert!(
        msg.contains("endpoint \"Added by hand\" was added"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), by_hand);

    // A file that appeared while a new config was being made is not overwritten either.
    let fresh = dir.path().join("new.toml");
    write(&fresh, BASE, 0o600);
    let opts = SaveOptions {
        base: config::Base::Absent,
        ..SaveOptions::default()
    };
    let msg = config::save(&fresh, &sample(), opts)
        .expect_err("created")
        .to_string();
    assert!(msg.contains("created meanwhile"), "{msg}");
}

#[test]
fn a_lock_held_by_a_live_save_makes_the_next_one_wait_then_give_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let lock = dir.path().join("config.toml.lock");
    // A live process holds it: this one.
    std::fs::write(&lock, format!("{}\n", std::process::id())).expect("lock");
    let started = std::time::Instant::now();
    let e = config::save(&path, &sample(), SaveOptions::default()).expect_err("locked");
    assert!(matches!(e, ConfigError::Locked { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("being saved by another snow-connect"),
        "{e}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert!(!path.exists());
    // A lock left by a process that is gone is taken over at once.
    std::fs::write(&lock, "999999999\n").expect("lock");
    config::save(&path, &sample(), SaveOptions::default()).expect("dead owner");
    assert!(!lock.exists());
    // So is one too old to be a live save's.
    std::fs::write(&lock, format!("{}\n", std::process::id())).expect("lock");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .and_then(|f| f.set_modified(old))
        .expect("age the lock");
    config::save(&path, &sample(), SaveOptions::default()).expect("stale lock");
    assert!(!lock.exists());
}

#[test]
fn saves_and_remove_delete_temp_files_a_killed_save_left() {
    let sb = Sandbox::new();
    let path = sb.path("config.toml");
    let leftover = sb.path(".config.toml.k1ll3d.tmp");
    config::save(&path, &sample(), SaveOptions::default()).expect("save");
    write(
        &leftover,
        &format!("client_secret = \"{CLIENT_SECRET}\""),
        0o600,
    );
    config::save(&path, &sample(), SaveOptions::default()).expect("save");
    assert!(!leftover.exists(), "a save removes it, however fresh");

    write(
        &leftover,
        &format!("client_secret = \"{CLIENT_SECRET}\""),
        0o600,
    );
    let out = sb.run(&[
        "--config",
        path.to_str().expect("utf-8"),
        "config",
        "remove",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!path.exists() && !leftover.exists());
}

#[test]
fn remove_on_a_symlink_says_so_and_asks_about_the_target() {
    let sb = Sandbox::new();
    let real = sb.path("dotfiles-snow.toml");
    let link = sb.path("config.toml");
    let args = [
        "--config",
        link.to_str().expect("utf-8"),
        "config",
        "remove",
    ];
    for (answer, target_removed) in [("n", false), ("y", true)] {
        write(&real, HAND_WRITTEN, 0o600);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let mut t = Term::start(&args, sb.dir.path(), &[]);
        t.wait_for("[y/N]");
        t.send(b"y\r");
        let seen = t.wait_for("Also delete");
        assert!(seen.contains("is a symlink to"), "{seen}");
        t.send(format!("{answer}\r").as_bytes());
        let status = t.wait_exit();
        assert!(status.success(), "{}", t.screen());
        assert!(
            std::fs::symlink_metadata(&link).is_err(),
            "the link is gone"
        );
        assert_eq!(!real.exists(), target_removed, "answer {answer}");
    }
    // --yes removes the integration, which is the target.
    write(&real, HAND_WRITTEN, 0o600);
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let mut with_yes = args.to_vec();
    with_yes.push("--yes");
    let out = sb.run(&with_yes);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("and the symlink"),
        "{}",
        text(&out.stdout)
    );
    assert!(!real.exists() && std::fs::symlink_metadata(&link).is_err());
}
