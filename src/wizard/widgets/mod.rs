//! Reusable widgets: the text field (masked or not), scrolled documents, the full-width detail
//! viewer, dialogs, the fuzzy field filter, and small drawing helpers shared by the screens.

pub mod detail;
pub mod dialog;
pub mod doc;
pub mod draw;
pub mod focus;
pub mod picker;
pub mod rows;
pub mod scroll;
pub mod text_field;
