//! Properties of `sys::sendfile`: sendfile(2).

use super::*;
use crate::sys::sendfile;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// sendfile file -> socket: exactly min(count, what is left) of the file's bytes from
    /// the offset; 0 at end of file; EINVAL for a negative offset; EOVERFLOW only past the
    /// largest file (the unit tests pin which).
    #[test]
    fn sendfile_sends_what_is_asked_and_left(
        (data, off, count) in data(16_000).prop_flat_map(|d| {
            let len = d.len();
            (Just(d), offset(len), count(len))
        }),
    ) {
        let file = testutil::temp_file_with(&data);
        let (a, mut b) = testutil::tcp_pair();
        a.set_nonblocking(true).unwrap();
        let size = data.len() as i64;
        let mut at = off;
        let result = sendfile::sendfile(a.as_fd(), file.as_fd(), &mut at, count);
        let expected = expected_read(off, count, size);
        if off >= FAR && count != 0 {
            prop_assert!(
                outcome(&result) == expected || outcome(&result) == Outcome::Os(Errno::EOVERFLOW),
                "far offset {off}: {result:?}"
            );
        } else {
            prop_assert_eq!(outcome(&result), expected);
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        let from = off.clamp(0, size) as usize;
        prop_assert!(testutil::read_exact(&b, n) == data[from..from + n]);
        b.set_nonblocking(true).unwrap();
        prop_assert!(matches!(b.read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock));
    }
}
