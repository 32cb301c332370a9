//! The ServiceNow HTTP client: instance URL normalisation, OAuth password grant and refresh,
//! the Table API, and a typed error for everything that can go wrong on the way.
//!
//! No UI here: errors carry facts (status, ServiceNow's message) and a message a person can
//! act on; `crate::diagnose` turns them into fixes.

mod budget;
mod client;
mod error;
mod login_guard;
mod proxy;
mod query;
mod rate_limit;
mod record;
mod response;
pub(crate) mod rows;
mod tls;
pub(crate) use tls::read_ca_file;
mod token;
mod transport;
mod url;

pub use budget::{Budget, Limit, Limits, OverBudget, budget_rows_text};
pub use client::{
    Client, ClientOptions, ClientStats, Created, Credentials, Page, ProbeAnswer, ReadInfo,
    TokenInfo,
};
pub use error::{Error, ServiceNowMessage};
pub use login_guard::{DEFAULT_LOCKOUT_AFTER, LoginGuard, Rejection, STATE_DIR_ENV};
pub use proxy::{ProxyConfig, ProxySettings};
pub use query::{DisplayValue, EncodedQuery, TableQuery};
pub use rate_limit::{
    DEFAULT_RETRY_AFTER, RateLimitAnswer, RateLimitWait, human_duration, retry_rate_limited,
};
pub use record::{FieldValue, Record, field_string};
pub use rows::{Text, cap_text};
pub use url::{InstanceUrl, UrlError};
