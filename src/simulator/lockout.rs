//! The integration user's failed-login counter, shared by the password grant and Basic auth,
//! and the counters tests read through [`crate::simulator::Simulator::login_stats`].
//!
//! On the platform the user record counts failed logins in a row and is locked once the
//! count reaches the instance's limit; a successful login resets the count. A locked user
//! cannot log in at all, so even the right password is refused, with the same generic
//! answer a wrong one gets.

/// What the simulator has seen of logins so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginStats {
    /// `grant_type=password` requests received at `/oauth_token.do`, whatever their outcome.
    pub password_grants: u64,
    /// Requests to `/api/now/*` that carried `Authorization: Basic`, whatever their outcome.
    pub basic_attempts: u64,
    /// Logins refused for a wrong password of the integration user, or because it was
    /// locked (password grant and Basic together).
    pub failed_logins: u64,
    /// Failed logins since the last successful one.
    pub failed_in_a_row: u32,
    /// The integration user is locked out (only with `--lockout-after`).
    pub locked_out: bool,
}

/// How a login attempt for the integration user ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Right password, user not locked.
    Accepted,
    /// Wrong password, or the user is locked.
    Refused,
}

/// Which door a login came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    PasswordGrant,
    Basic,
}

/// The counter behind `--lockout-after`.
#[derive(Debug, Default)]
pub(crate) struct Lockout {
    limit: Option<u32>,
    stats: LoginStats,
}

impl Lockout {
    /// A counter that locks after `limit` failures in a row (never with `None`).
    pub fn new(limit: Option<u32>) -> Lockout {
        Lockout {
            limit,
            stats: LoginStats::default(),
        }
    }

    /// Count a request of `door` before its credentials are looked at.
    pub fn saw(&mut self, door: Door) {
        match door {
            Door::PasswordGrant => {
                self.stats.password_grants = self.stats.password_grants.saturating_add(1);
            }
            Door::Basic => {
                self.stats.basic_attempts = self.stats.basic_attempts.saturating_add(1);
            }
        }
    }

    /// Judge a login of the integration user whose password was `password_ok`.
    pub fn attempt(&mut self, password_ok: bool) -> Outcome {
        if password_ok && !self.stats.locked_out {
            self.stats.failed_in_a_row = 0;
            return Outcome::Accepted;
        }
        self.stats.failed_logins = self.stats.failed_logins.saturating_add(1);
        self.stats.failed_in_a_row = self.stats.failed_in_a_row.saturating_add(1);
        if let Some(limit) = self.limit
            && self.stats.failed_in_a_row >= limit
        {
            self.stats.locked_out = true;
        }
        Outcome::Refused
    }

    /// The counters as they are now.
    pub fn stats(&self) -> LoginStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_never_locks() {
        let mut l = Lockout::new(None);
        for _ in 0..100 {
            assert_eq!(l.attempt(false), Outcome::Refused);
        }
        assert_eq!(l.attempt(true), Outcome::Accepted);
        assert!(!l.stats().locked_out);
        assert_eq!(l.stats().failed_logins, 100);
    }

    #[test]
    fn locks_after_n_in_a_row_and_then_refuses_the_right_password() {
        let mut l = Lockout::new(Some(3));
        assert_eq!(l.attempt(false), Outcome::Refused);
        assert_eq!(l.attempt(false), Outcome::Refused);
        // A success in between resets the count.
        assert_eq!(l.attempt(true), Outcome::Accepted);
        assert_eq!(l.stats().failed_in_a_row, 0);
        for _ in 0..3 {
            assert_eq!(l.attempt(false), Outcome::Refused);
        }
        assert!(l.stats().locked_out);
        assert_eq!(l.attempt(true), Outcome::Refused);
        assert_eq!(l.stats().failed_logins, 6);
    }

    #[test]
    fn doors_are_counted_apart() {
        let mut l = Lockout::new(None);
        l.saw(Door::PasswordGrant);
        l.saw(Door::PasswordGrant);
        l.saw(Door::Basic);
        assert_eq!(
            (l.stats().password_grants, l.stats().basic_attempts),
            (2, 1)
        );
    }
}
