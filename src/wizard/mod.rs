//! The ratatui wizard: model (state), update (pure), view (pure), effects (async tasks that
//! report back with messages), terminal setup and restore. The only module that imports
//! ratatui or crossterm.
//!
//! - [`component`]: the seam screens and popups are built on: typed state, key bindings that
//!   make the footer and help, navigation and effects returned as values.
//! - [`context`]: what the screens share.
//! - [`model`]: all state, no terminal: the context, the screens, the popup stack.
//! - [`update()`]: `update(&mut Model, Msg) -> Vec<Effect>`, pure.
//! - [`view()`]: `view(&Model, &mut Frame)`, pure.
//! - [`effects`]: the runner that performs effects in tokio tasks.
//! - [`event_loop`]: the loop, generic over event stream and backend.
//! - [`terminal`]: raw mode, alternate screen, panic hook.
//! - [`screens`], [`popups`], [`widgets`]: one file per screen and per popup, reusable
//!   widgets.

pub mod component;
pub mod context;
pub mod draft;
pub mod effects;
pub mod event_loop;
pub mod keymap;
pub mod layout;
pub mod model;
pub mod msg;
pub mod popups;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use std::io;
use std::path::PathBuf;

pub use draft::DraftState;
pub use effects::{Runner, RunnerOptions};
pub use event_loop::{LoopExit, LoopOptions, WizardBackend, buffer_text, osc52, run_loop};
pub use model::{Existing, Model, Prefill, Screen, Setup};
pub use msg::{Effect, Msg};
pub use theme::Theme;
pub use update::update;
pub use view::view;
pub use widgets::picker::{
    FIRST_ROWS, FieldFilter, FieldIndex, FieldMatch, FilterAnswer, FilterRequest, FilterWorker,
    Matches, filter_fields,
};

/// How a terminal session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Why the loop stopped.
    pub exit: LoopExit,
    /// Where the config was saved, if it was.
    pub saved: Option<PathBuf>,
    /// Something was entered and not saved (a draft holds it).
    pub unsaved: bool,
}

/// Run the wizard on the real terminal (stdin/stdout), inside a tokio runtime.
pub async fn run(mut setup: Setup, runner_opts: RunnerOptions) -> io::Result<Outcome> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(tx, runner_opts);
    terminal::install_panic_hook(runner.panic_draft(), runner.drafts().cloned());
    let (mut term, guard) = terminal::setup()?;
    if let Ok(size) = term.size() {
        setup.size = (size.width, size.height);
    }
    let mut model = Model::new(setup);
    let events = crossterm::event::EventStream::new();
    let opts = LoopOptions {
        signals: true,
        screen: None,
    };
    let result = run_loop(&mut term, events, &mut model, &mut runner, &mut rx, &opts).await;
    drop(term);
    drop(guard);
    let exit = result?;
    let saved = model.screens.review.saved.clone();
    tracing::info!(?exit, saved = saved.is_some(), "wizard ended");
    Ok(Outcome {
        exit,
        saved,
        unsaved: model.cx.unsaved,
    })
}

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod test_fixtures;
#[cfg(test)]
mod update_tests;

#[cfg(test)]
mod source_rules {
    use std::path::{Path, PathBuf};

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// Server text reaches the wizard's views only as `SafeText`: the plain sanitiser
    /// functions (which do not redact) are not called from here.
    #[test]
    fn views_take_server_text_only_as_safe_text() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wizard");
        let mut files = Vec::new();
        sources(&dir, &mut files);
        assert!(files.len() > 20, "read the wizard's sources from {dir:?}");
        let forbidden = [
            ["sanitize::", "line("].concat(),
            ["sanitize::", "text("].concat(),
        ];
        let offenders: Vec<String> = files
            .iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(f).ok()?;
                forbidden
                    .iter()
                    .any(|p| text.contains(p.as_str()))
                    .then(|| f.display().to_string())
            })
            .collect();
        assert!(offenders.is_empty(), "use SafeText in {offenders:?}");
    }
}
