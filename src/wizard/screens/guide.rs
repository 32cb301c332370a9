//! Screens 2 and 3: the ServiceNow-side instructions (Choose a user, OAuth application),
//! worded after the web flow and the remediation notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::layout::body_for;
use crate::wizard::model::{Model, Screen};
use crate::wizard::msg::Effect;
use crate::wizard::theme::Theme;
use crate::wizard::update::go;
use crate::wizard::widgets::draw::{max_scroll, scrolled};

/// Keys of the instruction screens.
pub fn keymap(_m: &Model) -> Keymap {
    vec![
        Binding::new(&[keys::ENTER], "next", Action::Activate),
        Binding::new(&[keys::ESC], "back", Action::Back),
        Binding::new(&[keys::DOWN], "scroll", Action::Down).labelled("↑↓"),
        Binding::new(&[keys::UP], "scroll up", Action::Up).hidden(),
        Binding::new(&[keys::PGDN], "page down", Action::PageDown).hidden(),
        Binding::new(&[keys::PGUP], "page up", Action::PageUp).hidden(),
        Binding::new(&[keys::TAB], "next", Action::Activate).hidden(),
        Binding::new(&[keys::BACKTAB], "back", Action::Back).hidden(),
    ]
}

/// Scroll the current text screen by `delta` rows, clamped to its length.
pub fn scroll(m: &mut Model, delta: i32) {
    let lines = match m.screen {
        Screen::Welcome => crate::wizard::screens::welcome::lines(m),
        Screen::ChooseUser => user_lines(m.theme),
        Screen::OAuthApp => oauth_lines(m.theme),
        _ => return,
    };
    let body = body_for(m.size, m.status.is_some());
    let height = if m.screen == Screen::Welcome {
        body.height.saturating_sub(2)
    } else {
        body.height
    };
    let max = max_scroll(&lines, body.width.saturating_sub(1).max(1), height);
    let next = i32::from(m.text_scroll).saturating_add(delta).clamp(0, i32::from(max));
    m.text_scroll = u16::try_from(next).unwrap_or(0);
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let page = i32::from(body_for(m.size, m.status.is_some()).height.saturating_sub(2).max(1));
    match a {
        Action::Activate => {
            let next = if m.screen == Screen::ChooseUser {
                Screen::OAuthApp
            } else {
                Screen::Connect
            };
            go(m, next)
        }
        Action::Back => {
            let prev = if m.screen == Screen::ChooseUser {
                Screen::Welcome
            } else {
                Screen::ChooseUser
            };
            go(m, prev)
        }
        Action::Down => {
            scroll(m, 1);
            Vec::new()
        }
        Action::Up => {
            scroll(m, -1);
            Vec::new()
        }
        Action::PageDown => {
            scroll(m, page);
            Vec::new()
        }
        Action::PageUp => {
            scroll(m, -page);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn bullet(t: Theme, name: &'static str, why: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::raw("  • "),
        Span::styled(name, t.strong()),
        Span::raw(format!(" — {why}")),
    ])
}

/// Step 1: Choose a User for the Integration.
pub fn user_lines(t: Theme) -> Vec<Line<'static>> {
    vec![
        Line::from(Span::styled("1. Choose a User for the Integration", t.heading())),
        Line::from(""),
        Line::from("In ServiceNow, create or use a dedicated user with the appropriate ACL permission to read incident metadata fields and create incidents."),
        Line::from(vec![
            Span::raw("To create one: "),
            Span::styled("User Administration > Users > New", t.strong()),
            Span::raw(". Tick "),
            Span::styled("Web service access only", t.strong()),
            Span::raw(" (recommended: the user cannot sign in to the UI; the token request still works) and leave "),
            Span::styled("Password needs reset", t.strong()),
            Span::raw(" cleared."),
        ]),
        Line::from(""),
        Line::from("The user should have the following read ACL permissions:"),
        bullet(t, "sys_db_object", "finds incident's parent table (task)"),
        bullet(t, "sys_db_object.*", "reads the table's name and parent fields"),
        bullet(t, "sys_dictionary", "lists the incident and task fields"),
        bullet(t, "sys_dictionary.*", "reads each field's type, label and mandatory flag; without it no Additional Fields can be offered"),
        bullet(t, "sys_glide_object", "reads the names of field types"),
        Line::from(vec![
            Span::raw("  Optional: "),
            Span::styled("sys_choice", t.strong()),
            Span::raw(" — lists choice values (priority, category …)."),
        ]),
        Line::from(""),
        Line::from(vec![
            Span::raw("To create incidents the user needs the "),
            Span::styled("itil", t.strong()),
            Span::raw(" role (or the narrower "),
            Span::styled("sn_incident_write", t.strong()),
            Span::raw("). Never give it "),
            Span::styled("snc_read_only", t.strong()),
            Span::raw(": that role blocks every insert."),
        ]),
        Line::from(""),
        Line::from(vec![
            Span::raw("How: create a role (e.g. finout_integration), elevate to "),
            Span::styled("security_admin", t.strong()),
            Span::raw(", and for each table above add a read ACL in "),
            Span::styled("System Security > Access Control (ACL) > New", t.strong()),
            Span::raw(" (Name: the table and -- None --, then again with *) that requires the role. Give the role to the user. The checks on step 3 say exactly which one is missing."),
        ]),
    ]
}

