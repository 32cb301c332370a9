//! All wizard state, with no terminal in it. `update` changes it, `view` draws it.

use std::path::PathBuf;

use crate::config::Config;
use crate::diagnose::{CheckId, CheckResult, CheckStatus};
use crate::wizard::component::Component;
use crate::wizard::context::Context;
use crate::wizard::draft::DraftState;
use crate::wizard::keymap::Keymap;
use crate::wizard::popups::{DraftOffer, Popup};
use crate::wizard::screens::checks::Checks;
use crate::wizard::screens::connect::Connect;
use crate::wizard::screens::editor::Editor;
use crate::wizard::screens::endpoints::Endpoints;
use crate::wizard::screens::guide::{Guide, Page};
use crate::wizard::screens::review::{Review, TestState};
use crate::wizard::screens::welcome::Welcome;
use crate::wizard::theme::Theme;

/// The eight screens, in flow order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// What will be set up; edit / replace / remove an existing config.
    Welcome,
    /// Step 1: the integration user and its ACLs.
    ChooseUser,
    /// Step 2: the OAuth application.
    OAuthApp,
    /// Step 3: the connection form.
    Connect,
    /// Step 3: live checks and the ACL matrix.
    Checks,
    /// Step 4: the endpoint list.
    Endpoints,
    /// Step 4: one endpoint.
    Editor,
    /// Step 5: review and save.
    Review,
}

impl Screen {
    /// The workflow step (1-5) this screen belongs to.
    pub fn step(self) -> Option<usize> {
        match self {
            Screen::Welcome => None,
            Screen::ChooseUser => Some(1),
            Screen::OAuthApp => Some(2),
            Screen::Connect | Screen::Checks => Some(3),
            Screen::Endpoints | Screen::Editor => Some(4),
            Screen::Review => Some(5),
        }
    }
    /// The screen's name in the draft file.
    pub fn as_str(self) -> &'static str {
        match self {
            Screen::Welcome => "welcome",
            Screen::ChooseUser => "choose_user",
            Screen::OAuthApp => "oauth_application",
            Screen::Connect => "connect",
            Screen::Checks => "checks",
            Screen::Endpoints => "endpoints",
            Screen::Editor => "endpoint_editor",
            Screen::Review => "review",
        }
    }
}

/// The workflow steps shown in the left column.
pub const STEPS: [&str; 5] = [
    "Choose a user",
    "OAuth application",
    "Connect",
    "Endpoints",
    "Review & save",
];

/// What the wizard is doing with the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No config yet.
    New,
    /// Editing the existing config.
    Edit,
    /// Replacing the existing config (its endpoints are deleted on save).
    Replace,
}

/// What exists at the config path when the wizard starts.
#[derive(Debug, Clone)]
pub enum Existing {
    /// Nothing there.
    None,
    /// A valid config (and warnings such as loose permissions).
    Loaded {
        /// The config.
        config: Box<Config>,
        /// Warnings to show.
        warnings: Vec<String>,
    },
    /// A file that does not load; the message says where and why.
    Invalid(String),
}

/// Values to pre-fill the form with (`--demo`): the connection the demo simulator accepts,
/// in the same shape the checks take (its `Debug` hides the secrets).
pub type Prefill = crate::diagnose::ConnectionInput;

/// Everything the wizard needs to start.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Where the config is saved.
    pub config_path: PathBuf,
    /// What is there now.
    pub existing: Existing,
    /// A draft from an interrupted session and when it was written (Unix seconds).
    pub draft: Option<(DraftState, u64)>,
    /// Form values to start with.
    pub prefill: Option<Prefill>,
    /// Running against the built-in simulator.
    pub demo: bool,
    /// Colours or monochrome.
    pub theme: Theme,
    /// Initial terminal size.
    pub size: (u16, u16),
}

/// One row of the checks list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    /// Not started.
    Pending,
    /// Running (spinner).
    Running,
    /// Finished.
    Done(CheckResult),
}

/// What the checks found: the rows of the latest run and the connection it made. Shared in
/// the context (the matrix shows it, the picker explains with it, the review tests with it).
#[derive(Debug, Clone, Default)]
pub struct ChecksState {
    /// Number of the current run (messages from older runs are ignored).
    pub run: u64,
    /// A run is in progress.
    pub running: bool,
    /// Esc was pressed during the run.
    pub cancelled: bool,
    /// One row per check, ladder order.
    pub rows: Vec<(CheckId, RowState)>,
    /// Normalised URL of the run.
    pub instance_url: Option<String>,
    /// The URL as typed (for the report, when it does not parse).
    pub typed_url: String,
    /// User of the run.
    pub username: String,
    /// A token was obtained.
    pub connected: bool,
}

