//! What the suites share: fake instances and raw servers for the client, the real binary in a
//! pseudo-terminal, and the loopback instance of the lockout and redaction tests.

pub mod bin;
pub mod client;
pub mod fs;
pub mod guard;
pub mod hostile;
pub mod model;
pub mod pty;
