//! The in-memory form of the config file.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::keys::{SecretField, Storage};

use crate::dictionary::FieldKind;

/// At most this many additional (non-mandatory) fields per endpoint.
pub const MAX_ADDITIONAL_FIELDS: usize = 10;

/// A secret: inline in the 0600 file, or where it is kept (a variable, a command, a file).
#[derive(Clone)]
pub enum SecretRef {
    /// `client_secret = "..."`.
    Inline(SecretString),
    /// `client_secret_env = "SNOW_CLIENT_SECRET"`.
    Env(String),
    /// `client_secret_command = "pass show snow/finout"`: its trimmed output.
    Command(String),
    /// `client_secret_file = "/run/credentials/snow.service/secret"`: mode 0600, ours.
    File(PathBuf),
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Inline(_) => f.write_str("Inline([redacted])"),
            SecretRef::Env(name) => write!(f, "Env({name:?})"),
            SecretRef::Command(cmd) => write!(f, "Command({cmd:?})"),
            SecretRef::File(path) => write!(f, "File({path:?})"),
        }
    }
}

impl SecretRef {
    /// Same storage and the same value.
    pub fn same_as(&self, other: &SecretRef) -> bool {
        match (self, other) {
            (SecretRef::Inline(x), SecretRef::Inline(y)) => x.expose_secret() == y.expose_secret(),
            (SecretRef::Env(x), SecretRef::Env(y)) => x == y,
            (SecretRef::Command(x), SecretRef::Command(y)) => x == y,
            (SecretRef::File(x), SecretRef::File(y)) => x == y,
            _ => false,
        }
    }

    /// Where the secret is kept.
    pub fn storage(&self) -> Storage {
        match self {
            SecretRef::Inline(_) => Storage::Inline,
            SecretRef::Env(_) => Storage::Env,
            SecretRef::Command(_) => Storage::Command,
            SecretRef::File(_) => Storage::File,
        }
    }

    /// What the file says for a non-inline secret: the variable, command or path.
    pub fn reference(&self) -> Option<String> {
        match self {
            SecretRef::Inline(_) => None,
            SecretRef::Env(v) | SecretRef::Command(v) => Some(v.clone()),
            SecretRef::File(p) => Some(p.display().to_string()),
        }
    }

    /// The secret's value: inline, or fetched now from the variable, command or file.
    ///
    /// An unset or empty variable is [`super::ConfigError::EnvNotSet`]; a failing command or
    /// an unsafe file is [`super::ConfigError::Secret`]. Errors never hold a secret.
    pub fn resolve(&self) -> Result<SecretString, super::ConfigError> {
        let source = |message: String| super::ConfigError::Secret {
            key: String::new(),
            message,
        };
        match self {
            SecretRef::Inline(secret) => Ok(secret.clone()),
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(SecretString::from(value)),
                _ => Err(super::ConfigError::EnvNotSet {
                    path: PathBuf::new(),
                    key: String::new(),
                    var: var.clone(),
                    at: None,
                }),
            },
            SecretRef::Command(cmd) => {
                super::secret_source::run_command(cmd, super::secret_source::COMMAND_TIMEOUT)
                    .map_err(source)
            }
            SecretRef::File(path) => super::secret_source::read_file(path).map_err(source),
        }
    }

    /// The environment variable's name, when the secret is held in one.
    pub fn env_name(&self) -> Option<&str> {
        match self {
            SecretRef::Env(var) => Some(var),
            _ => None,
        }
    }
}

/// `[servicenow]`: the one connected instance.
#[derive(Debug, Clone)]
pub struct ServiceNowConfig {
    /// Normalised instance URL.
    pub instance_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// `client_secret` or one of its `_env` / `_command` / `_file` forms.
    pub client_secret: SecretRef,
    /// Integration user.
    pub username: String,
    /// `password` or one of its `_env` / `_command` / `_file` forms.
    pub password: SecretRef,
}

/// `[[endpoints.fields]]`: one field an alert fills in. (The file is written by `render` and
/// `edit`; the serde form is the wizard's draft, which holds no secrets.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EndpointField {
    /// Column name, e.g. `assignment_group`.
    pub element: String,
    /// string | choice | reference | integer | boolean.
    pub kind: FieldKind,
    /// Stored value (a sys_id for references, the choice value for choices).
    pub value: String,
    /// Display value for references and choices.
    pub display: Option<String>,
    /// A field the instance makes mandatory (does not count toward the 10).
    pub mandatory: bool,
}

/// `[[endpoints]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Unique name.
    pub name: String,
    /// Optional description ("" when absent).
    pub description: String,
    /// Target table, `incident`.
    pub table: String,
    /// Fields, in order.
    pub fields: Vec<EndpointField>,
}

/// The whole file.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[servicenow]`.
    pub servicenow: ServiceNowConfig,
    /// `[[endpoints]]`.
    pub endpoints: Vec<Endpoint>,
}

impl ServiceNowConfig {
    /// The client secret's value; an error names the key that keeps it.
    pub fn resolve_client_secret(&self) -> Result<SecretString, super::ConfigError> {
        let key = SecretField::ClientSecret.key(self.client_secret.storage());
        self.client_secret.resolve().map_err(|e| e.with_key(key))
    }

    /// The password's value; an error names the key that keeps it.
    pub fn resolve_password(&self) -> Result<SecretString, super::ConfigError> {
        let key = SecretField::Password.key(self.password.storage());
        self.password.resolve().map_err(|e| e.with_key(key))
    }
}

impl Endpoint {
    /// How many fields count toward [`MAX_ADDITIONAL_FIELDS`] (those not marked mandatory).
    pub fn additional_field_count(&self) -> usize {
        self.fields.iter().filter(|f| !f.mandatory).count()
    }
}

impl Config {
    /// Equal in every field, secrets compared by value. `Config` does not derive `PartialEq`
    /// so that secrets are never compared (or printed in an assertion) by accident.
    pub fn same_as(&self, other: &Config) -> bool {
        let (x, y) = (&self.servicenow, &other.servicenow);
        x.instance_url == y.instance_url
            && x.client_id == y.client_id
            && x.username == y.username
            && x.client_secret.same_as(&y.client_secret)
            && x.password.same_as(&y.password)
            && self.endpoints == other.endpoints
    }

    /// A config for a newly connected instance: no endpoints yet (the old instance's
    /// endpoints never carry over, their fields belong to its dictionary).
    pub fn for_new_instance(servicenow: ServiceNowConfig) -> Config {
        Config {
            servicenow,
            endpoints: Vec::new(),
        }
    }

    /// The endpoint with this name.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}
