//! Reusable widgets: the text field (masked or not), the fuzzy field filter, the scrollable
//! detail viewer, and small drawing helpers shared by the screens.

pub mod detail;
pub mod doc;
pub mod draw;
pub mod picker;
pub mod text_field;
