//! Pure tests of the state machine: hand-made messages in, state and effects out.

use crossterm::event::KeyCode;
use secrecy::ExposeSecret;

use crate::config::{Endpoint, EndpointField, SecretRef};
use crate::diagnose::{CheckId, DictionaryError, FieldKind};
use crate::wizard::draft::draft_of;
use crate::wizard::model::{Existing, Model, RowState, Screen};
use crate::wizard::msg::{Effect, Msg, RefRow, SaveFailure};
use crate::wizard::popups::{ConfirmKind, Popup, ValueTarget};
use crate::wizard::screens::connect::{ConnectField, ConnectFocus};
use crate::wizard::screens::editor::EditorItem;
use crate::wizard::test_fixtures::*;

/// A model on the Checks screen after run 1 finished with `results`.
fn after_checks(
    results: Vec<crate::diagnose::CheckResult>,
    dict: Option<Result<crate::diagnose::Dictionary, DictionaryError>>,
) -> Model {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks { run: 1, .. }))
    );
    assert_eq!(m.screen, Screen::Checks);
    assert!(m.cx.checks.running);
    send(
        &mut m,
        [Msg::ChecksDone {
            run: 1,
            outcome: outcome(results, dict),
        }],
    );
    assert!(!m.cx.checks.running);
    m
}

fn ready_for_endpoints() -> Model {
    let mut m = after_checks(results_ok(), Some(Ok(dictionary())));
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Endpoints);
    m
}

#[test]
fn enter_walks_the_instruction_screens_and_esc_walks_back() {
    let mut m = model();
    assert_eq!(m.screen, Screen::Welcome);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::ChooseUser);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::OAuthApp);
    send(&mut m, [key(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::ChooseUser);
    send(&mut m, [key(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Welcome);
}

#[test]
fn letters_typed_into_a_field_never_trigger_shortcuts() {
    let mut m = at_connect();
    let effects = type_text(&mut m, "?qrsyc");
    assert!(effects.is_empty());
    assert_eq!(m.screens.connect.form.instance_url.value(), "?qrsyc");
    assert!(m.popups.is_empty(), "no help or quit dialog");
    assert_eq!(m.screen, Screen::Connect);
    assert!(!m.quit);
}

#[test]
fn question_mark_opens_help_outside_fields_and_f1_everywhere() {
    let mut m = model();
    send(&mut m, [key(KeyCode::Char('?'))]);
    assert!(matches!(m.top(), Some(Popup::Help(_))));
    send(&mut m, [key(KeyCode::Esc)]);
    assert!(m.popups.is_empty());
    let mut m = at_connect();
    send(&mut m, [key(KeyCode::F(1))]);
    assert!(matches!(m.top(), Some(Popup::Help(_))));
}

#[test]
fn bracketed_paste_goes_into_the_focused_field_without_line_breaks() {
    let mut m = at_connect();
    let effects = send(
        &mut m,
        [Msg::Paste(
            "https://acme.service-now.com/now/nav/ui/home\n".into(),
        )],
    );
    assert!(effects.is_empty());
    assert_eq!(
        m.screens.connect.form.instance_url.value(),
        "https://acme.service-now.com/now/nav/ui/home"
    );
    // A paste full of shortcut letters stays text.
    send(
        &mut m,
        [
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            Msg::Paste("q?r\r\n".into()),
        ],
    );
    assert_eq!(
        m.screens.connect.focus(),
        ConnectFocus::Field(ConnectField::ClientSecret)
    );
    assert_eq!(m.screens.connect.form.client_secret.value(), "q?r");
    assert!(m.popups.is_empty());
    assert!(m.cx.unsaved);
}

#[test]
fn ctrl_r_toggles_reveal_and_is_reset_on_leaving() {
    let mut m = at_connect();
    send(&mut m, [ctrl('r')]);
    assert!(m.screens.connect.revealed());
    send(&mut m, [key(KeyCode::Esc)]);
    assert!(!m.screens.connect.revealed());
}

#[test]
fn ctrl_c_quits_at_once_when_nothing_is_unsaved() {
    let mut m = model();
    let effects = send(&mut m, [ctrl('c')]);
    assert!(m.quit);
    assert!(effects.is_empty());
}

#[test]
fn ctrl_c_asks_first_when_something_is_unsaved_and_a_second_one_quits() {
    let mut m = at_connect();
    type_text(&mut m, "acme");
    send(&mut m, [ctrl('c')]);
    assert!(!m.quit);
    assert!(matches!(m.top(), Some(Popup::Confirm(c)) if c.kind == ConfirmKind::Quit));
    // Esc stays.
    send(&mut m, [key(KeyCode::Esc)]);
    assert!(m.popups.is_empty() && !m.quit);
    send(&mut m, [ctrl('c')]);
    let effects = send(&mut m, [ctrl('c')]);
    assert!(m.quit);
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))));
}

#[test]
fn connect_refuses_an_incomplete_form_and_focuses_the_first_problem() {
    let mut m = at_connect();
    m.screens.connect.form.instance_url.set("acme");
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks { .. }))
    );
    assert_eq!(m.screen, Screen::Connect);
    assert_eq!(
        m.screens.connect.focus(),
        ConnectFocus::Field(ConnectField::ClientId)
    );
    assert!(m.cx.status.as_ref().is_some_and(|s| s.error));
}

#[test]
fn checks_stream_into_rows_and_stale_runs_are_ignored() {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    send(&mut m, [key(KeyCode::Enter)]);
    send(
        &mut m,
        [Msg::Check {
            run: 1,
            event: crate::diagnose::CheckEvent::Started(CheckId::Reachability),
        }],
    );
    assert!(matches!(
        m.cx.checks.rows[1],
        (CheckId::Reachability, RowState::Running)
    ));
    assert!(m.animating(), "a running check animates");
    // A message from an older run changes nothing.
    send(
        &mut m,
        [Msg::Check {
            run: 0,
            event: crate::diagnose::CheckEvent::Started(CheckId::Oauth),
        }],
    );
    assert!(matches!(
        m.cx.checks.rows[3],
        (CheckId::Oauth, RowState::Pending)
    ));
    let r = results_ok()[1].clone();
    send(
        &mut m,
        [Msg::Check {
            run: 1,
            event: crate::diagnose::CheckEvent::Finished(r),
        }],
    );
    assert!(matches!(&m.cx.checks.rows[1], (_, RowState::Done(r)) if r.elapsed_ms == 42));
}

#[test]
fn esc_while_running_cancels_the_checks() {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    send(&mut m, [key(KeyCode::Enter)]);
    let effects = send(&mut m, [key(KeyCode::Esc)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(crate::wizard::msg::Slot::Checks)))
    );
    assert!(m.cx.checks.cancelled);
    assert_eq!(m.screen, Screen::Checks);
}

#[test]
fn continue_goes_on_when_required_checks_pass() {
    let m = ready_for_endpoints();
    assert!(m.cx.dict().is_some());
}

