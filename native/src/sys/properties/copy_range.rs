//! Properties of `sys::copy_range`: copy_file_range(2).

use super::*;
use crate::sys::copy_range;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// copy_file_range file -> file at any offsets: exactly min(count, what is left) bytes
    /// land at the output offset, nothing else changes; 0 when count is 0 or the input
    /// offset is at or past end of file (even a hair below i64::MAX); a negative offset is
    /// EINVAL or EOVERFLOW; only an output offset past the largest file is EFBIG
    /// (EOVERFLOW if its range wraps).
    #[test]
    fn copy_file_range_copies_what_is_asked_and_left(
        ((input, old), off_in, off_out, count) in (data(16_000), data(8_000))
            .prop_flat_map(|(i, o)| {
                let (ilen, olen) = (i.len(), o.len());
                (Just((i, o)), offset(ilen), offset(olen), count(ilen))
            }),
    ) {
        let from = testutil::temp_file_with(&input);
        let to = testutil::temp_file_with(&old);
        let size = input.len() as i64;
        let (mut at_in, mut at_out) = (off_in, off_out);
        let result = copy_range::copy_file_range(
            from.as_fd(), Some(&mut at_in), to.as_fd(), Some(&mut at_out), count,
        );
        let left = if (0..size).contains(&off_in) { (size - off_in) as usize } else { 0 };
        let asked = count.min(MAX_CHUNK).min(left);
        let got = outcome(&result);
        if count == 0 {
            prop_assert_eq!(got, Outcome::Moved(0));
        } else if off_in < 0 || off_out < 0 {
            prop_assert!(
                matches!(got, Outcome::Os(Errno::EINVAL | Errno::EOVERFLOW))
                    || (off_out >= FAR && got == Outcome::Os(Errno::EFBIG)),
                "negative offset: {result:?}"
            );
        } else if off_out < FAR {
            prop_assert_eq!(got, Outcome::Moved(asked));
        } else {
            prop_assert!(
                matches!(got, Outcome::Moved(n) if n <= asked)
                    || got == Outcome::Os(Errno::EFBIG)
                    || (got == Outcome::Os(Errno::EOVERFLOW)
                        && off_out.checked_add(count.min(MAX_CHUNK) as i64).is_none()),
                "far output offset {off_out}: {result:?}"
            );
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!((at_in, at_out), (off_in + n as i64, off_out + n as i64));
        let start = off_in.clamp(0, size) as usize;
        assert_file_is(&to, &old, off_out, &input[start..start + n])?;
        prop_assert!(read_at(&from, 0, input.len()) == input[..], "input unchanged");
    }
}
