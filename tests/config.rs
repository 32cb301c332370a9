//! The config file: schema v1 round trips, comment-keeping edits, 0600 files, precise errors,
//! the `config` command through the real binary, and drafts (including on SIGHUP).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use secrecy::{ExposeSecret, SecretString};
use snow_connect::config::{
    self, Config, ConfigError, DraftStore, Endpoint, EndpointField, SaveOptions, SecretRef,
    ServiceNowConfig,
};
use snow_connect::diagnose::FieldKind;

const CLIENT_SECRET: &str = "cl13nt-S3CRET-zq81";
const PASSWORD: &str = "pa55-W0RD-xv42";

fn inline(s: &str) -> SecretRef {
    SecretRef::Inline(SecretString::from(s.to_string()))
}

fn field(element: &str, kind: FieldKind, value: &str) -> EndpointField {
    EndpointField {
        element: element.to_string(),
        kind,
        value: value.to_string(),
        display: None,
        mandatory: false,
    }
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
            Endpoint {
                name: "FinOps anomalies".to_string(),
                description: "Cost anomaly alerts".to_string(),
                table: "incident".to_string(),
                fields: vec![
                    EndpointField {
                        display: Some("Cloud FinOps".to_string()),
                        ..field(
                            "assignment_group",
                            FieldKind::Reference,
                            "287ebd7da9fe198100f92cc8d1d2154e",
                        )
                    },
                    EndpointField {
                        display: Some("2 - Medium".to_string()),
                        ..field("impact", FieldKind::Choice, "2")
                    },
                    field("u_cost_delta", FieldKind::Integer, "-1250"),
                    field("u_auto_close", FieldKind::Boolean, "false"),
                    EndpointField {
                        mandatory: true,
                        ..field("u_team", FieldKind::String, "Platform \"core\" \\ ops")
                    },
                ],
            },
            Endpoint {
                name: "Budget overruns — EU".to_string(),
                description: String::new(),
                table: "incident".to_string(),
                fields: Vec::new(),
            },
        ],
    }
}

fn secret_text(s: &SecretRef) -> String {
    match s {
        SecretRef::Inline(v) => format!("inline:{}", v.expose_secret()),
        SecretRef::Env(n) => format!("env:{n}"),
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

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
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
    d.endpoints[1].fields.push(field("urgency", FieldKind::Choice, "1"));
    config::save(&path, &d, SaveOptions::default()).expect("save edit");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains(CLIENT_SECRET), "the old inline secret is gone");
    assert!(!text.contains("SNOW_TEST_PASSWORD"), "the old env name is gone");
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
    c.endpoints.push(Endpoint {
        name: "New".to_string(),
        description: "added".to_string(),
        table: "incident".to_string(),
        fields: vec![field("urgency", FieldKind::Choice, "3")],
    });
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
    assert!(!text.contains("FinOps anomalies") && !text.contains("Budget"), "{text}");
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
    assert!(e.to_string().contains(":31:17: environment variable SNOW_TEST_UNSET_7f3a"));
    // The same config is still readable for showing or editing.
    let c = config::load_for_edit(&path).expect("load for edit").config;
    let e = c.servicenow.resolve_password().expect_err("unset");
    assert!(e.to_string().contains("SNOW_TEST_UNSET_7f3a"), "{e}");
    assert!(e.to_string().contains("password_env"), "{e}");
}
