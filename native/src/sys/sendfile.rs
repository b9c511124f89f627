//! sendfile(2): file -> any descriptor, inside the kernel.

use std::os::fd::BorrowedFd;

use nix::sys::sendfile::sendfile64;

use super::{MAX_CHUNK, retry, room_after, two};
use crate::error::Result;

/// Sends up to `count` bytes of `input` starting at `*offset` to `output`, advancing
/// `*offset` by what was sent; the input's file position is not used or changed.
/// Returns 0 at end of file. One kernel call: the caller loops.
pub fn sendfile(
    output: BorrowedFd<'_>,
    input: BorrowedFd<'_>,
    offset: &mut i64,
    count: usize,
) -> Result<usize> {
    // As for splice: an offset + length past i64::MAX is EINVAL; it can only be end of file.
    let count = count.min(MAX_CHUNK).min(room_after(*offset));
    if count == 0 {
        return Ok(0);
    }
    retry("sendfile", two(input, output), || {
        sendfile64(output, input, Some(&mut *offset), count)
    })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::sys::testutil;

    #[test]
    fn sends_a_file_range_to_a_socket_and_advances_the_offset() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let file = testutil::temp_file_with(&data);
        let (a, b) = testutil::tcp_pair();
        let mut offset = 10;
        let mut sent = 0;
        while sent < 50_000 {
            let n = sendfile(a.as_fd(), file.as_fd(), &mut offset, 50_000 - sent).unwrap();
            assert!(n > 0);
            sent += n;
        }
        assert_eq!(offset, 50_010);
        assert_eq!(testutil::read_exact(&b, 50_000), &data[10..50_010]);
    }

    #[test]
    fn an_offset_at_i64_max_is_end_of_file_not_einval() {
        let file = testutil::temp_file_with(b"abc");
        let (a, _b) = testutil::tcp_pair();
        assert_eq!(
            sendfile(a.as_fd(), file.as_fd(), &mut { i64::MAX }, 10).unwrap(),
            0
        );
        // Below i64::MAX but past the file system's largest file, sendfile says EOVERFLOW:
        // callers that know the file's size (the Java side) stop at end of file first.
        let err = sendfile(a.as_fd(), file.as_fd(), &mut { i64::MAX - 1 }, 10).unwrap_err();
        assert_eq!(err.errno(), Some(nix::errno::Errno::EOVERFLOW));
    }

    #[test]
    fn returns_zero_at_end_of_file() {
        let file = testutil::temp_file_with(b"abc");
        let (a, _b) = testutil::tcp_pair();
        let mut offset = 3;
        assert_eq!(
            sendfile(a.as_fd(), file.as_fd(), &mut offset, 10).unwrap(),
            0
        );
    }

    #[test]
    fn a_pipe_at_an_offset_is_an_illegal_seek_named_in_the_error() {
        let (r, _w) = testutil::pipe();
        let (a, _b) = testutil::tcp_pair();
        let err = sendfile(a.as_fd(), r.as_fd(), &mut 0, 10).unwrap_err();
        assert_eq!(err.errno(), Some(nix::errno::Errno::ESPIPE));
        assert!(err.to_string().starts_with("sendfile(fd "), "{err}");
    }
}
