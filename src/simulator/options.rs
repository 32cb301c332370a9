//! Simulator flags, shared by `snow-connect simulator` and `snow-connect --demo`.

use clap::Args;

/// Fixed demo OAuth client id (documented in the README).
pub const DEMO_CLIENT_ID: &str = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f";
/// Fixed demo OAuth client secret.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// Fixed demo integration user.
pub const DEMO_USERNAME: &str = "finout.integration";
/// Fixed demo password.
pub const DEMO_PASSWORD: &str = "demo-password";

/// How the simulated instance behaves. Every field is a command-line flag.
#[derive(Debug, Clone, Args, PartialEq)]
pub struct SimOptions {
    /// Address to listen on; non-loopback addresses need --public.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub public: bool,
    /// The integration user lacks this ACL (repeatable): sys_db_object, sys_db_object.*,
    /// sys_dictionary, sys_dictionary.*, sys_glide_object, sys_choice, incident.create,
    /// incident.read, or any TABLE / TABLE.*.
    #[arg(long, value_name = "ACL")]
    pub deny: Vec<String>,
    /// Answer every path with the PDI hibernation page (HTTP 200, HTML).
    #[arg(long)]
    pub hibernating: bool,
    /// The OAuth client is securely scoped: Table API answers 403 "Access to unscoped api".
    #[arg(long)]
    pub securely_scoped: bool,
    /// After N API requests in the window, answer 429 with Retry-After.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Delay every response by N milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Add N custom u_ fields to incident (scale tests).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub extra_fields: u32,
    /// Access-token lifetime in seconds (expires_in is one less).
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub token_ttl: u64,
    /// Serve HTTPS with a certificate from a freshly generated CA.
    #[arg(long)]
    pub tls: bool,
    /// OAuth client id the simulator accepts.
    #[arg(long = "client-id", id = "sim_client_id", value_name = "ID", default_value = DEMO_CLIENT_ID)]
    pub client_id: String,
    /// OAuth client secret the simulator accepts.
    #[arg(long = "client-secret", value_name = "SECRET", default_value = DEMO_CLIENT_SECRET)]
    pub client_secret: String,
    /// User name the simulator accepts.
    #[arg(long = "username", id = "sim_username", value_name = "NAME", default_value = DEMO_USERNAME)]
    pub username: String,
    /// Password the simulator accepts.
    #[arg(long = "password", value_name = "PASSWORD", default_value = DEMO_PASSWORD)]
    pub password: String,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: "127.0.0.1:0".into(),
            public: false,
            deny: Vec::new(),
            hibernating: false,
            securely_scoped: false,
            rate_limit: None,
            latency_ms: 0,
            extra_fields: 0,
            token_ttl: 1800,
            tls: false,
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            username: DEMO_USERNAME.into(),
            password: DEMO_PASSWORD.into(),
        }
    }
}

impl SimOptions {
    /// True when any flag differs from the default (used to reject sim flags without --demo).
    pub fn is_customised(&self) -> bool {
        *self != SimOptions::default()
    }
}