#[test]
fn failed_required_read_needs_an_explicit_continue_anyway() {
    let mut m = after_checks(
        results_dictionary_fields_denied(),
        Some(Err(DictionaryError::Denied {
            acl: "sys_dictionary.*".into(),
            evidence: "records without fields".into(),
        })),
    );
    // The failing row is selected, so its fix is on screen at once.
    let rows = crate::wizard::screens::checks::visible_rows(&m.cx);
    assert_eq!(
        rows[m.screens.checks.selected()].0,
        CheckId::AclSysDictionaryFields
    );
    send(&mut m, [key(KeyCode::Enter)]);
    assert!(matches!(m.top(), Some(Popup::Detail(_))), "{:?}", m.top());
    send(&mut m, [key(KeyCode::Esc)]);
    assert!(m.popups.is_empty());
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Checks);
    match m.top() {
        Some(Popup::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::ContinueAnyway);
            assert!(c.body.iter().any(|b| b.contains("no Additional Fields")));
            assert!(!c.on_yes, "the safe answer is the default");
        }
        other => panic!("expected the continue-anyway question, got {other:?}"),
    }
    // Enter on the default ("Stay") stays.
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Checks);
    send(&mut m, [key(KeyCode::Char('c')), key(KeyCode::Char('y'))]);
    assert_eq!(m.screen, Screen::Endpoints);
}

#[test]
fn copy_fix_writes_osc52_through_the_loop_and_says_so() {
    let mut m = after_checks(results_dictionary_fields_denied(), None);
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    match effects.as_slice() {
        [Effect::Clipboard(text)] => assert!(text.contains("security_admin")),
        other => panic!("expected one clipboard effect, got {other:?}"),
    }
    assert!(
        m.cx.status
            .as_ref()
            .is_some_and(|s| s.text.contains("clipboard"))
    );
}

#[test]
fn continue_on_endpoints_needs_at_least_one_endpoint() {
    let mut m = ready_for_endpoints();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Endpoints);
    assert!(
        m.cx.status
            .as_ref()
            .is_some_and(|s| s.error && s.text.contains("at least one"))
    );
}

fn open_editor() -> Model {
    let mut m = ready_for_endpoints();
    send(&mut m, [key(KeyCode::Char('a'))]);
    assert_eq!(m.screen, Screen::Editor);
    m
}

#[test]
fn the_editor_lists_mandatory_fields_from_the_dictionary() {
    let m = open_editor();
    let ed = m.screens.editor.as_ref().expect("editor");
    assert_eq!(
        ed.mandatory
            .iter()
            .map(|e| e.element.as_str())
            .collect::<Vec<_>>(),
        vec!["caller_id"]
    );
    assert!(ed.mandatory[0].mandatory);
}

#[test]
fn an_endpoint_needs_a_unique_name_and_its_mandatory_values() {
    let mut m = open_editor();
    // Save with nothing: the name is required.
    let pos = m
        .screens
        .editor
        .as_ref()
        .map(|e| e.items().len() - 1)
        .unwrap_or(0);
    focus_item(&mut m, pos);
    send(&mut m, [key(KeyCode::Enter)]);
    let ed = m.screens.editor.as_ref().expect("editor still open");
    assert!(
        ed.errors
            .iter()
            .any(|e| e.contains("Endpoint Name is required"))
    );
    assert!(ed.errors.iter().any(|e| e.contains("Caller is mandatory")));
    assert_eq!(ed.focused(), EditorItem::Name);
    // A name taken by another endpoint is refused.
    m.cx.endpoints.push(Endpoint {
        name: "FinOps anomalies".into(),
        description: String::new(),
        table: "incident".into(),
        fields: vec![],
    });
    type_text(&mut m, "finops anomalies");
    set_value(
        &mut m,
        ValueTarget::Mandatory(0),
        (
            "62826bf03710200044e0bfc8bcbe5df1".into(),
            Some("Abel Tuter".into()),
        ),
    );
    let effects = save_endpoint(&mut m);
    assert!(effects.is_empty());
    assert!(
        m.screens
            .editor
            .as_ref()
            .is_some_and(|e| e.errors.iter().any(|x| x.contains("already exists")))
    );
    // A new name saves.
    m.screens
        .editor
        .as_mut()
        .expect("editor")
        .name
        .set("Cost anomalies");
    let effects = save_endpoint(&mut m);
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))));
    assert_eq!(m.screen, Screen::Endpoints);
    let saved = &m.cx.endpoints[1];
    assert_eq!(saved.name, "Cost anomalies");
    assert_eq!(saved.fields.len(), 1);
    assert!(saved.fields[0].mandatory);
    assert_eq!(saved.fields[0].value, "62826bf03710200044e0bfc8bcbe5df1");
}

fn open_picker(m: &mut Model) {
    let items = m.screens.editor.as_ref().expect("editor").items();
    let pos = items
        .iter()
        .position(|i| *i == EditorItem::SelectFields)
        .expect("button");
    focus_item(m, pos);
    send(m, [key(KeyCode::Enter)]);
    assert!(matches!(m.top(), Some(Popup::Picker(_))));
}

fn picker_state(m: &Model) -> &crate::wizard::popups::Picker {
    match m.top() {
        Some(Popup::Picker(p)) => p,
        _ => panic!("picker not open"),
    }
}

#[test]
fn picker_filters_as_you_type_space_types_and_tab_toggles() {
    let mut m = open_editor();
    open_picker(&mut m);
    let all = picker_state(&m).matches.total;
    // Mandatory caller_id and the two alert fields are not on offer.
    assert_eq!(all, 7);
    type_text(&mut m, "prio");
    let p = picker_state(&m);
    assert_eq!(p.query.value(), "prio");
    assert_eq!(p.matches.total, 1);
    assert_eq!(
        p.field(p.matches.rows[0].index).expect("field").element,
        "priority"
    );
    // Space separates search words, also after moving.
    send(&mut m, [key(KeyCode::Char(' '))]);
    assert_eq!(picker_state(&m).query.value(), "prio ");
    assert!(picker_state(&m).selected.is_empty());
    send(&mut m, [key(KeyCode::Backspace), key(KeyCode::Down)]);
    send(&mut m, [key(KeyCode::Char(' '))]);
    assert_eq!(picker_state(&m).query.value(), "prio ");
    assert!(picker_state(&m).selected.is_empty());
    send(&mut m, [key(KeyCode::Backspace)]);
    // Tab toggles with a query typed, and again to unselect.
    send(&mut m, [key(KeyCode::Tab)]);
    let p = picker_state(&m);
    assert_eq!(p.query.value(), "prio", "Tab is not typed");
    assert_eq!(p.selected, vec!["priority".to_string()]);
    send(&mut m, [key(KeyCode::Tab)]);
    assert!(picker_state(&m).selected.is_empty());
    send(&mut m, [key(KeyCode::Tab)]);
    // Enter confirms and asks for the new field's value at once.
    send(&mut m, [key(KeyCode::Enter)]);
    match m.top() {
        Some(Popup::Value(v)) => {
            assert_eq!(v.element, "priority");
            assert_eq!(v.choices.len(), 4);
        }
        other => panic!("expected the value selector, got {other:?}"),
    }
    send(&mut m, [key(KeyCode::Down), key(KeyCode::Enter)]);
    let ed = m.screens.editor.as_ref().expect("editor");
    assert_eq!(ed.additional.len(), 1);
    assert_eq!(
        ed.additional[0].value,
        Some(("2".into(), Some("2 - High".into())))
    );
    assert!(m.popups.is_empty());
}

