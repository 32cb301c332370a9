//! The in-memory form of the config file.

use secrecy::SecretString;

use crate::diagnose::FieldKind;

/// At most this many additional (non-mandatory) fields per endpoint.
pub const MAX_ADDITIONAL_FIELDS: usize = 10;

/// A secret: inline in the 0600 file, or the name of an environment variable.
#[derive(Clone)]
pub enum SecretRef {
    /// `client_secret = "..."`.
    Inline(SecretString),
    /// `client_secret_env = "SNOW_CLIENT_SECRET"`.
    Env(String),
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Inline(_) => f.write_str("Inline([redacted])"),
            SecretRef::Env(name) => write!(f, "Env({name:?})"),
        }
    }
}

impl SecretRef {
    /// The secret's value: inline, or read from the environment now.
    pub fn resolve(&self) -> Result<SecretString, super::ConfigError> {
        todo!("config: resolve secret")
    }
}

/// `[servicenow]`: the one connected instance.
#[derive(Debug, Clone)]
pub struct ServiceNowConfig {
    /// Normalised instance URL.
    pub instance_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// `client_secret` or `client_secret_env`.
    pub client_secret: SecretRef,
    /// Integration user.
    pub username: String,
    /// `password` or `password_env`.
    pub password: SecretRef,
}

/// `[[endpoints.fields]]`: one field an alert fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
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
