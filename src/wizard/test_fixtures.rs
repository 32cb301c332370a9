//! Hand-made models, dictionaries and check results for the pure tests and snapshots.
//! Times are fixed so snapshots never vary.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::diagnose::{
    CheckId, CheckResult, CheckStatus, Choice, Dictionary, DictionaryError, Field, FieldKind,
    HiddenReason,
};
use crate::wizard::event_loop::buffer_text;
use crate::wizard::model::{Existing, Model, Setup};
use crate::wizard::msg::{ChecksOutcome, Effect, Msg};
use crate::wizard::theme::Theme;
use crate::wizard::update::update;
use crate::wizard::view::view;

pub fn setup() -> Setup {
    Setup {
        config_path: PathBuf::from("/home/op/.config/snow-connect/config.toml"),
        existing: Existing::None,
        draft: None,
        prefill: None,
        demo: false,
        theme: Theme::COLOR,
        size: (80, 24),
    }
}

/// A saved config for `instance_url` (secrets by environment variable, no endpoints), as if
/// loaded from disk.
pub fn loaded(instance_url: &str) -> Existing {
    use crate::config::{Config, SecretRef, ServiceNowConfig};
    Existing::Loaded {
        config: Box::new(Config {
            servicenow: ServiceNowConfig {
                instance_url: instance_url.into(),
                client_id: "x".into(),
                client_secret: SecretRef::Env("A".into()),
                username: "u".into(),
                password: SecretRef::Env("B".into()),
            },
            endpoints: vec![],
        }),
        warnings: vec![],
    }
}

pub fn model() -> Model {
    Model::new(setup())
}

/// What the fixtures type into the Connect form; the two secrets must never show anywhere.
pub const FORM: [&str; 5] = [
    "acme",
    "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f",
    "s3cret!",
    "finout.integration",
    "pa55word",
];