#[test]
fn a_dependent_choice_list_follows_its_controlling_field() {
    use crate::diagnose::Choice;
    use crate::wizard::screens::editor::FieldEntry;
    let mut m = ready_for_endpoints();
    let mut d = dictionary();
    let mut sub = field(
        "subcategory",
        "Subcategory",
        Some(FieldKind::Choice),
        "incident",
    );
    sub.dependent_on = Some("category".into());
    sub.choices = [
        ("email", "Email", "software"),
        ("os", "Operating System", "software"),
        ("disk", "Disk", "hardware"),
    ]
    .iter()
    .map(|(value, label, on)| Choice {
        value: (*value).into(),
        label: (*label).into(),
        dependent_value: Some((*on).into()),
    })
    .collect();
    d.fields.push(sub.clone());
    let category = d.field("category").cloned().expect("category");
    m.cx.dictionary = Some(Ok(d.into()));
    send(&mut m, [key(KeyCode::Char('a'))]);
    let ed = m.screens.editor.as_mut().expect("editor");
    ed.additional
        .push(FieldEntry::from_field(&sub, FieldKind::Choice, false));
    ed.additional
        .push(FieldEntry::from_field(&category, FieldKind::Choice, false));

    let listed = |m: &mut Model| {
        let _ = open_value(m, ValueTarget::Additional(0));
        let out = match m.top() {
            Some(Popup::Value(v)) => (
                v.choices
                    .iter()
                    .map(|c| c.value.clone())
                    .collect::<Vec<_>>(),
                v.note.clone().unwrap_or_default(),
                v.error.clone(),
            ),
            other => panic!("expected the value selector, got {other:?}"),
        };
        send(m, [key(KeyCode::Esc)]);
        out
    };
    // Category not set: every subcategory, and why.
    let (values, note, error) = listed(&mut m);
    assert_eq!(values, ["email", "os", "disk"]);
    assert!(note.contains("depends on Category"), "{note}");
    assert_eq!(error, None);

    let set = |m: &mut Model, i: usize, v: &str, shown: &str| {
        m.screens.editor.as_mut().expect("editor").additional[i].value =
            Some((v.into(), Some(shown.into())));
    };
    set(&mut m, 1, "software", "Software");
    let (values, note, _) = listed(&mut m);
    assert_eq!(values, ["email", "os"]);
    assert!(note.contains("Category \"Software\""), "{note}");

    // A subcategory that no longer fits its category is caught before saving.
    let about_subcategory = |m: &Model| -> Vec<String> {
        let ed = m.screens.editor.as_ref().expect("editor");
        ed.problems(&m.cx)
            .into_iter()
            .filter(|(item, _)| *item == EditorItem::Additional(0))
            .map(|(_, text)| text)
            .collect()
    };
    set(&mut m, 0, "os", "Operating System");
    assert!(about_subcategory(&m).is_empty());
    set(&mut m, 1, "inquiry", "Inquiry / Help");
    let problems = about_subcategory(&m);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("belongs to Category \"software\", not \"Inquiry / Help\""),
        "{problems:?}"
    );
    // And no subcategory goes with it: the list says so instead of offering wrong ones.
    let (values, note, error) = listed(&mut m);
    assert!(values.is_empty());
    assert!(
        note.starts_with("No Subcategory goes with Category"),
        "{note}"
    );
    assert_eq!(error, None);
}

#[test]
fn picker_stops_at_ten_additional_fields() {
    let mut m = ready_for_endpoints();
    // A dictionary with 12 selectable string fields.
    let mut d = dictionary();
    for i in 0..12 {
        d.fields.push(field(
            &format!("u_extra_{i:02}"),
            &format!("Extra {i:02}"),
            Some(FieldKind::String),
            "incident",
        ));
    }
    m.cx.dictionary = Some(Ok(d.into()));
    send(&mut m, [key(KeyCode::Char('a'))]);
    open_picker(&mut m);
    type_text(&mut m, "extra");
    assert_eq!(picker_state(&m).matches.total, 12);
    for _ in 0..12 {
        send(&mut m, [key(KeyCode::Tab)]);
    }
    let p = picker_state(&m);
    assert_eq!(p.selected.len(), 10);
    assert!(p.note.as_deref().is_some_and(|n| n.contains("At most 10")));
    // Unselecting one makes room again.
    send(
        &mut m,
        [key(KeyCode::Up), key(KeyCode::Up), key(KeyCode::Tab)],
    );
    assert_eq!(picker_state(&m).selected.len(), 9);
}

#[test]
fn esc_in_the_picker_keeps_the_previous_selection() {
    let mut m = open_editor();
    open_picker(&mut m);
    send(&mut m, [key(KeyCode::Tab), key(KeyCode::Esc)]);
    assert!(m.popups.is_empty());
    assert!(
        m.screens
            .editor
            .as_ref()
            .expect("editor")
            .additional
            .is_empty()
    );
}

