//! Properties of `sys::poll`: poll(2).

use super::*;
use crate::sys::poll;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// poll::wait with any interest bits and short timeouts: exactly the ready bits asked
    /// for (only READABLE and WRITABLE count), plus FAILED on hang-up or error whatever was
    /// asked; 0 when nothing asked for is ready.
    #[test]
    fn wait_reports_exactly_the_ready_bits(
        interest in any::<i32>(),
        timeout_ms in 0u16..=5,
        case in 0u8..7,
    ) {
        let (r, w) = testutil::pipe();
        let want_read = interest & poll::READABLE != 0;
        let want_write = interest & poll::WRITABLE != 0;
        let readable = if want_read { poll::READABLE } else { 0 };
        let writable = if want_write { poll::WRITABLE } else { 0 };
        let (bits, expected) = match case {
            0 => (poll::wait(r.as_fd(), interest, timeout_ms), 0),
            1 => {
                nix::unistd::write(&w, b"x").unwrap();
                (poll::wait(r.as_fd(), interest, timeout_ms), readable)
            }
            2 => {
                drop(w);
                (poll::wait(r.as_fd(), interest, timeout_ms), poll::FAILED)
            }
            3 => {
                nix::unistd::write(&w, b"x").unwrap();
                drop(w);
                (poll::wait(r.as_fd(), interest, timeout_ms), readable | poll::FAILED)
            }
            4 => (poll::wait(w.as_fd(), interest, timeout_ms), writable),
            5 => {
                drop(r);
                (poll::wait(w.as_fd(), interest, timeout_ms), writable | poll::FAILED)
            }
            _ => {
                while nix::unistd::write(&w, &[0u8; 4096]).is_ok() {}
                (poll::wait(w.as_fd(), interest, timeout_ms), 0)
            }
        };
        prop_assert_eq!(bits.unwrap(), expected, "case {}", case);
    }
}
