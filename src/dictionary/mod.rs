//! The model of an instance's dictionary that config, incident, diagnose and the wizard share:
//! field kinds, the value rules each kind imposes, reference lookup (does a sys_id exist in
//! the referenced table) and reference search (find records by what people read).
//!
//! Below `config`, `incident`, `diagnose` and `wizard`; above `servicenow` (the lookup reads
//! through the client). Discovery, which fills a [`Dictionary`] from an instance, is
//! `crate::diagnose`'s: it needs the ACL probes.

mod error;
pub mod lookup;
mod model;
mod name;
pub mod rules;
pub mod search;
mod verdict;

pub use error::DictionaryError;
pub use lookup::{Lookup, LookupFailure, LookupRequest, LookupResults};
pub use model::{Choice, Dictionary, Field, FieldCounts, FieldKind, HiddenReason};
pub use name::{Interner, Name};
pub use rules::{ValueError, check_value, is_sys_id, parse_typed};
pub use search::{Reference, ReferenceSearch};
pub use verdict::{EndpointCheck, FieldProblem, Unchecked};