#[test]
fn without_the_dictionary_the_picker_explains_and_jumps_to_the_matrix() {
    let mut m = after_checks(
        results_dictionary_fields_denied(),
        Some(Err(DictionaryError::Denied {
            acl: "sys_dictionary.*".into(),
            evidence: "HTTP 200, records without fields".into(),
        })),
    );
    send(&mut m, [key(KeyCode::Char('c')), key(KeyCode::Char('y'))]);
    send(&mut m, [key(KeyCode::Char('a'))]);
    assert_eq!(m.screen, Screen::Editor);
    assert!(
        m.screens
            .editor
            .as_ref()
            .expect("editor")
            .mandatory
            .is_empty()
    );
    open_picker(&mut m);
    let p = picker_state(&m);
    let u = p.unavailable.as_ref().expect("explanation");
    assert_eq!(u.missing, vec!["sys_dictionary.*".to_string()]);
    assert!(p.fields().next().is_none());
    // Typing does nothing here; Enter opens the matrix on the failing row.
    type_text(&mut m, "x");
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Checks);
    let rows = crate::wizard::screens::checks::visible_rows(&m.cx);
    assert_eq!(
        rows[m.screens.checks.selected()].0,
        CheckId::AclSysDictionaryFields
    );
    // Esc goes back to the endpoint being edited, not to the form.
    send(&mut m, [key(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Editor);
    assert!(m.screens.editor.is_some());
}

#[test]
fn a_rate_limited_dictionary_blames_no_acl() {
    use crate::diagnose::{CheckResult, CheckStatus};
    use crate::servicenow::{Error, ServiceNowMessage};
    let mut results = results_ok();
    results[4] = CheckResult {
        evidence: Some("HTTP 429: Rate limit exceeded; Retry-After: 30".into()),
        fix: Some("Retry after 30 seconds.".into()),
        elapsed_ms: 3,
        cause: Some(crate::diagnose::CauseId::RateLimited),
        ..CheckResult::new(
            CheckId::AclSysDbObject,
            CheckStatus::Inconclusive,
            "sys_db_object not checked: rate limited; retry after 30 seconds",
        )
    };
    let limited = Error::RateLimited {
        retry_after: Some(std::time::Duration::from_secs(30)),
        limit: Some(10),
        reset: None,
        rule: None,
        message: ServiceNowMessage {
            message: "Rate limit exceeded".into(),
            detail: None,
        },
    };
    let mut m = after_checks(results, Some(Err(DictionaryError::Client(limited))));
    send(&mut m, [key(KeyCode::Char('c')), key(KeyCode::Char('y'))]);
    send(&mut m, [key(KeyCode::Char('a'))]);
    open_picker(&mut m);
    let u = picker_state(&m).unavailable.as_ref().expect("explanation");
    assert!(u.missing.is_empty(), "{:?}", u.missing);
    assert!(u.reason.contains("rate limit"), "{}", u.reason);
    let screen = render(&mut m, 80, 24);
    assert!(!screen.contains("lacks authorization"), "{screen}");
    assert!(!screen.contains("missing"), "{screen}");
}

#[test]
fn reference_values_come_from_a_debounced_search_and_store_the_sys_id() {
    let mut m = open_editor();
    let effects = open_value(&mut m, ValueTarget::Mandatory(0));
    let first_seq = match effects.as_slice() {
        [
            Effect::SearchReference {
                seq,
                table,
                query,
                debounce,
            },
        ] => {
            assert_eq!(table, "sys_user");
            assert!(query.is_empty());
            assert!(debounce.is_zero(), "the first list comes at once");
            *seq
        }
        other => panic!("expected a search, got {other:?}"),
    };
    let effects = type_text(&mut m, "ab");
    let last_seq = match effects.last() {
        Some(Effect::SearchReference {
            seq,
            query,
            debounce,
            ..
        }) => {
            assert_eq!(query, "ab");
            assert_eq!(*debounce, crate::wizard::popups::value::DEBOUNCE);
            *seq
        }
        other => panic!("expected a search, got {other:?}"),
    };
    assert!(m.animating(), "the search spinner runs");
    // The answer to an older search is ignored.
    send(
        &mut m,
        [Msg::References {
            seq: first_seq,
            result: Ok(vec![RefRow {
                sys_id: "x".into(),
                display: "stale".into(),
            }]),
        }],
    );
    send(
        &mut m,
        [Msg::References {
            seq: last_seq,
            result: Ok(vec![RefRow {
                sys_id: "62826bf03710200044e0bfc8bcbe5df1".into(),
                display: "Abel Tuter".into(),
            }]),
        }],
    );
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(crate::wizard::msg::Slot::Search)))
    );
    let ed = m.screens.editor.as_ref().expect("editor");
    assert_eq!(
        ed.mandatory[0].value,
        Some((
            "62826bf03710200044e0bfc8bcbe5df1".into(),
            Some("Abel Tuter".into())
        ))
    );
}

#[test]
fn typed_values_are_validated_by_kind() {
    use crate::wizard::popups::value::validate;
    assert_eq!(validate(FieldKind::Integer, None, " 12 "), Ok("12".into()));
    assert!(validate(FieldKind::Integer, None, "1.5").is_err());
    assert!(validate(FieldKind::String, Some(3), "abcd").is_err());
    assert_eq!(
        validate(FieldKind::String, Some(4), "abcd"),
        Ok("abcd".into())
    );
    assert_eq!(
        validate(FieldKind::Boolean, None, "TRUE"),
        Ok("true".into())
    );
    assert!(validate(FieldKind::Reference, None, "Cloud FinOps").is_err());
    assert!(validate(FieldKind::String, None, "  ").is_err());
}

#[test]
fn a_typed_integer_is_accepted_exactly_when_send_would_accept_it() {
    use crate::config::{Endpoint, EndpointField};
    use crate::incident::{Alert, plan};
    use crate::wizard::popups::value::validate;
    let dict = dictionary();
    let field = |element: &str, kind, value: &str| EndpointField {
        element: element.into(),
        kind,
        value: value.into(),
        display: None,
        mandatory: false,
    };
    for typed in ["12", "-3", "2147483647", "3000000000", "1.5"] {
        let endpoint = Endpoint {
            name: "e".into(),
            description: String::new(),
            table: "incident".into(),
            fields: vec![
                field(
                    "caller_id",
                    FieldKind::Reference,
                    "62826bf03710200044e0bfc8bcbe5df1",
                ),
                field("reassignment_count", FieldKind::Integer, typed),
            ],
        };
        let sent = plan(&endpoint, &Alert::connection_test(), &dict).is_ok();
        assert_eq!(
            validate(FieldKind::Integer, None, typed).is_ok(),
            sent,
            "{typed}"
        );
    }
}

#[test]
fn removing_an_additional_field_with_del() {
    let mut m = open_editor();
    open_picker(&mut m);
    send(
        &mut m,
        [key(KeyCode::Tab), key(KeyCode::Enter), key(KeyCode::Esc)],
    );
    let n = m.screens.editor.as_ref().expect("editor").additional.len();
    assert_eq!(n, 1);
    let items = m.screens.editor.as_ref().expect("editor").items();
    let pos = items
        .iter()
        .position(|i| *i == EditorItem::Additional(0))
        .expect("row");
    focus_item(&mut m, pos);
    send(&mut m, [key(KeyCode::Delete)]);
    assert!(
        m.screens
            .editor
            .as_ref()
            .expect("editor")
            .additional
            .is_empty()
    );
}

fn with_one_endpoint() -> Model {
    let mut m = ready_for_endpoints();
    m.cx.endpoints.push(Endpoint {
        name: "FinOps anomalies".into(),
        description: "Cost anomaly alerts".into(),
        table: "incident".into(),
        fields: vec![
            EndpointField {
                element: "priority".into(),
                kind: FieldKind::Choice,
                value: "2".into(),
                display: Some("2 - High".into()),
                mandatory: false,
            },
            // The fixture instance makes caller_id mandatory, as `--mandatory` does.
            EndpointField {
                element: "caller_id".into(),
                kind: FieldKind::Reference,
                value: "5137153cc611227c000bbd1bd8cd2005".into(),
                display: Some("Fred Luddy".into()),
                mandatory: true,
            },
        ],
    });
    m
}

#[test]
fn deleting_an_endpoint_asks_first() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('d'))]);
    assert!(matches!(m.top(), Some(Popup::Confirm(c)) if c.kind == ConfirmKind::DeleteEndpoint(0)));
    send(&mut m, [key(KeyCode::Esc)]);
    assert_eq!(m.cx.endpoints.len(), 1);
    send(&mut m, [key(KeyCode::Char('d')), key(KeyCode::Char('y'))]);
    assert!(m.cx.endpoints.is_empty());
}

#[test]
fn review_builds_the_config_with_inline_or_env_secrets() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let cfg = m.screens.review.config(&m.cx).expect("config");
    assert_eq!(cfg.servicenow.instance_url, "https://acme.service-now.com");
    match &cfg.servicenow.client_secret {
        SecretRef::Inline(s) => assert_eq!(s.expose_secret(), "s3cret!"),
        other => panic!("expected inline, got {other:?}"),
    }
    // Switch to environment variables.
    send(&mut m, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(m.screens.review.storage, crate::config::Storage::Env);
    let cfg = m.screens.review.config(&m.cx).expect("config");
    assert!(matches!(&cfg.servicenow.password, SecretRef::Env(v) if v == "SNOW_PASSWORD"));
    // A bad variable name is refused with a message.
    m.screens.review.password_var.set("1BAD NAME");
    assert!(m.screens.review.config(&m.cx).is_err());
}

