//! One file per screen: its typed state, its keys, how it reacts to them, how it is drawn.

pub mod checks;
pub mod connect;
pub mod editor;
pub mod endpoints;
pub mod guide;
pub mod review;
pub mod welcome;