/// Past Welcome and the two guide screens: the empty Connect form.
pub fn at_connect() -> Model {
    let mut m = model();
    send(
        &mut m,
        [
            key(KeyCode::Enter),
            key(KeyCode::Enter),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(m.screen, crate::wizard::model::Screen::Connect);
    m
}

/// The Connect form filled in with [`FORM`] (focus unchanged).
pub fn filled_form() -> Model {
    let mut m = at_connect();
    for (field, v) in m.form.fields.iter_mut().zip(FORM) {
        field.set(v);
    }
    m
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Send each message; return every effect.
/// Apply `msgs`; the picker's filter requests are answered at once (the worker's answer,
/// so tests see settled results), every other effect is returned.
pub fn send(m: &mut Model, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut out = Vec::new();
    for msg in msgs {
        let mut queue = update(m, msg);
        while !queue.is_empty() {
            for effect in std::mem::take(&mut queue) {
                match effect {
                    Effect::FilterFields(req) => {
                        queue.extend(update(m, Msg::FieldMatches(req.answer_now())));
                    }
                    other => out.push(other),
                }
            }
        }
    }
    out
}

pub fn type_text(m: &mut Model, s: &str) -> Vec<Effect> {
    send(m, s.chars().map(|c| key(KeyCode::Char(c))))
}

pub fn field(element: &str, label: &str, kind: Option<FieldKind>, defined_on: &str) -> Field {
    let internal = match kind {
        Some(FieldKind::Reference) => "reference",
        Some(FieldKind::Choice) => "choice",
        Some(FieldKind::Integer) => "integer",
        Some(FieldKind::Boolean) => "boolean",
        _ => "string",
    };
    Field {
        element: element.into(),
        label: label.into(),
        internal_type: internal.into(),
        type_label: {
            let mut s = internal.to_string();
            if let Some(f) = s.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            s.into()
        },
        defined_on: defined_on.into(),
        reference: None,
        max_length: Some(40),
        mandatory: false,
        read_only: false,
        choices: Vec::new(),
        dependent_on: None,
        kind,
        hidden: if kind.is_none() {
            Some(HiddenReason::FilledFromAlert)
        } else {
            None
        },
    }
}

fn choice(value: &str, label: &str) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        dependent_value: None,
    }
}

/// A small incident dictionary: a reference, choices, a string, an integer, a boolean, the
/// two alert fields and one mandatory reference.
pub fn dictionary() -> Dictionary {
    let mut group = field(
        "assignment_group",
        "Assignment group",
        Some(FieldKind::Reference),
        "task",
    );
    group.reference = Some("sys_user_group".into());
    group.max_length = Some(32);
    let mut caller = field(
        "caller_id",
        "Caller",
        Some(FieldKind::Reference),
        "incident",
    );
    caller.reference = Some("sys_user".into());
    caller.mandatory = true;
    let mut service = field(
        "business_service",
        "Service",
        Some(FieldKind::Reference),
        "task",
    );
    service.reference = Some("cmdb_ci_service".into());
    // Like a real instance: choice columns are stored as integer or string, and
    // sys_glide_object labels them by that storage type.
    let mut priority = field("priority", "Priority", Some(FieldKind::Choice), "task");
    priority.internal_type = "integer".into();
    priority.type_label = "Integer".into();
    priority.choices = vec![
        choice("1", "1 - Critical"),
        choice("2", "2 - High"),
        choice("3", "3 - Moderate"),
        choice("4", "4 - Low"),
    ];
    let mut category = field("category", "Category", Some(FieldKind::Choice), "incident");
    category.internal_type = "string".into();
    category.type_label = "String".into();
    category.choices = vec![
        choice("inquiry", "Inquiry / Help"),
        choice("software", "Software"),
    ];
    let correlation = field(
        "correlation_id",
        "Correlation ID",
        Some(FieldKind::String),
        "task",
    );
    let mut count = field(
        "reassignment_count",
        "Reassignment count",
        Some(FieldKind::Integer),
        "task",
    );
    count.max_length = None;
    let active = field("active", "Active", Some(FieldKind::Boolean), "task");
    let short = field("short_description", "Short description", None, "task");
    let desc = field("description", "Description", None, "task");
    let mut fields = vec![
        active,
        group,
        caller,
        category,
        correlation,
        desc,
        priority,
        count,
        service,
        short,
    ];
    fields.sort_by(|a, b| a.label.cmp(&b.label));
    Dictionary {
        table: "incident".into(),
        chain: vec!["incident".into(), "task".into()],
        fields,
        choices_loaded: true,
        type_labels_loaded: true,
        requests: 4,
        pruned: None,
    }
}

fn result(
    id: CheckId,
    status: CheckStatus,
    summary: &str,
    evidence: Option<&str>,
    fix: Option<&str>,
    ms: u64,
) -> CheckResult {
    // A denied ACL row belongs to the missing_acl cause, as the ladder would report it.
    let missing =
        matches!(status, CheckStatus::Blocked | CheckStatus::Partial) && id.acl().is_some();
    CheckResult {
        evidence: evidence.map(Into::into),
        fix: fix.map(Into::into),
        elapsed_ms: ms,
        cause: missing.then_some(crate::diagnose::CauseId::MissingAcl),
        missing_acls: id
            .acl()
            .filter(|_| missing)
            .map(|a| vec![a.to_string()])
            .unwrap_or_default(),
        ..CheckResult::new(id, status, summary)
    }
}

/// Every check passed (fixed times).
pub fn results_ok() -> Vec<CheckResult> {
    vec![
        result(
            CheckId::InstanceUrl,
            CheckStatus::Passed,
            "https://acme.service-now.com",
            None,
            None,
            0,
        ),
        result(
            CheckId::Reachability,
            CheckStatus::Passed,
            "DNS, TCP and TLS succeeded",
            None,
            None,
            42,
        ),
        result(
            CheckId::Instance,
            CheckStatus::Passed,
            "answers like a ServiceNow instance",
            Some("HTTP 401 User Not Authenticated"),
            None,
            35,
        ),
        result(
            CheckId::Oauth,
            CheckStatus::Passed,
            "token issued (scope useraccount, expires in 1799 s)",
            None,
            None,
            120,
        ),
        result(
            CheckId::AclSysDbObject,
            CheckStatus::Passed,
            "rows readable",
            Some("HTTP 200, 2 rows"),
            None,
            51,
        ),
        result(
            CheckId::AclSysDbObjectFields,
            CheckStatus::Passed,
            "fields readable",
            Some("name, super_class present"),
            None,
            50,
        ),
        result(
            CheckId::AclSysDictionary,
            CheckStatus::Passed,
            "rows readable",
            Some("HTTP 200, 97 rows"),
            None,
            63,
        ),
        result(
            CheckId::AclSysDictionaryFields,
            CheckStatus::Passed,
            "fields readable",
            Some("element, internal_type present"),
            None,
            61,
        ),
        result(
            CheckId::AclSysGlideObject,
            CheckStatus::Passed,
            "rows readable",
            Some("HTTP 200, 33 rows"),
            None,
            48,
        ),
        result(
            CheckId::AclSysChoice,
            CheckStatus::Passed,
            "choices readable",
            Some("HTTP 200, 54 rows"),
            None,
            55,
        ),
        result(
            CheckId::IncidentCreate,
            CheckStatus::Skipped,
            "only on request",
            None,
            None,
            0,
        ),
    ]
}

/// sys_dictionary.* denied: rows come back without fields.
pub fn results_dictionary_fields_denied() -> Vec<CheckResult> {
    let mut r = results_ok();
    r[7] = result(
        CheckId::AclSysDictionaryFields,
        CheckStatus::Blocked,
        "sys_dictionary records came back without fields: no Additional Fields can be offered",
        Some("HTTP 200, 97 records without element, internal_type"),
        Some(
            "Elevate to security_admin, open System Security > Access Control (ACL) > New.\nType: record, Operation: read, Name: sys_dictionary / *.\nAdd the integration role under Requires role, then Submit.\nGive the role to finout.integration (User Administration > Users > Roles > Edit...).",
        ),
        58,
    );
    r
}

/// The outcome the runner would send.
pub fn outcome(
    results: Vec<CheckResult>,
    dict: Option<Result<Dictionary, DictionaryError>>,
) -> Box<ChecksOutcome> {
    Box::new(ChecksOutcome {
        instance_url: Some("https://acme.service-now.com".into()),
        results,
        dictionary: dict,
        connected: true,
        rejected_login: None,
        login_refused: false,
    })
}

/// Render `m` at `w` x `h` to text.
pub fn render(m: &Model, w: u16, h: u16) -> String {
    let mut term = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    match term.draw(|f| view(m, f)) {
        Ok(frame) => buffer_text(frame.buffer),
        Err(e) => panic!("draw: {e}"),
    }
}