impl ChecksState {
    /// Finished results in ladder order.
    pub fn results(&self) -> Vec<CheckResult> {
        self.rows
            .iter()
            .filter_map(|(_, s)| match s {
                RowState::Done(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }
    /// The result of one check, when finished.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.rows.iter().find_map(|(i, s)| match s {
            RowState::Done(r) if *i == id => Some(r),
            _ => None,
        })
    }
    /// The connection and every required read passed (warnings allowed).
    pub fn required_ok(&self) -> bool {
        !self.rows.is_empty()
            && self.rows.iter().all(|(id, s)| match s {
                RowState::Done(r) => {
                    !id.required() || matches!(r.status, CheckStatus::Passed | CheckStatus::Warning)
                }
                _ => !id.required(),
            })
    }
}

/// The typed state of every screen.
#[derive(Debug)]
pub struct Screens {
    /// Welcome.
    pub welcome: Welcome,
    /// Step 1.
    pub choose_user: Guide,
    /// Step 2.
    pub oauth: Guide,
    /// Step 3: the form.
    pub connect: Connect,
    /// Step 3: the checks and the ACL matrix.
    pub checks: Checks,
    /// Step 4: the list.
    pub endpoints: Endpoints,
    /// Step 4: the endpoint editor, while open.
    pub editor: Option<Editor>,
    /// Step 5.
    pub review: Review,
}

/// The whole wizard: shared data, the screens, the popup stack.
#[derive(Debug)]
pub struct Model {
    /// What the screens share.
    pub cx: Context,
    /// The current screen.
    pub screen: Screen,
    /// Every screen's own state.
    pub screens: Screens,
    /// Popups over the current screen; the last one gets the keys.
    pub popups: Vec<Popup>,
    /// The wizard should exit.
    pub quit: bool,
    /// The keys handled now (top popup, else the screen, plus the globals), made once per
    /// change: key handling, the footer and help all read it.
    keymap: Keymap,
}

impl Model {
    /// The starting state.
    pub fn new(setup: Setup) -> Model {
        let connect = setup
            .prefill
            .as_ref()
            .map_or_else(Connect::default, Connect::prefilled);
        let demo_url = setup
            .prefill
            .as_ref()
            .filter(|_| setup.demo)
            .map(|p| p.instance_url.clone());
        let mut m = Model {
            cx: Context::new(
                setup.config_path,
                setup.existing,
                setup.demo,
                setup.theme,
                setup.size,
            ),
            screen: Screen::Welcome,
            screens: Screens {
                welcome: Welcome::new(demo_url),
                choose_user: Guide::new(Page::ChooseUser),
                oauth: Guide::new(Page::OAuthApp),
                connect,
                checks: Checks::default(),
                endpoints: Endpoints::default(),
                editor: None,
                review: Review::default(),
            },
            popups: Vec::new(),
            quit: false,
            keymap: Vec::new(),
        };
        if let Some((draft, written)) = setup.draft {
            m.popups.push(Popup::Draft(DraftOffer::new(draft, written)));
        }
        m.refresh_keymap();
        m
    }

    /// The top popup, if any.
    pub fn top(&self) -> Option<&Popup> {
        self.popups.last()
    }

    /// The current screen as a component (`None` only for the editor when it is not open,
    /// which no navigation allows).
    pub fn screen_component(&self) -> Option<&dyn Component> {
        Some(match self.screen {
            Screen::Welcome => &self.screens.welcome,
            Screen::ChooseUser => &self.screens.choose_user,
            Screen::OAuthApp => &self.screens.oauth,
            Screen::Connect => &self.screens.connect,
            Screen::Endpoints => &self.screens.endpoints,
            Screen::Editor => self.screens.editor.as_ref()?,
            Screen::Review => &self.screens.review,
            Screen::Checks => &self.screens.checks,
        })
    }

    /// The current screen as a component, with the context (split borrows).
    pub fn screen_component_mut(&mut self) -> Option<(&mut dyn Component, &mut Context)> {
        let s = &mut self.screens;
        let c: &mut dyn Component = match self.screen {
            Screen::Welcome => &mut s.welcome,
            Screen::ChooseUser => &mut s.choose_user,
            Screen::OAuthApp => &mut s.oauth,
            Screen::Connect => &mut s.connect,
            Screen::Endpoints => &mut s.endpoints,
            Screen::Editor => s.editor.as_mut()?,
            Screen::Review => &mut s.review,
            Screen::Checks => &mut s.checks,
        };
        Some((c, &mut self.cx))
    }

    /// The top popup as a component, with the context.
    pub fn popup_component_mut(&mut self) -> Option<(&mut dyn Component, &mut Context)> {
        let p = self.popups.last_mut()?;
        Some((p.component_mut(), &mut self.cx))
    }

    /// The keys handled now.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// Make the keymap again (after every change).
    pub fn refresh_keymap(&mut self) {
        self.keymap = crate::wizard::update::active_keymap(self);
    }

    /// A spinner is on screen (the loop ticks only then).
    pub fn animating(&self) -> bool {
        let searching = self
            .popups
            .iter()
            .any(|p| matches!(p, Popup::Value(v) if v.searching()));
        self.cx.checks.running || searching || self.screens.review.test == TestState::Running
    }
}
