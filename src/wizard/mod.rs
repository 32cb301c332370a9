//! The ratatui wizard: model (state), update (pure), view (pure), effects (async tasks that
//! report back with messages), terminal setup and restore. The only module that imports
//! ratatui or crossterm.
