//! Popups: layers over the current screen, the top one gets the keys (gitui's popup stack).
//! Each is a [`Component`]; a popup closes itself by replying [`Request::Close`].
//!
//! [`Request::Close`]: crate::wizard::component::Request::Close

pub mod confirm;
pub mod detail;
pub mod draft_offer;
pub mod help;
pub mod picker;
pub mod value;

use crate::wizard::component::Component;

pub use confirm::{Confirm, ConfirmKind};
pub use detail::DetailView;
pub use draft_offer::DraftOffer;
pub use help::Help;
pub use picker::Picker;
pub use value::{ValueSelector, ValueTarget};

/// One layer of the popup stack.
#[derive(Debug)]
pub enum Popup {
    /// The keys of the screen underneath.
    Help(Help),
    /// A yes/no question.
    Confirm(Confirm),
    /// Resume or discard a draft.
    Draft(DraftOffer),
    /// The Additional Fields picker.
    Picker(Box<Picker>),
    /// "Select a value".
    Value(Box<ValueSelector>),
    /// The whole detail of a matrix row or of a failed test incident.
    Detail(Box<DetailView>),
}

impl Popup {
    /// The popup as a component.
    pub fn component(&self) -> &dyn Component {
        match self {
            Popup::Help(p) => p,
            Popup::Confirm(p) => p,
            Popup::Draft(p) => p,
            Popup::Picker(p) => &**p,
            Popup::Value(p) => &**p,
            Popup::Detail(p) => &**p,
        }
    }

    /// The popup as a component, to handle keys.
    pub fn component_mut(&mut self) -> &mut dyn Component {
        match self {
            Popup::Help(p) => p,
            Popup::Confirm(p) => p,
            Popup::Draft(p) => p,
            Popup::Picker(p) => &mut **p,
            Popup::Value(p) => &mut **p,
            Popup::Detail(p) => &mut **p,
        }
    }
}

impl From<Confirm> for Popup {
    fn from(c: Confirm) -> Popup {
        Popup::Confirm(c)
    }
}

impl From<Help> for Popup {
    fn from(h: Help) -> Popup {
        Popup::Help(h)
    }
}

impl From<Picker> for Popup {
    fn from(p: Picker) -> Popup {
        Popup::Picker(Box::new(p))
    }
}

impl From<ValueSelector> for Popup {
    fn from(v: ValueSelector) -> Popup {
        Popup::Value(Box::new(v))
    }
}

impl From<DetailView> for Popup {
    fn from(d: DetailView) -> Popup {
        Popup::Detail(Box::new(d))
    }
}