#[test]
fn save_writes_once_and_clears_the_draft_on_success() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    let save_pos = m.screens.review.items().len() - 1;
    review_focus(&mut m, save_pos);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SaveConfig { replace: false, .. }]
    ));
    // A second Enter while saving does not save twice.
    assert!(send(&mut m, [key(KeyCode::Enter)]).is_empty());
    let effects = send(&mut m, [Msg::Saved(Ok("/tmp/x/config.toml".into()))]);
    assert!(matches!(effects.as_slice(), [Effect::ClearDraft]));
    assert!(!m.cx.unsaved);
    send(&mut m, [key(KeyCode::Enter)]);
    assert!(m.quit, "Enter finishes after saving");
}

#[test]
fn saving_another_instance_over_an_existing_config_asks_to_replace() {
    let mut m = with_one_endpoint();
    m.cx.existing = loaded("https://other.service-now.com");
    m.cx.mode = crate::wizard::model::Mode::Edit;
    send(&mut m, [key(KeyCode::Char('c'))]);
    review_focus(&mut m, usize::MAX);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(effects.is_empty());
    assert!(matches!(m.top(), Some(Popup::Confirm(c)) if c.kind == ConfirmKind::ReplaceOnSave));
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SaveConfig { replace: true, .. }]
    ));
    // The config module's own refusal leads to the same question.
    send(
        &mut m,
        [Msg::Saved(Err(SaveFailure::DifferentInstance {
            existing: "https://other.service-now.com".into(),
        }))],
    );
    assert!(matches!(m.top(), Some(Popup::Confirm(c)) if c.kind == ConfirmKind::ReplaceOnSave));
}

#[test]
fn review_offers_commands_and_files_for_the_secrets() {
    use crate::config::Storage;
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let review = |m: &Model| m.screens.review.config(&m.cx);
    // Inline, Env, Command: the third radio row.
    review_focus(&mut m, 2);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screens.review.storage, Storage::Command);
    let cfg = review(&m).expect("config");
    assert!(
        matches!(&cfg.servicenow.password, SecretRef::Command(c) if c == "pass show snow-connect/password"),
        "{:?}",
        cfg.servicenow.password
    );
    m.screens
        .review
        .secret_var
        .set("vault kv get -field=client_secret secret/snow");
    let cfg = review(&m).expect("config");
    assert!(
        matches!(&cfg.servicenow.client_secret, SecretRef::Command(c) if c.starts_with("vault kv get"))
    );
    // Files: the typed command is kept for the client secret? No: it is not a file example,
    // so it stays and is refused as a relative path.
    review_focus(&mut m, 3);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screens.review.storage, Storage::File);
    assert!(review(&m).is_err(), "a command is not an absolute path");
    m.screens
        .review
        .secret_var
        .set("/run/credentials/snow.service/secret");
    let cfg = review(&m).expect("config");
    assert!(matches!(&cfg.servicenow.client_secret, SecretRef::File(p) if p.ends_with("secret")));
    assert!(matches!(&cfg.servicenow.password, SecretRef::File(p) if p.ends_with("password")));
    m.screens.review.password_var.set("relative/password");
    let e = review(&m).expect_err("relative");
    assert!(
        e.contains("`password_file` must be an absolute path"),
        "{e}"
    );
}

#[test]
fn a_config_changed_on_disk_is_shown_and_overwritten_only_when_asked() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    review_focus(&mut m, usize::MAX);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SaveConfig {
            base: crate::config::Base::Absent,
            ..
        }]
    ));
    send(
        &mut m,
        [Msg::Saved(Err(SaveFailure::ChangedOnDisk {
            changes: vec!["endpoint \"Added by hand\" was added".into()],
        }))],
    );
    let Some(Popup::Confirm(c)) = m.top() else {
        panic!("expected a question");
    };
    assert_eq!(c.kind, ConfirmKind::OverwriteChanged);
    assert!(
        c.body.iter().any(|l| l.contains("Added by hand")),
        "{:?}",
        c.body
    );
    assert!(!c.on_yes, "Cancel is the default");
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SaveConfig {
            base: crate::config::Base::Any,
            ..
        }]
    ));
    // After a save, the next one compares with what was just written.
    send(&mut m, [Msg::Saved(Ok("/tmp/x/config.toml".into()))]);
    assert!(m.cx.existing_config().is_some());
    assert!(!m.screens.review.overwrite);
}

#[test]
fn drafts_hold_no_secrets_and_resume_on_the_connect_screen() {
    let m = with_one_endpoint();
    let d = draft_of(&m);
    let json = serde_json::to_string(&d).expect("json");
    assert!(!json.contains("s3cret!"));
    assert!(!json.contains("pa55"));
    assert!(json.contains("FinOps anomalies"));
    let mut s = setup();
    s.draft = Some((d, 1_700_000_000));
    let mut fresh = Model::new(s);
    assert!(matches!(fresh.top(), Some(Popup::Draft(_))));
    send(&mut fresh, [key(KeyCode::Enter)]);
    assert_eq!(fresh.screen, Screen::Connect);
    assert_eq!(fresh.screens.connect.form.instance_url.value(), "acme");
    assert!(
        fresh.screens.connect.form.client_secret.is_empty(),
        "secrets are typed again"
    );
    assert_eq!(
        fresh.screens.connect.focus(),
        ConnectFocus::Field(ConnectField::ClientSecret),
        "on the first secret"
    );
    assert_eq!(
        fresh.cx.status.as_ref().map(|s| s.text.as_str()),
        Some("Draft restored: type the Client Secret and Password again, then Connect.")
    );
    assert_eq!(fresh.cx.endpoints.len(), 1);
}

#[test]
fn a_demo_draft_keeps_the_running_simulator_and_its_secrets() {
    use crate::wizard::model::Prefill;
    let mut old = with_one_endpoint();
    old.screens
        .connect
        .form
        .instance_url
        .set("http://127.0.0.1:40001");
    let mut s = setup();
    s.demo = true;
    s.prefill = Some(Prefill {
        instance_url: "http://127.0.0.1:40123".into(),
        client_id: "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f".into(),
        client_secret: "demo-secret".into(),
        username: "finout.integration".into(),
        password: "demo-password".into(),
    });
    s.draft = Some((draft_of(&old), 1_700_000_000));
    let mut m = Model::new(s);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Connect);
    // The draft's simulator is gone; this run's is the one to talk to.
    assert_eq!(
        m.screens.connect.form.instance_url.value(),
        "http://127.0.0.1:40123"
    );
    assert_eq!(m.screens.connect.form.client_secret.value(), "demo-secret");
    assert_eq!(m.cx.endpoints.len(), 1);
    assert_eq!(m.screens.connect.focus(), ConnectFocus::Connect);
    let said =
        m.cx.status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
    assert!(!said.contains("again"), "{said}");
    assert!(said.contains("Connect runs the checks"), "{said}");
}

