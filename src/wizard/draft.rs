//! What an interrupted session leaves behind: the non-secret part of the wizard's state,
//! written with `config::DraftStore` after each completed step and on SIGHUP, SIGTERM or a
//! crash. Secrets are never part of it; on resume the user types them again. The store's
//! envelope carries the format version (`config::DRAFT_FORMAT`) and refuses a state that
//! does not parse.

use serde::{Deserialize, Serialize};

use crate::config::Storage;
use crate::config::{Endpoint, EndpointField};
use crate::wizard::model::{Mode, Model, Screen};
use crate::wizard::screens::connect::ConnectField;

/// The non-secret state of an unfinished wizard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftState {
    /// The screen the user was on.
    pub screen: String,
    /// New, edit or replace.
    pub mode: Mode,
    /// As typed.
    pub instance_url: String,
    /// As typed.
    pub client_id: String,
    /// As typed.
    pub username: String,
    /// Endpoints so far.
    pub endpoints: Vec<DraftEndpoint>,
    /// Secrets by environment variable rather than inline (drafts before `secrets_storage`).
    pub secrets_env: bool,
    /// Where the secrets are kept: "inline", "env", "command" or "file".
    #[serde(default)]
    pub secrets_storage: String,
    /// `client_secret_env`.
    pub client_secret_env: String,
    /// `password_env`.
    pub password_env: String,
}

/// An endpoint in a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftEndpoint {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Fields, as the config holds them (the JSON keys are the field names).
    pub fields: Vec<EndpointField>,
}

impl From<&Endpoint> for DraftEndpoint {
    fn from(e: &Endpoint) -> Self {
        DraftEndpoint {
            name: e.name.clone(),
            description: e.description.clone(),
            fields: e.fields.clone(),
        }
    }
}

impl From<&DraftEndpoint> for Endpoint {
    fn from(d: &DraftEndpoint) -> Self {
        Endpoint {
            name: d.name.clone(),
            description: d.description.clone(),
            table: "incident".into(),
            fields: d.fields.clone(),
        }
    }
}

/// The draft of the current state.
pub fn draft_of(m: &Model) -> DraftState {
    let mut endpoints: Vec<DraftEndpoint> = m.cx.endpoints.iter().map(Into::into).collect();
    // An endpoint still in the editor is worth keeping too, if it has a name.
    if let Some(ed) = &m.screens.editor {
        let e = ed.endpoint();
        if !e.name.is_empty() {
            match ed.index {
                Some(i) if i < endpoints.len() => endpoints[i] = (&e).into(),
                _ => endpoints.push((&e).into()),
            }
        }
    }
    let form = &m.screens.connect.form;
    let review = &m.screens.review;
    DraftState {
        screen: m.screen.as_str().into(),
        mode: m.cx.mode,
        instance_url: form.instance_url.value().trim().into(),
        client_id: form.client_id.value().trim().into(),
        username: form.username.value().trim().into(),
        endpoints,
        secrets_env: review.storage == Storage::Env,
        secrets_storage: storage_name(review.storage).into(),
        client_secret_env: review.secret_var.value().into(),
        password_env: review.password_var.value().into(),
    }
}

fn storage_name(s: Storage) -> &'static str {
    match s {
        Storage::Inline => "inline",
        Storage::Env => "env",
        Storage::Command => "command",
        Storage::File => "file",
    }
}

/// Put a draft back into the model. The user lands on the Connect screen: the secrets must be
/// typed again (unless `--demo` pre-filled them) and the checks re-run before fields can be
/// picked. Returns what the status line should say.
pub fn restore(m: &mut Model, d: &DraftState) -> String {
    m.cx.mode = d.mode;
    let form = &mut m.screens.connect.form;
    // Under --demo the form already names the simulator this run started, with its
    // credentials; the draft's URL points at one that is gone.
    if !m.cx.demo {
        form.instance_url.set(&d.instance_url);
        form.client_id.set(&d.client_id);
        form.username.set(&d.username);
    }
    m.cx.endpoints = d.endpoints.iter().map(Into::into).collect();
    m.screens.endpoints.reset();
    let review = &mut m.screens.review;
    review.storage = match d.secrets_storage.as_str() {
        "env" => Storage::Env,
        "command" => Storage::Command,
        "file" => Storage::File,
        "inline" => Storage::Inline,
        _ if d.secrets_env => Storage::Env,
        _ => Storage::Inline,
    };
    if !d.client_secret_env.is_empty() {
        review.secret_var.set(&d.client_secret_env);
    }
    if !d.password_env.is_empty() {
        review.password_var.set(&d.password_env);
    }
    m.screen = Screen::Connect;
    let form = &m.screens.connect.form;
    let empty: Vec<ConnectField> = ConnectField::ALL
        .into_iter()
        .filter(|f| form.field(*f).is_empty())
        .collect();
    m.screens.connect.focus_first_empty();
    m.cx.unsaved = true;
    // Drafts never hold secrets: those are the fields to type "again".
    let secrets: Vec<&str> = [ConnectField::ClientSecret, ConnectField::Password]
        .into_iter()
        .filter(|f| empty.contains(f))
        .map(ConnectField::label)
        .collect();
    match (secrets.as_slice(), empty.is_empty()) {
        (_, true) => "Draft restored; the form is complete: Connect runs the checks.".to_string(),
        ([], false) => "Draft restored: fill in the rest of the form, then Connect.".to_string(),
        ([one], false) => format!("Draft restored: type the {one} again, then Connect."),
        (_, false) => format!(
            "Draft restored: type the {} again, then Connect.",
            secrets.join(" and ")
        ),
    }
}
