//! Properties of `sys::splice`: splice(2), tee(2) and vmsplice(2).

use super::*;
use crate::sys::{pipe, splice};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// splice file -> pipe at any offset and count: exactly min(count, what is left) bytes,
    /// the file's own bytes from that offset, the offset advanced by as much; 0 at or past
    /// end of file (even a hair below i64::MAX); EINVAL only for a negative offset.
    #[test]
    fn splice_from_a_file_moves_what_is_asked_and_left(
        (data, off, count) in data(20_000).prop_flat_map(|d| {
            let len = d.len();
            (Just(d), offset(len), count(len))
        }),
        bits in any::<i32>(),
    ) {
        let file = testutil::temp_file_with(&data);
        let (r, w) = testutil::pipe();
        let size = data.len() as i64;
        let mut at = off;
        let result = splice::splice(
            file.as_fd(), Some(&mut at), w.as_fd(), None, count, splice::flags_from_bits(bits),
        );
        let expected = expected_read(off, count, size);
        prop_assert_eq!(outcome(&result), expected);
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        let got = drain(r.as_fd());
        let from = off.clamp(0, size) as usize;
        prop_assert!(got == data[from..from + n], "pipe holds the file's bytes at the offset");
    }

    /// splice pipe -> file at any offset and count: the pipe's first bytes land at that
    /// offset, nothing else in the file changes, the rest stays queued. A negative offset
    /// or one whose range passes i64::MAX is EINVAL; only past the largest file EFBIG.
    #[test]
    fn splice_into_a_file_writes_the_pipes_bytes_at_the_offset(
        ((old, queued), off, count) in (data(10_000), data(12_000)).prop_flat_map(|(o, q)| {
            let (olen, qlen) = (o.len(), q.len());
            (Just((o, q)), offset(olen), count(qlen))
        }),
        bits in any::<i32>(),
    ) {
        let file = testutil::temp_file_with(&old);
        let (r, w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        drop(w); // an empty pipe is end of stream, not a wait
        let mut at = off;
        let result = splice::splice(
            r.as_fd(), None, file.as_fd(), Some(&mut at), count, splice::flags_from_bits(bits),
        );
        let asked = count.min(MAX_CHUNK);
        let exact = if count == 0 {
            Some(Outcome::Moved(0))
        } else if off < 0 || off.checked_add(asked as i64).is_none() {
            Some(Outcome::Os(Errno::EINVAL))
        } else if queued.is_empty() {
            Some(Outcome::Moved(0))
        } else if off < FAR {
            Some(Outcome::Moved(asked.min(queued.len())))
        } else {
            None
        };
        match exact {
            Some(expected) => prop_assert_eq!(outcome(&result), expected),
            None => prop_assert!(
                matches!(outcome(&result), Outcome::Moved(n) if n <= asked.min(queued.len()))
                    || outcome(&result) == Outcome::Os(Errno::EFBIG),
                "far offset {off}: {result:?}"
            ),
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        assert_file_is(&file, &old, off, &queued[..n])?;
        prop_assert!(drain(r.as_fd()) == queued[n..], "the rest stays in the pipe");
    }

    /// tee: duplicates exactly min(count, queued) bytes, consuming none; an empty pipe is
    /// 0 once its writer is gone and EAGAIN (non-blocking) while it has one. Unknown flag
    /// bits are ignored.
    #[test]
    fn tee_duplicates_a_prefix_and_consumes_nothing(
        (queued, count) in data(20_000).prop_flat_map(|q| {
            let len = q.len();
            (Just(q), count(len))
        }),
        writer_gone in any::<bool>(),
        bits in any::<i32>(),
    ) {
        let (r, w) = testutil::pipe();
        let (copy_r, copy_w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        let mut flags = splice::flags_from_bits(bits);
        if queued.is_empty() && !writer_gone {
            flags |= SpliceFFlags::SPLICE_F_NONBLOCK; // else it would wait for a writer
        }
        let w = (!writer_gone).then_some(w);
        let result = splice::tee(r.as_fd(), copy_w.as_fd(), count, flags);
        let expected = if count == 0 || (queued.is_empty() && writer_gone) {
            Outcome::Moved(0)
        } else if queued.is_empty() {
            Outcome::Os(Errno::EAGAIN)
        } else {
            Outcome::Moved(count.min(queued.len()))
        };
        prop_assert_eq!(outcome(&result), expected);
        let n = result.unwrap_or(0);
        prop_assert!(drain(copy_r.as_fd()) == queued[..n], "the copy is a prefix");
        prop_assert!(drain(r.as_fd()) == queued[..], "the input still holds everything");
        drop(w);
    }

    /// vmsplice_copy: takes a prefix of the slices' bytes, in order: everything up to the
    /// pipe's capacity when the pipe is empty, however many slices there are.
    #[test]
    fn vmsplice_takes_a_prefix_of_the_slices(
        lens in prop::collection::vec(
            prop_oneof![3 => Just(0usize), 5 => 0usize..600, 1 => 0usize..9000],
            0..1100,
        ),
        seed in any::<u64>(),
        bits in any::<i32>(),
    ) {
        let total: usize = lens.iter().sum();
        let buffer = bytes(total, seed);
        let mut slices = Vec::with_capacity(lens.len());
        let mut at = 0;
        for &len in &lens {
            slices.push(&buffer[at..at + len]);
            at += len;
        }
        let (r, w) = testutil::pipe();
        let capacity = pipe::capacity(w.as_fd()).unwrap();
        let flags = splice::flags_from_bits(bits) | SpliceFFlags::SPLICE_F_NONBLOCK;
        let n = match splice::vmsplice_copy(w.as_fd(), &slices, flags) {
            Ok(n) => n,
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        prop_assert_eq!(n, total.min(capacity));
        prop_assert!(drain(r.as_fd()) == buffer[..n], "the pipe holds the prefix");
    }

    /// Unknown splice flag bits are dropped, known ones kept.
    #[test]
    fn unknown_splice_flag_bits_are_dropped(code in prop_oneof![-2i32..8, any::<i32>()]) {
        let known = (SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK
            | SpliceFFlags::SPLICE_F_MORE | SpliceFFlags::SPLICE_F_GIFT).bits();
        prop_assert_eq!(splice::flags_from_bits(code).bits(), code as u32 & known);
    }
}
