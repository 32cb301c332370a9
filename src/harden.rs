//! Process hardening done once at start: no core dumps, because a core file of a running
//! snow-connect holds every secret it has read (one held three copies of each inline secret),
//! and no death by SIGXFSZ, so that a file-size limit (`ulimit -f`) is an error message.

/// Everything this module does; call first thing in `main`.
pub fn at_start() {
    disable_core_dumps();
    ignore_file_size_signal();
}

/// Writing past `ulimit -f` then fails with EFBIG, which the save reports in words, instead
/// of killing the process (and the wizard with the terminal in raw mode).
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Disable core dumps (`RLIMIT_CORE` 0) and, on Linux, mark the process non-dumpable so
/// neither a crash nor another user's debugger can copy its memory. Best effort: a failure is
/// logged, never fatal.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass and has no other preconditions.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } != 0 {
            tracing::warn!(
                "could not disable core dumps: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_DUMPABLE takes one integer argument; the rest are ignored.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            tracing::warn!(
                "could not mark the process non-dumpable: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn core_dumps_are_off_afterwards() {
        super::disable_core_dumps();
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!((limit.rlim_cur, limit.rlim_max), (0, 0));
        // SAFETY: PR_GET_DUMPABLE takes no further arguments.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
