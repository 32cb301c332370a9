//! One file per screen (and per large modal): its keymap, how it reacts to actions and
//! typing, and how it is drawn.

pub mod checks;
pub mod connect;
pub mod editor;
pub mod endpoints;
pub mod guide;
pub mod modals;
pub mod picker;
pub mod review;
pub mod value;
pub mod welcome;
