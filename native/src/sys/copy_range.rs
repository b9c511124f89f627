//! copy_file_range(2): file -> file inside the kernel (a reflink where the file system can).

use std::os::fd::BorrowedFd;

use nix::fcntl::copy_file_range as nix_copy_file_range;

use super::{MAX_CHUNK, retry, two};
use crate::error::Result;

/// Copies up to `count` bytes from `input` to `output`. `in_offset`/`out_offset`: `Some`
/// reads or writes at that offset and advances it (the file position is not used or
/// changed), `None` uses and advances the descriptor's own file position.
/// Returns 0 when the input is at end of file, or at once when `count` is 0 (the kernel
/// would still check the offsets then, unlike splice and sendfile here). One kernel call.
/// A negative offset is EOVERFLOW or EINVAL, depending on the kernel; an output offset
/// past the file system's largest file is EFBIG.
///
/// The kernel refuses with EXDEV (different file systems before 5.19 and some since),
/// EINVAL (not regular files, overlapping ranges in one file, an O_APPEND output),
/// EOPNOTSUPP or ENOSYS: see `Error::is_refusal`; the caller falls back. It also refuses
/// an O_APPEND output with EBADF, so callers never pass one.
pub fn copy_file_range(
    input: BorrowedFd<'_>,
    in_offset: Option<&mut i64>,
    output: BorrowedFd<'_>,
    out_offset: Option<&mut i64>,
    count: usize,
) -> Result<usize> {
    let count = count.min(MAX_CHUNK);
    if count == 0 {
        return Ok(0);
    }
    let mut in_offset = in_offset;
    let mut out_offset = out_offset;
    retry("copy_file_range", two(input, output), || {
        nix_copy_file_range(
            input,
            in_offset.as_deref_mut(),
            output,
            out_offset.as_deref_mut(),
            count,
        )
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::fd::AsFd;

    use nix::errno::Errno;

    use super::*;
    use crate::sys::testutil;

    fn contents(file: &mut std::fs::File) -> Vec<u8> {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn copies_a_range_at_explicit_offsets_and_advances_them() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13) as u8).collect();
        let input = testutil::temp_file_with(&data);
        let mut output = testutil::temp_file_with(b"");
        let (mut from, mut to) = (1000i64, 5i64);
        let mut copied = 0;
        while copied < 100_000 {
            let n = copy_file_range(
                input.as_fd(),
                Some(&mut from),
                output.as_fd(),
                Some(&mut to),
                100_000 - copied,
            )
            .unwrap();
            assert!(n > 0);
            copied += n;
        }
        assert_eq!((from, to), (101_000, 100_005));
        let out = contents(&mut output);
        assert_eq!(out.len(), 100_005);
        assert_eq!(
            &out[..5],
            &[0; 5],
            "the gap before the offset reads as zeros"
        );
        assert_eq!(&out[5..], &data[1000..101_000]);
    }

    #[test]
    fn without_offsets_uses_and_advances_the_file_positions() {
        let mut input = testutil::temp_file_with(b"0123456789");
        let mut output = testutil::temp_file_with(b"");
        input.seek(SeekFrom::Start(4)).unwrap();
        let n = copy_file_range(input.as_fd(), None, output.as_fd(), None, 3).unwrap();
        assert_eq!(n, 3);
        assert_eq!(input.stream_position().unwrap(), 7);
        assert_eq!(output.stream_position().unwrap(), 3);
        assert_eq!(contents(&mut output), b"456");
    }

    #[test]
    fn returns_zero_at_end_of_file() {
        let input = testutil::temp_file_with(b"abc");
        let output = testutil::temp_file_with(b"");
        let n = copy_file_range(
            input.as_fd(),
            Some(&mut 3),
            output.as_fd(),
            Some(&mut 0),
            10,
        )
        .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_count_of_zero_is_zero_whatever_the_offsets() {
        let input = testutil::temp_file_with(b"abc");
        let output = testutil::temp_file_with(b"");
        for (from, to) in [(0, -1), (-1, 0), (i64::MIN, i64::MIN), (3, 0)] {
            let (mut at_in, mut at_out) = (from, to);
            let n = copy_file_range(
                input.as_fd(),
                Some(&mut at_in),
                output.as_fd(),
                Some(&mut at_out),
                0,
            );
            assert_eq!(n.unwrap(), 0, "offsets {from}, {to}");
            assert_eq!((at_in, at_out), (from, to));
        }
    }

    #[test]
    fn a_pipe_is_refused_so_the_caller_falls_back() {
        let input = testutil::temp_file_with(b"abc");
        let (_r, w) = testutil::pipe();
        let err = copy_file_range(input.as_fd(), Some(&mut 0), w.as_fd(), None, 3).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EINVAL));
        assert!(err.is_refusal(), "{err}");
        assert!(err.to_string().starts_with("copy_file_range(fd "), "{err}");
    }

    #[test]
    fn overlapping_ranges_in_one_file_are_refused() {
        let file = testutil::temp_file_with(&[7u8; 8192]);
        let err = copy_file_range(
            file.as_fd(),
            Some(&mut 0),
            file.as_fd(),
            Some(&mut 100),
            4096,
        )
        .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EINVAL));
        assert!(err.is_refusal());
    }
}
