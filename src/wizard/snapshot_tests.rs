//! Snapshots of every screen and the main popups at 80x24, 60x20 and 40x12 (TestBackend rendered to
//! text). Fixtures have fixed times and no real secrets; every render is also checked for
//! the fixture secrets and for panics at odd sizes.

use crossterm::event::KeyCode;

use crate::config::{Config, Endpoint, EndpointField, SecretRef, ServiceNowConfig};
use crate::diagnose::{CheckEvent, CheckId, DictionaryError, FieldKind};
use crate::wizard::draft::draft_of;
use crate::wizard::model::{Existing, Model, Screen};
use crate::wizard::msg::{CreatedTest, Msg, RefRow};
use crate::wizard::popups::ValueTarget;
use crate::wizard::screens::connect::{ConnectField, ConnectFocus};
use crate::wizard::screens::editor::EditorItem;
use crate::wizard::test_fixtures::*;
use crate::wizard::theme::Theme;

// Literal on purpose: tests/secrets.rs reads this line to know what the snapshots must not show.
const SECRETS: [&str; 2] = ["s3cret!", "pa55word"];

fn check(name: &str, m: &mut Model) {
    for (w, h) in [(80u16, 24u16), (60, 20), (40, 12)] {
        let text = render(m, w, h);
        for s in SECRETS {
            assert!(!text.contains(s), "{name} {w}x{h} shows a secret");
        }
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
    // Odd sizes must never panic.
    for (w, h) in [
        (0, 0),
        (1, 1),
        (39, 11),
        (40, 11),
        (41, 12),
        (50, 15),
        (69, 20),
        (70, 20),
        (120, 40),
        (200, 5),
    ] {
        let _ = render(m, w, h);
    }
}

#[test]
fn the_listed_secrets_are_the_ones_the_form_is_filled_with() {
    assert_eq!(SECRETS, [FORM[2], FORM[4]]);
}

fn filled() -> Model {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    m
}

fn checks(
    results: Vec<crate::diagnose::CheckResult>,
    dict: Option<Result<crate::diagnose::Dictionary, DictionaryError>>,
) -> Model {
    checked(results, dict)
}

fn denied() -> Model {
    checks(
        results_dictionary_fields_denied(),
        Some(Err(DictionaryError::Denied {
            acl: "sys_dictionary.*".into(),
            evidence: "HTTP 200, records without element".into(),
        })),
    )
}

fn endpoints() -> Model {
    let mut m = checks(results_ok(), Some(Ok(dictionary())));
    send(&mut m, [key(KeyCode::Char('c'))]);
    m
}

fn with_endpoint() -> Model {
    let mut m = endpoints();
    m.cx.endpoints.push(Endpoint {
        name: "FinOps anomalies".into(),
        description: "Cost anomaly alerts".into(),
        table: "incident".into(),
        fields: vec![
            EndpointField {
                element: "caller_id".into(),
                kind: FieldKind::Reference,
                value: "62826bf03710200044e0bfc8bcbe5df1".into(),
                display: Some("Abel Tuter".into()),
                mandatory: true,
            },
            EndpointField {
                element: "assignment_group".into(),
                kind: FieldKind::Reference,
                value: "287ebd7da9fe198100f92cc8d1d2154e".into(),
                display: Some("Cloud FinOps".into()),
                mandatory: false,
            },
            EndpointField {
                element: "priority".into(),
                kind: FieldKind::Choice,
                value: "2".into(),
                display: Some("2 - High".into()),
                mandatory: false,
            },
        ],
    });
    m
}

fn existing_config() -> Config {
    Config {
        servicenow: ServiceNowConfig {
            instance_url: "https://acme.service-now.com".into(),
            client_id: "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f".into(),
            client_secret: SecretRef::Env("SNOW_CLIENT_SECRET".into()),
            username: "finout.integration".into(),
            password: SecretRef::Env("SNOW_PASSWORD".into()),
        },
        endpoints: vec![],
    }
}

#[test]
fn welcome() {
    check("welcome", &mut model());
    let mut s = setup();
    s.existing = Existing::Loaded {
        config: Box::new(existing_config()),
        warnings: vec!["config.toml is readable by other users: run chmod 600 config.toml".into()],
    };
    check("welcome_existing", &mut Model::new(s));
    let mut s = setup();
    s.existing = Existing::Invalid(
        "config.toml:3:1: unknown key `pasword`, did you mean `password`?".into(),
    );
    check("welcome_invalid", &mut Model::new(s));
}

#[test]
fn instruction_screens() {
    let mut m = model();
    send(&mut m, [key(KeyCode::Enter)]);
    check("choose_user", &mut m);
    send(&mut m, [key(KeyCode::Enter)]);
    check("oauth_application", &mut m);
}

#[test]
fn connect_form() {
    check("connect_empty", &mut at_connect());
    let mut m = filled();
    check("connect_filled", &mut m);
    // Errors show once a field was left empty.
    m.screens.connect.form.client_id.set("");
    m.screens
        .connect
        .form
        .instance_url
        .set("http://acme.service-now.com");
    m.screens.connect.touch_all();
    m.screens
        .connect
        .set_focus(ConnectFocus::Field(ConnectField::ClientId));
    check("connect_errors", &mut m);
}

#[test]
fn checks_running() {
    let mut m = filled();
    send(&mut m, [key(KeyCode::Enter)]);
    let r = results_ok();
    send(
        &mut m,
        [
            Msg::Check {
                run: 1,
                event: CheckEvent::Finished(r[0].clone()),
            },
            Msg::Check {
                run: 1,
                event: CheckEvent::Finished(r[1].clone()),
            },
            Msg::Check {
                run: 1,
                event: CheckEvent::Started(CheckId::Instance),
            },
        ],
    );
    check("checks_running", &mut m);
}

#[test]
fn matrix() {
    check(
        "matrix_passed",
        &mut checks(results_ok(), Some(Ok(dictionary()))),
    );
    check("matrix_denied", &mut denied());
    let mut m = denied();
    send(&mut m, [key(KeyCode::Char('c'))]);
    check("continue_anyway", &mut m);
}

/// The first non-passing row is selected when the matrix opens; Enter opens it full-width.
#[test]
fn matrix_failing_row_and_its_detail() {
    let mut m = checks(results_glide_denied(), Some(Ok(dictionary())));
    let rows = crate::wizard::screens::checks::visible_rows(&m.cx);
    assert_eq!(
        rows[m.screens.checks.selected()].0,
        CheckId::AclSysGlideObject
    );
    check("matrix_failing", &mut m);
    send(&mut m, [key(KeyCode::Enter)]);
    check("detail", &mut m);
    // ServiceNow's message is whole, on one line, wherever a line can hold it.
    for (w, h) in [(80, 24), (60, 20)] {
        let text = render(&mut m, w, h);
        assert!(
            text.lines()
                .any(|l| l.contains("HTTP 403: Insufficient rights to query records")),
            "{w}x{h}:\n{text}"
        );
    }
    m.cx.size = (80, 24);
    send(&mut m, [key(KeyCode::End)]);
    insta::assert_snapshot!("detail_end_80x24", render(&mut m, 80, 24));
}

/// An instance-wide cause is one banner above the rows, wrapped, never cut mid-word.
#[test]
fn root_cause_banner() {
    check(
        "banner_rate_limited",
        &mut checks(results_rate_limited(), None),
    );
    check("banner_two_causes", &mut checks(results_two_causes(), None));
}

#[test]
fn endpoint_list() {
    check("endpoints_empty", &mut endpoints());
    check("endpoints_one", &mut with_endpoint());
}

#[test]
fn endpoint_editor() {
    let mut m = with_endpoint();
    send(&mut m, [key(KeyCode::Enter)]);
    check("editor", &mut m);
    let mut m = endpoints();
    send(&mut m, [key(KeyCode::Char('a'))]);
    let last = m
        .screens
        .editor
        .as_ref()
        .map(|e| e.items().len() - 1)
        .unwrap_or(0);
    focus_item(&mut m, last);
    send(&mut m, [key(KeyCode::Enter)]);
    check("editor_errors", &mut m);
}

#[test]
fn picker_modal() {
    let mut m = endpoints();
    send(&mut m, [key(KeyCode::Char('a'))]);
    open_picker(&mut m);
    check("picker_all", &mut m);
    // A wide terminal has room for the storage type next to "choice".
    insta::assert_snapshot!("picker_all_100x24", render(&mut m, 100, 24));
    type_text(&mut m, "grp");
    send(&mut m, [key(KeyCode::Tab)]);
    check("picker_query", &mut m);

    let mut m = denied();
    send(
        &mut m,
        [
            key(KeyCode::Char('c')),
            key(KeyCode::Char('y')),
            key(KeyCode::Char('a')),
        ],
    );
    open_picker(&mut m);
    check("picker_unavailable", &mut m);
}

#[test]
fn value_selector() {
    let mut m = with_endpoint();
    send(&mut m, [key(KeyCode::Enter)]);
    // Priority is the second additional field.
    let _ = open_value(&mut m, ValueTarget::Additional(1));
    check("value_choice", &mut m);
    let mut m = with_endpoint();
    send(&mut m, [key(KeyCode::Enter)]);
    let _ = open_value(&mut m, ValueTarget::Additional(0));
    type_text(&mut m, "cloud");
    let seq = search_seq(&m);
    send(
        &mut m,
        [Msg::References {
            seq,
            result: Ok(vec![
                RefRow {
                    sys_id: "287ebd7da9fe198100f92cc8d1d2154e".into(),
                    display: "Cloud FinOps".into(),
                },
                RefRow {
                    sys_id: "36c741fa731313005081a616c4f6a7b2".into(),
                    display: "Cloud Platform Engineering".into(),
                },
            ]),
        }],
    );
    check("value_reference", &mut m);
    let mut m = endpoints();
    send(&mut m, [key(KeyCode::Char('a'))]);
    if let Some(e) = m.screens.editor.as_mut() {
        e.additional
            .push(crate::wizard::screens::editor::FieldEntry::from_field(
                &field(
                    "correlation_id",
                    "Correlation ID",
                    Some(FieldKind::String),
                    "task",
                ),
                FieldKind::String,
                false,
            ));
        e.additional
            .push(crate::wizard::screens::editor::FieldEntry::from_field(
                &field(
                    "reassignment_count",
                    "Reassignment count",
                    Some(FieldKind::Integer),
                    "task",
                ),
                FieldKind::Integer,
                false,
            ));
    }
    let _ = open_value(&mut m, ValueTarget::Additional(0));
    type_text(&mut m, "this value is far too long for forty characters");
    check("value_string_limit", &mut m);
    send(&mut m, [key(KeyCode::Esc)]);
    let _ = open_value(&mut m, ValueTarget::Additional(1));
    type_text(&mut m, "12a");
    send(&mut m, [key(KeyCode::Enter)]);
    check("value_integer_error", &mut m);
}

#[test]
fn review_and_save() {
    let mut m = with_endpoint();
    send(
        &mut m,
        [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert_eq!(m.screen, Screen::Review);
    check("review", &mut m);
    send(
        &mut m,
        [key(KeyCode::Tab), key(KeyCode::Enter), key(KeyCode::Tab)],
    );
    check("review_env", &mut m);
    let mut m = with_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    m.screens.review.test = crate::wizard::screens::review::TestState::Running;
    send(
        &mut m,
        [Msg::TestIncident(Ok(CreatedTest {
            number: "INC0010001".into(),
            url: "https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=1".into(),
        }))],
    );
    send(
        &mut m,
        [Msg::Saved(Ok(
            "/home/op/.config/snow-connect/config.toml".into()
        ))],
    );
    check("review_saved", &mut m);
}

fn at_review_on_the_test_button() -> Model {
    let mut m = with_endpoint();
    send(
        &mut m,
        [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert_eq!(m.screen, Screen::Review);
    m.screens
        .review
        .focus_on(crate::wizard::screens::review::ReviewItem::Test);
    m
}

/// The question before a real incident, its failure on Review, and the failure's detail.
#[test]
fn test_incident() {
    let mut m = at_review_on_the_test_button();
    send(&mut m, [key(KeyCode::Enter)]);
    check("test_incident_confirm", &mut m);
    send(&mut m, [key(KeyCode::Char('y'))]);
    let denied = crate::servicenow::Error::Forbidden(crate::servicenow::ServiceNowMessage {
        message: "Operation Failed".into(),
        detail: Some("ACL Exception Insert Failed due to security constraints".into()),
    });
    let ctx = crate::diagnose::fixes::FixContext::new("finout.integration", "acme.service-now.com")
        .read_by(crate::diagnose::fixes::Reader::WizardTestIncident);
    send(
        &mut m,
        [Msg::TestIncident(Err(crate::wizard::msg::TestFailure {
            message: "ServiceNow refused to create the incident: the integration user lacks a \
                      role or ACL that allows creating incidents."
                .into(),
            evidence: Some(
                "HTTP 403: Operation Failed: ACL Exception Insert Failed due to security constraints"
                    .into(),
            ),
            fix: crate::diagnose::fixes::for_error(&denied, &ctx),
            in_servicenow: true,
        }))],
    );
    check("test_incident_failed", &mut m);
    send(&mut m, [key(KeyCode::Char('v'))]);
    check("test_incident_detail", &mut m);
}

#[test]
fn modals() {
    let mut m = model();
    send(&mut m, [key(KeyCode::Char('?'))]);
    check("help_welcome", &mut m);
    let mut m = filled();
    m.cx.unsaved = true;
    send(&mut m, [ctrl('c')]);
    check("quit_confirm", &mut m);
    let mut s = setup();
    s.draft = Some((draft_of(&with_endpoint()), 1_767_225_600));
    check("draft_offer", &mut Model::new(s));
    let mut s = setup();
    s.existing = Existing::Loaded {
        config: Box::new(existing_config()),
        warnings: vec![],
    };
    let mut m = Model::new(s);
    send(
        &mut m,
        [
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Enter),
        ],
    );
    check("remove_confirm", &mut m);
}

#[test]
fn too_small() {
    let text = render(&mut model(), 39, 11);
    assert!(text.contains("terminal too small (need 40x12)"));
    insta::assert_snapshot!("too_small_39x11", text);
    let text = render(&mut model(), 30, 8);
    assert!(text.contains("too small: need 40x12"), "{text}");
    let text = render(&mut model(), 12, 3);
    assert!(
        text.contains("need 40x12"),
        "the size is never cut off: {text}"
    );
}

#[test]
fn untrusted_text_is_shown_escaped() {
    let mut m = checks(results_ok(), Some(Ok(dictionary())));
    if let Some((_, crate::wizard::model::RowState::Done(r))) = m.cx.checks.rows.get_mut(2) {
        r.evidence = Some("evil\u{1b}[2Jtitle\u{7}".into());
    }
    m.screens.checks.select(2);
    let text = render(&mut m, 80, 24);
    assert!(!text.contains('\u{1b}'));
    assert!(text.contains("evil^[[2Jtitle^G"));
}

#[test]
fn monochrome_still_shows_selection_and_focus() {
    use ratatui::style::Modifier;
    let mut m = checks(results_ok(), Some(Ok(dictionary())));
    m.cx.theme = Theme::MONO;
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("term");
    let frame = term
        .draw(|f| crate::wizard::view::view(&m, f))
        .expect("draw");
    let buf = frame.buffer;
    // The selected matrix row (row 0 of the table, y = 2) is reversed, and no cell has a colour.
    let y = 2;
    let x = 30;
    assert!(
        buf[(x, y)].modifier.contains(Modifier::REVERSED),
        "selected row is reversed"
    );
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    let _ = EditorItem::Name;
}
