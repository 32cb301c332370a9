//! The TOML config file (schema v1, DESIGN.md section 3): loading with precise errors,
//! atomic 0600 saves that keep the user's comments, secrets inline or kept elsewhere (an
//! environment variable, a command's output, a private file),
//! and drafts of an unfinished wizard.

mod atomic;
mod draft;
mod edit;
mod error;
mod keys;
mod load;
mod lock;
mod owner;
mod paths;
mod render;
mod report_file;
mod save;
mod schema;
mod secret_source;
mod validate;

pub use draft::{DRAFT_FORMAT, DRAFT_MAX_AGE, Draft, DraftStore, prune_drafts};
pub use error::{ConfigError, Warning};
pub use keys::{SecretField, Storage};
pub use load::{Loaded, load, load_for_edit, load_str};
pub use owner::allow_insecure_config;
pub use paths::{default_config_path, demo_config_path, resolve_config_path, state_dir};
pub use render::{MASK, masked_toml};
pub use report_file::write_new_private;
pub use save::{Base, Removed, SaveOptions, remove, save, symlink_target};
pub use schema::{
    Config, Endpoint, EndpointField, MAX_ADDITIONAL_FIELDS, SecretRef, ServiceNowConfig,
};
pub use validate::{SCHEMA_VERSION, is_env_name};
