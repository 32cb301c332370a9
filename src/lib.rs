//! snow-connect: a terminal wizard that connects Finout to a ServiceNow instance.
//!
//! Layout (see README "Architecture"):
//! - [`servicenow`]: the HTTP client (instance URL, OAuth, Table API, typed errors).
//! - [`simulator`]: an in-process ServiceNow simulator for demos and tests.
//! - [`dictionary`]: field kinds, value rules and reference lookup, shared by every layer.
//! - [`diagnose`]: the connection ladder, ACL checks and dictionary discovery.
//! - [`config`]: the TOML file, atomic saves, secrets by reference, drafts.
//! - [`incident`]: turning an endpoint plus an alert into a created incident.
//! - [`wizard`]: the ratatui wizard, the only module that knows the terminal.
//! - [`cli`] and [`commands`]: the command line and the headless commands.

pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnose;
pub mod dictionary;
pub mod exit;
pub mod harden;
pub mod incident;
mod layers;
pub mod logging;
pub mod sanitize;
pub mod servicenow;
pub mod simulator;
pub mod wizard;
