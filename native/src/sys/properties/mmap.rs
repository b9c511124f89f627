//! Properties of `sys::mmap`: mmap(2), its codes, and extending a file.

use super::*;
use crate::sys::mmap;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The Java side's map-mode and advice codes: Ok exactly for the documented ones,
    /// InvalidArgument otherwise.
    #[test]
    fn codes_are_accepted_exactly_as_documented(code in prop_oneof![-2i32..8, any::<i32>()]) {
        prop_assert_eq!(mmap::Mode::from_code(code).is_ok(), (0..=2).contains(&code));
        prop_assert!(matches!(mmap::Mode::from_code(code), Ok(_) | Err(Error::InvalidArgument(_))));
        prop_assert_eq!(mmap::advice_from_code(code).is_ok(), (0..=5).contains(&code));
        prop_assert!(matches!(mmap::advice_from_code(code), Ok(_) | Err(Error::InvalidArgument(_))));
    }

    /// map at any offset, length and mode: a mapping whose bytes are the file's (zeros in
    /// the last page past its end), or InvalidArgument (offset past i64::MAX, length 0),
    /// EINVAL (unaligned offset), EACCES (READ_WRITE on a read-only descriptor), and only
    /// for ranges larger than memory ENOMEM or EOVERFLOW.
    #[test]
    fn map_shows_the_files_bytes_or_says_why_not(
        data in data(3 * 4096 + 100),
        offset in prop_oneof![
            4 => (0u64..5).prop_map(|p| p * 4096),
            2 => 0u64..5 * 4096,
            1 => any::<u64>(),
            1 => select(vec![i64::MAX as u64 & !4095, i64::MAX as u64 + 1, !4095]),
        ],
        len in prop_oneof![
            4 => 0usize..=5 * 4096,
            1 => any::<usize>(),
            1 => select(vec![1usize << 30, 1 << 40, 1 << 47, isize::MAX as usize, usize::MAX]),
        ],
        code in -1i32..4,
        populate in any::<bool>(),
        read_only in any::<bool>(),
    ) {
        let page = mmap::page_size() as u64;
        let Ok(mode) = mmap::Mode::from_code(code) else {
            prop_assert!(!(0..=2).contains(&code));
            return Ok(());
        };
        let writable = testutil::temp_file_with(&data);
        let file = if read_only {
            File::open(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&writable)))
                .unwrap()
        } else {
            writable
        };
        let result = mmap::map(file.as_fd(), offset, len, mode, populate);
        let got = outcome(&result);
        // Past 1 GiB a range may be more than memory (ENOMEM) or than a file (EOVERFLOW).
        let huge = offset as u128 + len as u128 > 1 << 30;
        if offset > i64::MAX as u64 || len == 0 {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if offset % page != 0 {
            prop_assert_eq!(got, Outcome::Os(Errno::EINVAL));
        } else if huge {
            // A range larger than memory may be refused before or after the access check.
            let denied = read_only && mode == mmap::Mode::ReadWrite;
            prop_assert!(
                match got {
                    Outcome::Os(Errno::ENOMEM | Errno::EOVERFLOW) => true,
                    Outcome::Os(Errno::EACCES) => denied,
                    Outcome::Moved(_) => !denied,
                    _ => false,
                },
                "{result:?}"
            );
        } else if read_only && mode == mmap::Mode::ReadWrite {
            prop_assert_eq!(got, Outcome::Os(Errno::EACCES));
        } else {
            prop_assert!(matches!(got, Outcome::Moved(_)), "{result:?}");
        }
        if let Ok(addr) = result {
            prop_assert_eq!(addr as u64 % page, 0);
            let size = data.len() as u64;
            if offset < size {
                // Only pages the file covers are touched: past them user code gets SIGBUS.
                let in_file = (size - offset).min(len as u64) as usize;
                let in_page = ((size - offset).div_ceil(page) * page).min(len as u64) as usize;
                // SAFETY: the range lies in the mapping just created, within the file's pages.
                let seen = unsafe { std::slice::from_raw_parts(addr as *const u8, in_page) };
                prop_assert!(seen[..in_file] == data[offset as usize..offset as usize + in_file]);
                prop_assert!(seen[in_file..].iter().all(|&b| b == 0), "zeros past the end");
            }
            // SAFETY: the mapping was created above and nothing refers to it any more.
            unsafe { mmap::unmap(addr, len) }.unwrap();
        }
    }

    /// extend: the file grows to exactly the length asked and never shrinks, its bytes
    /// kept and the new ones zero; a length past i64::MAX is InvalidArgument, and only one
    /// past the largest file EFBIG.
    #[test]
    fn extend_grows_to_the_length_and_never_shrinks(
        data in data(10_000),
        len in prop_oneof![
            4 => 0u64..=20_000,
            1 => any::<u64>(),
            1 => select(vec![FAR as u64, 1 << 44, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX]),
        ],
    ) {
        let file = testutil::temp_file_with(&data);
        let size = data.len() as u64;
        let result = mmap::extend(file.as_fd(), len).map(|()| 0usize);
        let got = outcome(&result);
        if len <= size {
            prop_assert_eq!(got, Outcome::Moved(0));
        } else if len > i64::MAX as u64 {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if len >= FAR as u64 {
            prop_assert!(matches!(got, Outcome::Moved(0) | Outcome::Os(Errno::EFBIG)), "{result:?}");
        } else {
            prop_assert_eq!(got, Outcome::Moved(0));
        }
        let now = size_of(&file);
        prop_assert_eq!(now, if result.is_ok() { size.max(len) } else { size });
        prop_assert!(read_at(&file, 0, data.len()) == data[..], "old bytes kept");
        let tail = (now - size).min(4096) as usize;
        prop_assert!(read_at(&file, now - tail as u64, tail).iter().all(|&b| b == 0), "new bytes are zero");
    }
}
