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
    let form = &mut m.screens.connect.form;
    for (field, v) in crate::wizard::screens::connect::ConnectField::ALL
        .into_iter()
        .zip(FORM)
    {
        form.field_mut(field).set(v);
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
        // Tests change state directly between messages; the keymap follows it.
        m.refresh_keymap();
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
    // The lengths of the out-of-the-box dictionary.
    let mut short = field("short_description", "Short description", None, "task");
    short.max_length = Some(160);
    let mut desc = field("description", "Description", None, "task");
    desc.max_length = Some(4000);
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

/// Every check passed (fixed times), with the summaries and evidence the ladder gives.
pub fn results_ok() -> Vec<CheckResult> {
    vec![
        result(
            CheckId::InstanceUrl,
            CheckStatus::Passed,
            "https://acme.service-now.com (normalised from \"acme\")",
            None,
            None,
            0,
        ),
        result(
            CheckId::Reachability,
            CheckStatus::Passed,
            "connected to acme.service-now.com (DNS, TCP and TLS OK)",
            None,
            None,
            42,
        ),
        result(
            CheckId::Instance,
            CheckStatus::Passed,
            "answers like ServiceNow: its JSON error envelope (HTTP 401) without a token",
            Some("HTTP 401: User Not Authenticated: Required to provide Auth information"),
            None,
            35,
        ),
        result(
            CheckId::Oauth,
            CheckStatus::Passed,
            "token issued, expires in 30 min (scope useraccount, with a refresh token)",
            Some("HTTP 200 from /oauth_token.do: an access token, expires_in 1799"),
            None,
            120,
        ),
        result(
            CheckId::AclSysDbObject,
            CheckStatus::Passed,
            "1 row readable",
            Some("HTTP 200 with 1 record(s); X-Total-Count: 1"),
            None,
            51,
        ),
        result(
            CheckId::AclSysDbObjectFields,
            CheckStatus::Passed,
            "2 fields readable: name, super_class",
            Some("HTTP 200 with 1 record(s); X-Total-Count: 1"),
            None,
            50,
        ),
        result(
            CheckId::AclSysDictionary,
            CheckStatus::Passed,
            "97 rows readable",
            Some("HTTP 200 with 97 record(s); X-Total-Count: 97"),
            None,
            63,
        ),
        result(
            CheckId::AclSysDictionaryFields,
            CheckStatus::Passed,
            "4 fields readable: name, element, internal_type, column_label",
            Some("HTTP 200 with 97 record(s); X-Total-Count: 97"),
            None,
            61,
        ),
        result(
            CheckId::AclSysGlideObject,
            CheckStatus::Passed,
            "33 rows readable (field types, with their labels)",
            Some("HTTP 200 with 33 record(s); X-Total-Count: 33"),
            None,
            48,
        ),
        result(
            CheckId::AclSysChoice,
            CheckStatus::Passed,
            "54 rows readable with values and labels",
            Some("HTTP 200 with 54 record(s); X-Total-Count: 54"),
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

/// sys_glide_object denied at the table: ServiceNow's 403, as `--deny sys_glide_object` gives.
pub fn results_glide_denied() -> Vec<CheckResult> {
    let mut r = results_ok();
    r[8] = result(
        CheckId::AclSysGlideObject,
        CheckStatus::Blocked,
        "the user cannot read sys_glide_object",
        Some("HTTP 403: Insufficient rights to query records"),
        Some(&crate::diagnose::fixes::acl_row(
            "sys_glide_object",
            &crate::diagnose::fixes::FixContext::new("finout.integration", ""),
        )),
        12,
    );
    r
}

/// The instance rate limits the user from the sys_dictionary read on (retry at a fixed time).
pub fn results_rate_limited() -> Vec<CheckResult> {
    let mut r = results_ok();
    let at = time::macros::datetime!(2026-12-07 20:37:38 UTC);
    r[6] = CheckResult {
        cause: Some(crate::diagnose::CauseId::RateLimited),
        retry_at: Some(at),
        ..result(
            CheckId::AclSysDictionary,
            CheckStatus::Inconclusive,
            "sys_dictionary not checked: rate limited; retry after 60 minutes",
            Some(
                "HTTP 429: Rate limit exceeded: Rate limit of 3 requests per hour for Table API exceeded; Retry-After: 3600; X-RateLimit-Limit: 3",
            ),
            Some("Retry after 60 minutes (the instance asked to wait)."),
            9,
        )
    };
    r[7] = CheckResult {
        cause: Some(crate::diagnose::CauseId::RateLimited),
        ..result(
            CheckId::AclSysDictionaryFields,
            CheckStatus::Skipped,
            "skipped: sys_dictionary could not be read (cause rate_limited)",
            None,
            None,
            0,
        )
    };
    r
}

/// Two root causes at once: the rate limit and a missing read ACL.
pub fn results_two_causes() -> Vec<CheckResult> {
    let mut r = results_rate_limited();
    r[8] = results_glide_denied()[8].clone();
    r
}

/// sys_dictionary.* denied: rows come back without fields (the ladder's words).
pub fn results_dictionary_fields_denied() -> Vec<CheckResult> {
    let mut r = results_ok();
    r[7] = result(
        CheckId::AclSysDictionaryFields,
        CheckStatus::Blocked,
        "sys_dictionary rows came back without name, element, internal_type, column_label (4 of 4 requested fields hidden)",
        Some(
            "HTTP 200: records came back without the fields name, element, internal_type, column_label",
        ),
        Some(&crate::diagnose::fixes::acl_row(
            "sys_dictionary.*",
            &crate::diagnose::fixes::FixContext::new("finout.integration", ""),
        )),
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
pub fn render(m: &mut Model, w: u16, h: u16) -> String {
    // Tests change state directly; the footer follows it.
    m.refresh_keymap();
    let mut term = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    match term.draw(|f| view(m, f)) {
        Ok(frame) => buffer_text(frame.buffer),
        Err(e) => panic!("draw: {e}"),
    }
}

/// Open "Select a value" on `target` of the open editor, as the editor does; returns the
/// effects it starts with.
pub fn open_value(m: &mut Model, target: crate::wizard::popups::ValueTarget) -> Vec<Effect> {
    let Some(ed) = m.screens.editor.as_ref() else {
        return Vec::new();
    };
    let Some((v, effects)) = crate::wizard::popups::ValueSelector::open(ed, target, &mut m.cx)
    else {
        return Vec::new();
    };
    m.popups
        .push(crate::wizard::popups::Popup::Value(Box::new(v)));
    m.refresh_keymap();
    effects
}

/// Give `target` of the open editor a value, as the value selector does.
pub fn set_value(
    m: &mut Model,
    target: crate::wizard::popups::ValueTarget,
    value: (String, Option<String>),
) {
    if let Some(ed) = m.screens.editor.as_mut() {
        ed.set_value(target, value, &mut m.cx);
    }
}

/// Focus item number `pos` of the open editor.
pub fn focus_item(m: &mut Model, pos: usize) {
    if let Some(ed) = m.screens.editor.as_mut() {
        let items = ed.items();
        if let Some(item) = items.get(pos) {
            ed.focus_on(*item);
        }
    }
    m.refresh_keymap();
}

/// Press "Save endpoint" in the open editor.
pub fn save_endpoint(m: &mut Model) -> Vec<Effect> {
    if let Some(ed) = m.screens.editor.as_mut() {
        ed.focus_on(crate::wizard::screens::editor::EditorItem::Save);
    }
    m.refresh_keymap();
    send(m, [key(KeyCode::Enter)])
}

/// The number of the open value selector's latest reference search.
pub fn search_seq(m: &Model) -> u64 {
    match m.top() {
        Some(crate::wizard::popups::Popup::Value(v)) => v.search.as_ref().map_or(0, |s| s.seq),
        _ => 0,
    }
}

/// Open the picker over the open editor, as "Select Fields" does.
pub fn open_picker(m: &mut Model) {
    if let Some(ed) = m.screens.editor.as_ref() {
        let p = crate::wizard::popups::Picker::open(ed, &mut m.cx);
        m.popups
            .push(crate::wizard::popups::Popup::Picker(Box::new(p)));
        m.refresh_keymap();
    }
}

/// Focus item number `pos` of the review (the last one for `usize::MAX`).
pub fn review_focus(m: &mut Model, pos: usize) {
    let items = m.screens.review.items();
    if let Some(item) = items.get(pos.min(items.len().saturating_sub(1))) {
        m.screens.review.focus_on(*item);
    }
    m.refresh_keymap();
}

/// The filled form connected: run 1 of the checks finished with `results` (and `dict`), on
/// the matrix.
pub fn checked(
    results: Vec<CheckResult>,
    dict: Option<Result<Dictionary, DictionaryError>>,
) -> Model {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    send(
        &mut m,
        [
            key(KeyCode::Enter),
            Msg::ChecksDone {
                run: 1,
                outcome: outcome(results, dict),
            },
        ],
    );
    m
}
