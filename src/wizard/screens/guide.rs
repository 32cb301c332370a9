//! Steps 1 and 2: the ServiceNow-side instructions (Choose a user, OAuth application),
//! worded after the web flow and the remediation notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use crate::wizard::component::{Component, Reply, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::Screen;
use crate::wizard::theme::Theme;
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::scroll::{self, Scroll};

/// Which instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Step 1: Choose a User for the Integration.
    ChooseUser,
    /// Step 2: OAuth Authentication.
    OAuthApp,
}

/// An instruction screen.
#[derive(Debug)]
pub struct Guide {
    page: Page,
    scroll: Scroll,
}

impl Guide {
    /// The screen for `page`.
    pub fn new(page: Page) -> Guide {
        Guide {
            page,
            scroll: Scroll::default(),
        }
    }

    /// Start at the top again (when the screen is entered).
    pub fn reset(&mut self) {
        self.scroll.reset();
    }

    fn blocks(&self, t: Theme) -> Vec<Block> {
        match self.page {
            Page::ChooseUser => user_lines(t),
            Page::OAuthApp => oauth_lines(t),
        }
    }
}

impl Component for Guide {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let mut v = vec![
            Binding::new(&[keys::ENTER], "next", Action::Activate),
            Binding::new(&[keys::ESC], "back", Action::Back),
        ];
        v.extend(scroll::bindings("scroll"));
        v.extend([
            Binding::new(&[keys::TAB], "next", Action::Activate).hidden(),
            Binding::new(&[keys::BACKTAB], "back", Action::Back).hidden(),
        ]);
        v
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        match (a, self.page) {
            (Action::Activate, Page::ChooseUser) => Reply::go(Screen::OAuthApp),
            (Action::Activate, Page::OAuthApp) => Reply::go(Screen::Connect),
            (Action::Back, Page::ChooseUser) => Reply::go(Screen::Welcome),
            (Action::Back, Page::OAuthApp) => Reply::go(Screen::ChooseUser),
            (other, _) => {
                self.scroll.act(other);
                Reply::none()
            }
        }
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        scroll::render(f, area, &self.blocks(cx.theme), &self.scroll, cx.theme);
    }
}

fn r(s: &'static str) -> Span<'static> {
    Span::raw(s)
}

fn b(t: Theme, s: &'static str) -> Span<'static> {
    Span::styled(s, t.strong())
}

fn acl(t: Theme, name: &'static str, why: &'static str) -> Block {
    Block::item(2, "• ", vec![b(t, name), r(" — "), r(why)])
}

/// Step 1: Choose a User for the Integration.
fn user_lines(t: Theme) -> Vec<Block> {
    vec![
        Block::styled("1. Choose a User for the Integration", t.heading()),
        Block::Blank,
        Block::text(
            "In ServiceNow, create or use a dedicated user with the appropriate ACL permission to read incident metadata fields and create incidents.",
        ),
        Block::Blank,
        Block::text("The user should have the following read ACL permissions:"),
        acl(t, "sys_db_object", "finds incident's parent table (task)"),
        acl(t, "sys_db_object.*", "reads the table's name and parent"),
        acl(t, "sys_dictionary", "lists the incident and task fields"),
        acl(
            t,
            "sys_dictionary.*",
            "reads each field's type, label and mandatory flag; without it no Additional Fields can be offered",
        ),
        acl(t, "sys_glide_object", "reads the names of field types"),
        Block::item(
            2,
            "• ",
            vec![
                b(t, "sys_choice"),
                r(" (optional) — lists choice values such as Priority"),
            ],
        ),
        Block::Blank,
        Block::spans(vec![
            r("To create incidents it needs the "),
            b(t, "itil"),
            r(" role (or the narrower "),
            b(t, "sn_incident_write"),
            r("). Never "),
            b(t, "snc_read_only"),
            r(": it blocks every insert."),
        ]),
        Block::Blank,
        Block::spans(vec![
            r("New user: "),
            b(t, "User Administration > Users > New"),
            r("; tick "),
            b(t, "Web service access only"),
            r(" (recommended: it cannot sign in to the UI, the token request still works); leave "),
            b(t, "Password needs reset"),
            r(" cleared."),
        ]),
        Block::spans(vec![
            r("ACLs: create a role (e.g. finout_integration), elevate to "),
            b(t, "security_admin"),
            r(", then for each table add a read ACL in "),
            b(t, "System Security > Access Control (ACL) > New"),
            r(
                " (Name: the table with -- None --, then again with *) that requires the role; give the role to the user. The checks in step 3 name anything missing.",
            ),
        ]),
    ]
}

/// Step 2: OAuth Authentication.
fn oauth_lines(t: Theme) -> Vec<Block> {
    vec![
        Block::styled("2. OAuth Authentication", t.heading()),
        Block::Blank,
        Block::text(
            "To enable your instance to receive inbound calls from our service, create an OAuth application within your instance:",
        ),
        Block::item(
            1,
            "1. ",
            vec![
                r("Navigate to "),
                b(t, "System OAuth > Application Registry"),
                r("."),
            ],
        ),
        Block::item(
            1,
            "2. ",
            vec![
                r("Click "),
                b(t, "New"),
                r(" and then click "),
                b(t, "Create an OAuth API endpoint for external clients"),
                r("."),
            ],
        ),
        Block::item(1, "3. ", vec![r("Fill in the following fields:")]),
        Block::item(4, "", vec![r("Name: "), b(t, "<any>")]),
        Block::item(
            4,
            "",
            vec![r("Client Type: "), b(t, "Integration as a Service")],
        ),
        Block::item(
            4,
            "",
            vec![
                r("Note: Make sure to leave the "),
                b(t, "Redirect URL"),
                r(" and "),
                b(t, "Logo URL"),
                r(" empty."),
            ],
        ),
        Block::item(
            1,
            "4. ",
            vec![
                r("Press "),
                b(t, "Submit"),
                r(". You will be redirected to the list of all available apps."),
            ],
        ),
        Block::item(
            1,
            "5. ",
            vec![
                r("Navigate to the app that you created and press the "),
                b(t, "lock icon"),
                r(
                    " next to the Client Secret field. This reveals the Client secret, which you need on the next screen with the Client ID.",
                ),
            ],
        ),
        Block::Blank,
        Block::spans(vec![
            b(t, "Zurich and later: "),
            r("that entry is deprecated. Make the same client under "),
            b(
                t,
                "All > Machine Identity Console > Inbound integrations > New integration",
            ),
            r(" with the connection type "),
            b(t, "OAuth - Resource owner password credential grant"),
            r(" (Name, Client ID, Client secret, Active), and clear "),
            b(t, "Allow access only to APIs in selected scope"),
            r("."),
        ]),
        Block::spans(vec![
            r("On a Zurich Application Registry record set "),
            b(t, "Scope Restriction"),
            r(" to "),
            b(t, "Broad scoped"),
            r(": a securely scoped client gets 403 \"Access to unscoped api is not allowed\"."),
        ]),
    ]
}
