//! Properties of `sys::pipe`: pipe capacity (F_SETPIPE_SZ).

use super::*;
use crate::sys::{mmap, pipe};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// set_capacity: Ok only with exactly the kernel's rounding (a power-of-two number of
    /// pages, at least one), which capacity() then reports, the queued bytes intact; EBUSY
    /// exactly when the queued bytes need more pages; InvalidArgument above i32::MAX.
    #[test]
    fn set_capacity_rounds_up_or_says_why_not(
        requested in prop_oneof![
            4 => 0usize..=(1 << 20),
            1 => (1usize << 20)..=(16 << 20),
            1 => (i32::MAX as usize + 1)..=usize::MAX,
            1 => select(vec![0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 3 << 20,
                i32::MAX as usize + 1, u32::MAX as usize, u32::MAX as usize + 1, usize::MAX]),
        ],
        queued in data(PIPE),
    ) {
        let page = mmap::page_size();
        let (r, w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        let result = pipe::set_capacity(w.as_fd(), requested);
        let rounded = requested.clamp(page, 1 << 31).next_power_of_two();
        let busy = queued.len().div_ceil(page) > rounded / page;
        let (may_exceed_max, unlimited) = pipe_privileges();
        let got = outcome(&result);
        if requested > i32::MAX as usize {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if rounded > PIPE && !may_exceed_max && rounded > pipe_max_size() {
            prop_assert_eq!(got, Outcome::Os(Errno::EPERM));
        } else if rounded > PIPE && !unlimited && got == Outcome::Os(Errno::EPERM) {
            // the user's pipes hold more than pipe-user-pages-soft: growing is refused
        } else if busy {
            prop_assert_eq!(got, Outcome::Os(Errno::EBUSY));
        } else {
            prop_assert_eq!(got, Outcome::Moved(rounded));
        }
        let now = pipe::capacity(r.as_fd()).unwrap();
        prop_assert_eq!(now, result.unwrap_or(PIPE));
        prop_assert!(drain(r.as_fd()) == queued[..], "queued bytes survive");
    }
}