#[test]
fn discarding_a_draft_clears_it() {
    let mut s = setup();
    s.draft = Some((draft_of(&model()), 1_700_000_000));
    let mut m = Model::new(s);
    let effects = send(&mut m, [key(KeyCode::Char('d'))]);
    assert!(matches!(effects.as_slice(), [Effect::ClearDraft]));
    assert_eq!(m.screen, Screen::Welcome);
}

#[test]
fn remove_asks_then_removes() {
    let mut s = setup();
    s.existing = loaded("https://acme.service-now.com");
    let mut m = Model::new(s);
    // Edit, Replace, Remove, Quit.
    send(
        &mut m,
        [
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Enter),
        ],
    );
    assert!(matches!(m.top(), Some(Popup::Confirm(c)) if c.kind == ConfirmKind::Remove));
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    assert!(matches!(effects.as_slice(), [Effect::RemoveConfig { .. }]));
    send(&mut m, [Msg::Removed(Ok(()))]);
    assert!(matches!(m.cx.existing, Existing::None));
}

#[test]
fn leaving_the_checks_while_running_cancels_them_and_ignores_late_results() {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    send(&mut m, [key(KeyCode::Enter)]);
    let effects = crate::wizard::update::go(&mut m, Screen::Connect);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(crate::wizard::msg::Slot::Checks)))
    );
    send(
        &mut m,
        [Msg::ChecksDone {
            run: 1,
            outcome: outcome(results_ok(), None),
        }],
    );
    assert!(
        m.cx.checks
            .rows
            .iter()
            .all(|(_, s)| !matches!(s, RowState::Done(_)))
    );
}

#[test]
fn a_panicked_task_becomes_a_message_not_a_stuck_spinner() {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    send(&mut m, [key(KeyCode::Enter)]);
    send(
        &mut m,
        [Msg::TaskFailed(
            "the checks task stopped unexpectedly".into(),
        )],
    );
    assert!(!m.cx.checks.running);
    assert!(m.cx.status.as_ref().is_some_and(|s| s.error));
}

#[test]
fn picker_selection_keeps_values_of_fields_that_stay_selected() {
    let mut m = open_editor();
    open_picker(&mut m);
    type_text(&mut m, "prio");
    send(
        &mut m,
        [key(KeyCode::Tab), key(KeyCode::Enter), key(KeyCode::Enter)],
    );
    assert!(
        m.screens.editor.as_ref().expect("e").additional[0]
            .value
            .is_some()
    );
    // Open again, add another field, confirm: priority keeps its value.
    open_picker(&mut m);
    type_text(&mut m, "corr");
    send(&mut m, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let ed = m.screens.editor.as_ref().expect("e");
    assert_eq!(ed.additional.len(), 2);
    assert!(ed.additional[0].value.is_some());
    assert!(matches!(m.top(), Some(Popup::Value(v)) if v.element == "correlation_id"));
}

/// Every key listed in a keymap does what that binding says: no key is shadowed by an
/// earlier binding, so the footer and help never promise something else.
fn assert_keymap_consistent(m: &Model) {
    use crate::wizard::keymap::lookup;
    use crossterm::event::KeyEvent;
    let map = crate::wizard::update::active_keymap(m);
    for b in &map {
        for k in &b.keys {
            let ev = KeyEvent::new(k.code, k.mods);
            assert_eq!(
                lookup(&map, &ev),
                Some(b.action),
                "{} on {:?} is shadowed (hint \"{}\")",
                k.label(),
                m.screen,
                b.hint
            );
        }
    }
}

#[test]
fn no_binding_is_shadowed_on_any_screen() {
    let mut m = model();
    assert_keymap_consistent(&m);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_keymap_consistent(&m);
    let mut m = at_connect();
    assert_keymap_consistent(&m);
    send(&mut m, [key(KeyCode::Char('?'))]);
    assert_keymap_consistent(&m);
    let mut m = after_checks(results_dictionary_fields_denied(), None);
    assert_keymap_consistent(&m);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_keymap_consistent(&m);
    let mut m = with_one_endpoint();
    assert_keymap_consistent(&m);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_keymap_consistent(&m);
    open_picker(&mut m);
    assert_keymap_consistent(&m);
    send(&mut m, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_keymap_consistent(&m);
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_keymap_consistent(&m);
}

#[test]
fn up_and_down_move_in_both_directions_in_lists() {
    let mut m = open_editor();
    open_picker(&mut m);
    send(
        &mut m,
        [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Up)],
    );
    assert_eq!(picker_state(&m).cursor, 1);
}

#[test]
fn multi_word_searches_keep_their_spaces() {
    let mut m = open_editor();
    open_picker(&mut m);
    type_text(&mut m, "assignment group");
    let p = picker_state(&m);
    assert_eq!(p.query.value(), "assignment group");
    assert!(p.selected.is_empty());
    assert_eq!(
        p.field(p.matches.rows[0].index).expect("field").element,
        "assignment_group"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let mut m = filled_form();
    m.screens
        .connect
        .set_focus(crate::wizard::screens::connect::ConnectFocus::Connect);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    let text = format!("{m:?} {effects:?}");
    assert!(text.contains("finout.integration"), "Debug is still useful");
    assert!(!text.contains("s3cret!"));
    assert!(!text.contains("pa55"));
    // The config Save writes is redacted too.
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    review_focus(&mut m, usize::MAX);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::SaveConfig { .. }]));
    let text = format!("{effects:?}");
    assert!(
        !text.contains("s3cret!") && !text.contains("pa55"),
        "{text}"
    );
}

#[test]
fn space_after_a_word_keeps_the_matches_and_tab_toggles_with_a_query() {
    let mut m = open_editor();
    open_picker(&mut m);
    // Issue 12: `categ` + Space used to toggle and then show "0 of 56 match".
    type_text(&mut m, "categ ");
    let p = picker_state(&m);
    assert_eq!(p.query.value(), "categ ");
    assert!(p.selected.is_empty());
    assert_eq!(
        p.field(p.matches.rows[0].index).expect("field").element,
        "category"
    );
    send(&mut m, [key(KeyCode::Tab)]);
    assert_eq!(picker_state(&m).selected, vec!["category".to_string()]);
    assert_eq!(picker_state(&m).query.value(), "categ ");
    // The footer names the key that toggles; Space is no longer offered.
    let map = crate::wizard::update::active_keymap(&m);
    let toggle = map
        .iter()
        .find(|b| b.action == crate::wizard::keymap::Action::Toggle)
        .expect("toggle binding");
    assert_eq!(toggle.key_label(), "Tab");
    assert!(toggle.footer);
}

