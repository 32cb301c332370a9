//! What an interrupted session leaves behind: the non-secret part of the wizard's state,
//! written with `config::DraftStore` after each completed step and on SIGHUP, SIGTERM or a
//! crash. Secrets are never part of it; on resume the user types them again. The store's
//! envelope carries the format version (`config::DRAFT_FORMAT`) and refuses a state that
//! does not parse.

use serde::{Deserialize, Serialize};

use crate::config::Storage;
use crate::config::{Endpoint, EndpointField};
use crate::wizard::model::{FORM_BUTTON, FORM_LABELS, Mode, Model, Screen};

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
    let mut endpoints: Vec<DraftEndpoint> = m.endpoints.list.iter().map(Into::into).collect();
    // An endpoint still in the editor is worth keeping too, if it has a name.
    if let Some(ed) = &m.editor {
        let e = ed.endpoint();
        if !e.name.is_empty() {
            match ed.index {
                Some(i) if i < endpoints.len() => endpoints[i] = (&e).into(),
                _ => endpoints.push((&e).into()),
            }
        }
    }
    DraftState {
        screen: m.screen.as_str().into(),
        mode: m.mode,
        instance_url: m.form.fields[0].value().trim().into(),
        client_id: m.form.fields[1].value().trim().into(),
        username: m.form.fields[3].value().trim().into(),
        endpoints,
        secrets_env: m.review.storage == Storage::Env,
        secrets_storage: storage_name(m.review.storage).into(),
        client_secret_env: m.review.secret_var.value().into(),
        password_env: m.review.password_var.value().into(),
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
    m.mode = d.mode;
    // Under --demo the form already names the simulator this run started, with its
    // credentials; the draft's URL points at one that is gone.
    if !m.demo {
        m.form.fields[0].set(&d.instance_url);
        m.form.fields[1].set(&d.client_id);
        m.form.fields[3].set(&d.username);
    }
    m.endpoints.list = d.endpoints.iter().map(Into::into).collect();
    m.endpoints.selected = 0;
    m.review.storage = match d.secrets_storage.as_str() {
        "env" => Storage::Env,
        "command" => Storage::Command,
        "file" => Storage::File,
        "inline" => Storage::Inline,
        _ if d.secrets_env => Storage::Env,
        _ => Storage::Inline,
    };
    if !d.client_secret_env.is_empty() {
        m.review.secret_var.set(&d.client_secret_env);
    }
    if !d.password_env.is_empty() {
        m.review.password_var.set(&d.password_env);
    }
    m.screen = Screen::Connect;
    let empty: Vec<usize> = (0..FORM_LABELS.len())
        .filter(|&i| m.form.fields[i].is_empty())
        .collect();
    m.form.focus = empty.first().copied().unwrap_or(FORM_BUTTON);
    m.unsaved = true;
    // Drafts never hold secrets: those are the fields to type "again".
    let secrets: Vec<&str> = [SECRET_FIELD, PASSWORD_FIELD]
        .into_iter()
        .filter(|i| empty.contains(i))
        .map(|i| FORM_LABELS[i])
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

/// Form indexes of the two secrets.
const SECRET_FIELD: usize = 2;
const PASSWORD_FIELD: usize = 4;