/// Step 2: OAuth Authentication.
pub fn oauth_lines(t: Theme) -> Vec<Line<'static>> {
    vec![
        Line::from(Span::styled("2. OAuth Authentication", t.heading())),
        Line::from(""),
        Line::from("To enable your instance to receive inbound calls from our service, create an OAuth application within your instance:"),
        Line::from(vec![
            Span::raw(" 1. Navigate to "),
            Span::styled("System OAuth > Application Registry", t.strong()),
            Span::raw("."),
        ]),
        Line::from(vec![
            Span::raw(" 2. Click "),
            Span::styled("New", t.strong()),
            Span::raw(" and then click "),
            Span::styled("Create an OAuth API endpoint for external clients", t.strong()),
            Span::raw("."),
        ]),
        Line::from(" 3. Fill in the following fields:"),
        Line::from(vec![
            Span::raw("      Name: "),
            Span::styled("<any>", t.strong()),
        ]),
        Line::from(vec![
            Span::raw("      Client Type: "),
            Span::styled("Integration as a Service", t.strong()),
        ]),
        Line::from(vec![
            Span::raw("    Make sure to leave the "),
            Span::styled("Redirect URL", t.strong()),
            Span::raw(" and "),
            Span::styled("Logo URL", t.strong()),
            Span::raw(" empty."),
        ]),
        Line::from(vec![
            Span::raw(" 4. Press "),
            Span::styled("Submit", t.strong()),
            Span::raw(". You are redirected to the list of all available apps."),
        ]),
        Line::from(vec![
            Span::raw(" 5. Open the app you created and press the "),
            Span::styled("lock icon", t.strong()),
            Span::raw(" next to the Client Secret field to reveal the Client secret. You need the Client ID and the Client Secret on the next screen."),
        ]),
        Line::from(""),
        Line::from(vec![
            Span::styled("Zurich and later: ", t.strong()),
            Span::raw("that entry is deprecated. Use "),
            Span::styled("All > Machine Identity Console > Inbound integrations > New integration", t.strong()),
            Span::raw(" and the connection type "),
            Span::styled("OAuth - Resource owner password credential grant", t.strong()),
            Span::raw(" (Name, Client ID, Client secret, Active). Clear "),
            Span::styled("Allow access only to APIs in selected scope", t.strong()),
            Span::raw("."),
        ]),
        Line::from(vec![
            Span::raw("On a Zurich Application Registry record set "),
            Span::styled("Scope Restriction", t.strong()),
            Span::raw(" to "),
            Span::styled("Broad scoped", t.strong()),
            Span::raw(": a securely scoped client gets 403 \"Access to unscoped api is not allowed\"."),
        ]),
    ]
}

/// Draw an instruction screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let lines = if m.screen == Screen::ChooseUser {
        user_lines(m.theme)
    } else {
        oauth_lines(m.theme)
    };
    scrolled(f, area, lines, m.text_scroll, m.theme);
}