#[test]
fn choice_lists_filter_as_you_type() {
    let mut m = open_editor();
    open_picker(&mut m);
    type_text(&mut m, "prio");
    send(&mut m, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let shown = |m: &Model| match m.top() {
        Some(Popup::Value(v)) => v
            .shown_choices()
            .into_iter()
            .map(|i| v.choices[i].value.clone())
            .collect::<Vec<_>>(),
        other => panic!("expected the value selector, got {other:?}"),
    };
    assert_eq!(shown(&m), ["1", "2", "3", "4"]);
    // Label words, any case; the stored value counts too.
    type_text(&mut m, "HI");
    assert_eq!(shown(&m), ["2"]);
    send(&mut m, [key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    type_text(&mut m, "4");
    assert_eq!(shown(&m), ["4"]);
    send(&mut m, [key(KeyCode::Enter)]);
    let ed = m.screens.editor.as_ref().expect("editor");
    let prio = ed
        .additional
        .iter()
        .find(|e| e.element == "priority")
        .expect("priority");
    assert_eq!(prio.value.as_ref().map(|(v, _)| v.as_str()), Some("4"));

    // Nothing matching: Enter says so instead of picking a hidden choice.
    let i = ed
        .additional
        .iter()
        .position(|e| e.element == "priority")
        .expect("priority");
    let _ = open_value(&mut m, ValueTarget::Additional(i));
    type_text(&mut m, "zzz");
    assert!(shown(&m).is_empty());
    send(&mut m, [key(KeyCode::Enter)]);
    match m.top() {
        Some(Popup::Value(v)) => {
            assert!(
                v.error.as_deref().is_some_and(|e| e.contains("filter")),
                "{v:?}"
            )
        }
        other => panic!("the dialog stays open, got {other:?}"),
    }
}

/// One endpoint without caller_id, on an instance that makes caller_id mandatory.
fn with_an_endpoint_lacking_a_mandatory_field() -> Model {
    let mut m = with_one_endpoint();
    for e in &mut m.cx.endpoints {
        e.fields.retain(|f| f.element != "caller_id");
    }
    m
}

#[test]
fn the_endpoint_list_and_review_flag_an_invalid_endpoint_with_a_glyph_and_a_word() {
    let mut m0 = with_one_endpoint();
    let v = crate::wizard::screens::endpoints::invalid(&m0.cx);
    assert!(v.is_empty(), "{v:#?}");
    let list = render(&mut m0, 80, 24);
    assert!(
        list.contains("FinOps anomalies") && !list.contains("invalid"),
        "{list}"
    );
    let mut m = with_an_endpoint_lacking_a_mandatory_field();
    let list = render(&mut m, 80, 24);
    assert!(list.contains("✗ invalid: caller_id"), "{list}");
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let review = render(&mut m, 80, 24);
    assert!(review.contains("✗ invalid: caller_id"), "{review}");
    assert!(
        review.contains("Caller is mandatory on incident"),
        "{review}"
    );
}

#[test]
fn save_asks_before_writing_an_invalid_endpoint_and_defaults_to_not_saving() {
    let mut m = with_an_endpoint_lacking_a_mandatory_field();
    send(&mut m, [key(KeyCode::Char('c'))]);
    review_focus(&mut m, usize::MAX);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "nothing is written before the answer");
    match m.top() {
        Some(Popup::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::SaveInvalid);
            assert!(!c.on_yes, "the default answer is not to save");
            assert!(c.body[0].contains("caller_id"), "{:?}", c.body);
        }
        other => panic!("expected the question, got {other:?}"),
    }
    // Enter takes the default: Cancel.
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SaveConfig { .. })),
        "{effects:?}"
    );
    assert!(m.top().is_none());
    assert!(m.screens.review.saved.is_none());
    // Asked again, "yes" saves.
    send(&mut m, [key(KeyCode::Enter)]);
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::SaveConfig { replace: false, .. }]
        ),
        "{effects:?}"
    );
}

#[test]
fn the_test_incident_refuses_while_an_endpoint_is_invalid() {
    let mut m = with_an_endpoint_lacking_a_mandatory_field();
    send(&mut m, [key(KeyCode::Char('c'))]);
    let test = m
        .screens
        .review
        .items()
        .iter()
        .position(|i| *i == crate::wizard::screens::review::ReviewItem::Test)
        .unwrap_or_else(|| panic!("a test item"));
    review_focus(&mut m, test);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        m.screens.review.test,
        crate::wizard::screens::review::TestState::Idle
    );
    let shown = render(&mut m, 80, 24);
    assert!(shown.contains("Not sent: endpoint"), "{shown}");
}

#[test]
fn picker_keys_never_wait_for_the_filter_and_late_answers_are_dropped() {
    use crate::wizard::update::update;
    let mut m = open_editor();
    open_picker(&mut m);
    // Straight through `update` (no settling): the query changes, the matcher is asked.
    let first = update(&mut m, key(KeyCode::Char('p')));
    let second = update(&mut m, key(KeyCode::Char('r')));
    let p = picker_state(&m);
    assert_eq!(p.query.value(), "pr");
    assert_eq!(
        p.matches.total, 7,
        "the rows shown stay until the answer comes"
    );
    let mut requests = first.into_iter().chain(second).filter_map(|e| match e {
        Effect::FilterFields(r) => Some(r),
        _ => None,
    });
    let (old, new) = (requests.next().expect("p"), requests.next().expect("pr"));
    assert_eq!((old.query.as_str(), new.query.as_str()), ("p", "pr"));
    let _ = update(&mut m, Msg::FieldMatches(new.answer_now()));
    assert_eq!(picker_state(&m).matches.query, "pr");
    let shown = picker_state(&m).matches.clone();
    // The answer to "p" arrives late: it is older than what is shown, so it is dropped.
    let _ = update(&mut m, Msg::FieldMatches(old.answer_now()));
    assert_eq!(picker_state(&m).matches, shown);
    // Backspacing to nothing needs no matcher.
    let effects = send(&mut m, [key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(picker_state(&m).matches.total, 7);
    // Closing frees the worker's cached results.
    let effects = send(&mut m, [key(KeyCode::Esc)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(crate::wizard::msg::Slot::FieldFilter)))
    );
}

#[test]
fn the_test_incident_asks_first_lists_its_fields_and_defaults_to_cancel() {
    let mut m = with_one_endpoint();
    m.cx.checks.connected = true;
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let test = m
        .screens
        .review
        .items()
        .iter()
        .position(|i| *i == crate::wizard::screens::review::ReviewItem::Test)
        .unwrap_or_else(|| panic!("a test item"));
    review_focus(&mut m, test);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        effects.is_empty(),
        "nothing is sent before the answer: {effects:?}"
    );
    match m.top() {
        Some(Popup::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::SendTestIncident);
            assert!(!c.on_yes, "the default answer is Cancel");
            assert!(
                c.body.iter().any(|l| l.contains("short_description = ")),
                "{:?}",
                c.body
            );
        }
        other => panic!("expected the question, got {other:?}"),
    }
    // Enter takes the default: nothing is created.
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SendTestIncident { .. })),
        "{effects:?}"
    );
    assert_eq!(
        m.screens.review.test,
        crate::wizard::screens::review::TestState::Idle
    );
    // Asked again, yes sends exactly one.
    send(&mut m, [key(KeyCode::Enter)]);
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    let sent = effects
        .iter()
        .filter(|e| matches!(e, Effect::SendTestIncident { .. }))
        .count();
    assert_eq!(sent, 1, "{effects:?}");
    // While it runs, another Enter sends nothing more.
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SendTestIncident { .. })),
        "{effects:?}"
    );
}

#[test]
fn ctrl_s_saves_on_review() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let effects = send(&mut m, [ctrl('s')]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveConfig { .. })),
        "{effects:?}"
    );
}

