//! The seam every screen and popup is built on (helix's `Component` with a `Context`,
//! gitui's popup stack).
//!
//! A component owns its typed state. It declares the keys it handles now ([`Keymap`]: the
//! same list drives key handling, the footer and `?`), reacts to the actions those keys map
//! to, names the text field that takes typed keys, and draws itself. It never reaches into
//! its neighbours: what should happen next (another screen, a popup, work for the effect
//! runner, something another component must do) comes back as a [`Reply`] of values, which
//! [`crate::wizard::update()`] carries out. Data several screens share (the endpoints, the
//! dictionary, the config path ...) comes in through the [`Context`].

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Keymap};
use crate::wizard::model::Screen;
use crate::wizard::msg::Effect;
use crate::wizard::popups::Popup;
use crate::wizard::widgets::text_field::TextField;

/// A screen or a popup.
pub trait Component {
    /// The keys handled now, in footer order (globals such as help and quit are added by
    /// the app).
    fn bindings(&self, cx: &Context) -> Keymap;

    /// React to an action one of [`Component::bindings`] produced.
    fn action(&mut self, action: Action, cx: &mut Context) -> Reply;

    /// The text field that takes typed keys and pastes now, if any. Every component says so
    /// explicitly (there is no default): a focusable field that is not wired up here does
    /// not get keys, and the per-screen tests type into every focus position.
    fn input(&mut self) -> Option<&mut TextField>;

    /// Whether [`Component::input`] has a field now (then `?` types a question mark and only
    /// F1 opens help). Must agree with `input`; the tests check it.
    fn typing(&self) -> bool;

    /// The focused text field changed (typed or pasted into).
    fn edited(&mut self, cx: &mut Context) -> Reply {
        cx.unsaved = true;
        Reply::none()
    }

    /// Draw into `area`. Pure: reads state, writes cells (and may note what fitted, e.g.
    /// how far a text can scroll, for the next key).
    fn view(&self, f: &mut Frame, area: Rect, cx: &Context);
}

/// For a component without a text field: says so (`input` is `None`, `typing` is `false`).
/// Written out in each such component, so that adding a field means removing this line.
macro_rules! no_text_input {
    () => {
        fn input(&mut self) -> Option<&mut crate::wizard::widgets::text_field::TextField> {
            None
        }

        fn typing(&self) -> bool {
            false
        }
    };
}
pub(crate) use no_text_input;

/// What a component asks for after handling something: requests for the app, in order,
/// then effects for the runner.
#[must_use]
#[derive(Debug, Default)]
pub struct Reply {
    /// What the app should do (navigation, or work another component does).
    pub requests: Vec<Request>,
    /// I/O for the effect runner.
    pub effects: Vec<Effect>,
}

impl Reply {
    /// Nothing to do.
    pub fn none() -> Reply {
        Reply::default()
    }
    /// One request.
    pub fn request(r: Request) -> Reply {
        Reply {
            requests: vec![r],
            effects: Vec::new(),
        }
    }
    /// One effect.
    pub fn effect(e: Effect) -> Reply {
        Reply {
            requests: Vec::new(),
            effects: vec![e],
        }
    }
    /// Effects only.
    pub fn effects(effects: Vec<Effect>) -> Reply {
        Reply {
            requests: Vec::new(),
            effects,
        }
    }
    /// Switch to `screen`.
    pub fn go(screen: Screen) -> Reply {
        Reply::request(Request::Go(screen))
    }
    /// Open `popup` over the current screen.
    pub fn open(popup: impl Into<Popup>) -> Reply {
        Reply::request(Request::Open(popup.into()))
    }
    /// Close the popup that replies.
    pub fn close() -> Reply {
        Reply::request(Request::Close)
    }
    /// This reply, then `r`.
    pub fn and(mut self, r: Request) -> Reply {
        self.requests.push(r);
        self
    }
    /// This reply, then effect `e`.
    pub fn with(mut self, e: Effect) -> Reply {
        self.effects.push(e);
        self
    }
    /// This reply, then everything `other` asks for.
    pub fn then(mut self, other: Reply) -> Reply {
        self.requests.extend(other.requests);
        self.effects.extend(other.effects);
        self
    }
}

/// What a component can ask of the app: navigation, and work that belongs to another
/// component. The app (`update`) carries these out in order.
#[derive(Debug)]
pub enum Request {
    /// Switch screens (leaving a screen cancels its work).
    Go(Screen),
    /// Open a popup over the current screen.
    Open(Popup),
    /// Close the top popup.
    Close,
    /// Quit: at once when nothing is unsaved, else ask first.
    Quit,
    /// Quit now, keeping a draft of what was entered.
    QuitNow,
    /// Write the draft now (a step was completed).
    SaveDraft,
    /// The user answered yes to a question: the screen that asked carries it out.
    Confirmed(crate::wizard::popups::confirm::ConfirmKind),
    /// Welcome: edit the saved config (fill the form from it).
    EditConfig,
    /// Welcome: start replacing the saved config with an empty form.
    StartReplace,
    /// The draft offer: put this draft back into the screens.
    ResumeDraft(Box<crate::wizard::draft::DraftState>),
    /// The draft offer: delete the draft.
    DiscardDraft,
    /// Connect: run the checks with the form's values (`resend`: the user confirmed sending
    /// credentials the instance rejected before).
    StartChecks {
        /// The lockout warning was confirmed.
        resend: bool,
    },
    /// Open the endpoint editor on endpoint `i` (`None`: a new one).
    EditEndpoint(Option<usize>),
    /// Leave the endpoint editor for the list, selecting endpoint `select`.
    CloseEditor {
        /// The endpoint to select (the one just saved).
        select: Option<usize>,
    },
    /// The picker's selection, for the editor: element names in selection order.
    FieldsPicked(Vec<String>),
    /// The value selector's choice, for the editor.
    ValueChosen(
        crate::wizard::popups::value::ValueTarget,
        (String, Option<String>),
    ),
    /// The value selector was closed without a choice.
    ValueCancelled,
    /// Write the Markdown report for the ServiceNow admin (from the matrix or its detail).
    SaveReport,
    /// Open the ACL matrix from the picker's explanation, selecting this check's row, and
    /// come back to the editor from there.
    ShowCheck(Option<crate::diagnose::CheckId>),
}
