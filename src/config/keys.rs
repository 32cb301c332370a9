//! The one table of `[servicenow]` keys: validation, "did you mean", editing and masking all
//! read it, so a new way of storing a secret is added here once.

/// Where a secret is kept, and so which key of the file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The secret itself, in the 0600 file (`client_secret`).
    Inline,
    /// The name of an environment variable (`client_secret_env`).
    Env,
    /// A command whose standard output is the secret (`client_secret_command`).
    Command,
    /// A file holding the secret, mode 0600 or stricter (`client_secret_file`).
    File,
}

impl Storage {
    /// Every storage, in the order messages and the wizard list them.
    pub const ALL: [Storage; 4] = [
        Storage::Inline,
        Storage::Env,
        Storage::Command,
        Storage::File,
    ];

    /// Whether `config show` and the wizard must hide the value (only the secret itself).
    pub fn masked(self) -> bool {
        self == Storage::Inline
    }

    /// What the key's value is, for messages ("the name of an environment variable" ...).
    pub fn what(self) -> &'static str {
        match self {
            Storage::Inline => "the secret itself",
            Storage::Env => "the name of an environment variable that holds it",
            Storage::Command => "a command whose output is the secret",
            Storage::File => "the path of a file (mode 0600) that holds it",
        }
    }
}

/// The two secrets of `[servicenow]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    /// The OAuth client secret.
    ClientSecret,
    /// The integration user's password.
    Password,
}

impl SecretField {
    /// The key for this secret kept in `storage`.
    pub fn key(self, storage: Storage) -> &'static str {
        match (self, storage) {
            (SecretField::ClientSecret, Storage::Inline) => "client_secret",
            (SecretField::ClientSecret, Storage::Env) => "client_secret_env",
            (SecretField::ClientSecret, Storage::Command) => "client_secret_command",
            (SecretField::ClientSecret, Storage::File) => "client_secret_file",
            (SecretField::Password, Storage::Inline) => "password",
            (SecretField::Password, Storage::Env) => "password_env",
            (SecretField::Password, Storage::Command) => "password_command",
            (SecretField::Password, Storage::File) => "password_file",
        }
    }

    /// The four keys that can hold this secret, in [`Storage::ALL`] order.
    pub fn keys(self) -> [&'static str; 4] {
        Storage::ALL.map(|s| self.key(s))
    }

    /// The environment variable headless commands read it from without a config.
    pub fn default_env(self) -> &'static str {
        match self {
            SecretField::ClientSecret => "SNOW_CLIENT_SECRET",
            SecretField::Password => "SNOW_PASSWORD",
        }
    }
}

/// Every key `[servicenow]` accepts.
pub(crate) const SERVICENOW_KEYS: &[&str] = &[
    "instance_url",
    "client_id",
    "client_secret",
    "client_secret_env",
    "client_secret_command",
    "client_secret_file",
    "username",
    "password",
    "password_env",
    "password_command",
    "password_file",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_key_is_a_known_key_and_keys_are_distinct() {
        let mut all = Vec::new();
        for field in [SecretField::ClientSecret, SecretField::Password] {
            for key in field.keys() {
                assert!(SERVICENOW_KEYS.contains(&key), "{key}");
                all.push(key);
            }
        }
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(n, 8);
    }

    #[test]
    fn only_the_inline_secret_is_masked() {
        let masked: Vec<Storage> = Storage::ALL.into_iter().filter(|s| s.masked()).collect();
        assert_eq!(masked, vec![Storage::Inline]);
    }
}