#[test]
fn secrets_from_unset_env_variables_say_where_they_would_come_from() {
    use crate::config::{Config, ServiceNowConfig};
    let var = "SNOW_PW_NEVER_SET";
    assert!(std::env::var_os(var).is_none());
    let mut s = setup();
    s.existing = Existing::Loaded {
        config: Box::new(Config {
            servicenow: ServiceNowConfig {
                instance_url: "https://acme.service-now.com".into(),
                client_id: "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f".into(),
                client_secret: SecretRef::Inline("s3cret!".to_string().into()),
                username: "finout.integration".into(),
                password: SecretRef::Env(var.into()),
            },
            endpoints: vec![],
        }),
        warnings: vec![],
    };
    let mut m = Model::new(s);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Connect);
    assert_eq!(
        m.screens.connect.focus(),
        ConnectFocus::Field(ConnectField::Password),
        "the missing secret has the focus"
    );
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains(&format!("from ${var} (not set in this shell)")),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("✗ Password: ${var} is not set in this")),
        "{screen}"
    );
    m.screens.connect.set_focus(ConnectFocus::Connect);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "nothing is sent: {effects:?}");
    let status = m.cx.status.clone().expect("a status line");
    assert!(
        status.error && status.text.contains("not set in this shell"),
        "{status:?}"
    );
    // Typed, it connects.
    type_text(&mut m, "pa55word");
    m.screens.connect.set_focus(ConnectFocus::Connect);
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks { .. }))
    );
}

#[test]
fn enter_with_nothing_ticked_takes_the_highlighted_field() {
    let mut m = open_editor();
    open_picker(&mut m);
    type_text(&mut m, "prio");
    let screen = render(&mut m, 80, 24);
    assert!(
        screen
            .lines()
            .last()
            .is_some_and(|l| l.contains("Enter add this field")),
        "{screen}"
    );
    send(&mut m, [key(KeyCode::Enter)]);
    match m.top() {
        Some(Popup::Value(v)) => assert_eq!(v.element, "priority"),
        other => panic!("expected the value selector for priority, got {other:?}"),
    }
    send(&mut m, [key(KeyCode::Enter)]);
    let ed = m.screens.editor.as_ref().expect("editor");
    assert_eq!(ed.additional.len(), 1);
    // With fields already chosen, unticking them all and Enter confirms: none stay.
    open_picker(&mut m);
    type_text(&mut m, "prio");
    send(&mut m, [key(KeyCode::Tab)]);
    match m.top() {
        Some(Popup::Picker(p)) => assert!(p.selected.is_empty(), "{:?}", p.selected),
        other => panic!("expected the picker, got {other:?}"),
    }
    send(&mut m, [key(KeyCode::Enter)]);
    assert!(m.popups.is_empty());
    let ed = m.screens.editor.as_ref().expect("editor");
    assert!(ed.additional.is_empty(), "an emptied choice is confirmed");
}

#[test]
fn retrying_while_rate_limited_asks_first_and_waiting_is_the_default() {
    let mut m = after_checks(results_rate_limited(), None);
    let effects = send(&mut m, [key(KeyCode::Char('r'))]);
    assert!(effects.is_empty(), "nothing is sent before the answer");
    match m.top() {
        Some(Popup::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::RetryWhileRateLimited);
            assert!(!c.on_yes, "Wait is the default");
            assert!(c.body[0].contains("wait until"), "{:?}", c.body);
        }
        other => panic!("expected the question, got {other:?}"),
    }
    let effects = send(&mut m, [key(KeyCode::Enter)]);
    assert!(effects.is_empty());
    assert!(m.popups.is_empty());
    send(&mut m, [key(KeyCode::Char('r'))]);
    let effects = send(&mut m, [key(KeyCode::Char('y'))]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks { run: 2, .. })),
        "{effects:?}"
    );
    // Without a rate limit, r retries at once.
    let mut m = after_checks(results_glide_denied(), None);
    let effects = send(&mut m, [key(KeyCode::Char('r'))]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks { .. }))
    );
}

#[test]
fn s_in_a_rows_detail_writes_the_report() {
    let mut m = after_checks(results_glide_denied(), None);
    send(&mut m, [key(KeyCode::Enter)]);
    assert!(matches!(m.top(), Some(Popup::Detail(_))));
    let effects = send(&mut m, [key(KeyCode::Char('s'))]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveReport { .. })),
        "{effects:?}"
    );
}

#[test]
fn ctrl_s_saves_the_endpoint_in_the_editor() {
    let mut m = open_editor();
    type_text(&mut m, "Quick");
    set_value(
        &mut m,
        ValueTarget::Mandatory(0),
        (
            "62826bf03710200044e0bfc8bcbe5df1".into(),
            Some("Abel".into()),
        ),
    );
    send(&mut m, [ctrl('s')]);
    assert_eq!(m.screen, Screen::Endpoints);
    assert!(m.cx.endpoints.iter().any(|e| e.name == "Quick"));
}

#[test]
fn review_says_when_the_checks_did_not_pass_and_t_asks_for_a_test_through_the_endpoint() {
    let mut m = with_one_endpoint();
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let passed = render(&mut m, 80, 24);
    assert!(!passed.contains("The checks did not pass"), "{passed}");
    // t asks, listing the endpoint's own fields.
    send(&mut m, [key(KeyCode::Char('t'))]);
    match m.top() {
        Some(Popup::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::SendTestIncident);
            assert!(
                c.body[0].contains("through the endpoint \"FinOps anomalies\""),
                "{:?}",
                c.body
            );
            assert!(
                c.body.iter().any(|l| l.contains("priority = 2")),
                "{:?}",
                c.body
            );
        }
        other => panic!("expected the question, got {other:?}"),
    }
    send(&mut m, [key(KeyCode::Esc)]);
    // After "continue anyway" past a missing ACL the review says nothing is verified.
    let mut m = after_checks(results_glide_denied(), None);
    send(&mut m, [key(KeyCode::Char('c')), key(KeyCode::Char('y'))]);
    m.cx.endpoints.push(Endpoint {
        name: "E".into(),
        description: String::new(),
        table: "incident".into(),
        fields: vec![],
    });
    send(&mut m, [key(KeyCode::Char('c'))]);
    assert_eq!(m.screen, Screen::Review);
    let screen = render(&mut m, 80, 24);
    assert!(
        screen.contains("! The checks did not pass (missing_acl)"),
        "{screen}"
    );
}

#[test]
fn editing_a_saved_demo_config_uses_the_simulator_of_this_run() {
    use crate::wizard::model::Prefill;
    let mut s = setup();
    s.demo = true;
    s.existing = loaded("http://127.0.0.1:40001");
    s.prefill = Some(Prefill {
        instance_url: "http://127.0.0.1:40123".into(),
        client_id: "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f".into(),
        client_secret: "demo-secret".into(),
        username: "finout.integration".into(),
        password: "demo-password".into(),
    });
    let mut m = Model::new(s);
    send(&mut m, [key(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Connect);
    let form = &m.screens.connect.form;
    assert_eq!(form.instance_url.value(), "http://127.0.0.1:40123");
    assert_eq!(form.password.value(), "demo-password");
    let status = m.cx.status.clone().expect("status");
    assert!(
        status.text.contains("http://127.0.0.1:40001") && status.text.contains("stopped"),
        "{status:?}"
    );
    assert_eq!(m.screens.connect.focus(), ConnectFocus::Connect);
}
