//! Builders for the values the suites make over and over: the wizard's `Setup`, endpoints and
//! their fields. Each starts from the common case and names only what a test changes.

use std::path::Path;

use snow_connect::config::{Endpoint, EndpointField};
use snow_connect::diagnose::FieldKind;
use snow_connect::wizard::{Existing, Prefill, Setup, Theme};

/// A new wizard on `config_path` with nothing on disk: demo mode, colour, 80x24.
pub fn setup(config_path: &Path) -> SetupBuilder {
    SetupBuilder(Setup {
        config_path: config_path.to_path_buf(),
        existing: Existing::None,
        draft: None,
        prefill: None,
        demo: true,
        theme: Theme::COLOR,
        size: (80, 24),
    })
}

/// See [`setup`].
pub struct SetupBuilder(Setup);

impl SetupBuilder {
    /// The connection form starts filled in.
    pub fn prefill(mut self, prefill: impl Into<Option<Prefill>>) -> Self {
        self.0.prefill = prefill.into();
        self
    }

    /// The finished `Setup`.
    pub fn build(self) -> Setup {
        self.0
    }
}

/// An endpoint called `name` on `incident`, with no description and no fields.
pub fn endpoint(name: &str) -> Endpoint {
    Endpoint {
        name: name.to_string(),
        description: String::new(),
        table: "incident".to_string(),
        fields: Vec::new(),
    }
}

/// A field that is neither mandatory nor has a display value.
pub fn field(element: &str, kind: FieldKind, value: &str) -> EndpointField {
    EndpointField {
        element: element.to_string(),
        kind,
        value: value.to_string(),
        display: None,
        mandatory: false,
    }
}

/// Changes to an [`endpoint`] in builder style.
pub trait EndpointExt {
    /// With this description.
    fn described(self, description: &str) -> Self;
    /// With these fields added.
    fn with(self, fields: impl IntoIterator<Item = EndpointField>) -> Self;
}

impl EndpointExt for Endpoint {
    fn described(mut self, description: &str) -> Self {
        self.description = description.to_string();
        self
    }

    fn with(mut self, fields: impl IntoIterator<Item = EndpointField>) -> Self {
        self.fields.extend(fields);
        self
    }
}

/// Changes to a [`field`] in builder style.
pub trait FieldExt {
    /// With the display value the instance shows for it.
    fn shown_as(self, display: &str) -> Self;
    /// Marked mandatory in the dictionary.
    fn mandatory(self) -> Self;
}

impl FieldExt for EndpointField {
    fn shown_as(mut self, display: &str) -> Self {
        self.display = Some(display.to_string());
        self
    }

    fn mandatory(mut self) -> Self {
        self.mandatory = true;
        self
    }
}
