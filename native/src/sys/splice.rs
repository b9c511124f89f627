//! splice(2) (and, later, tee and vmsplice): moving pages between a pipe and anything.

use std::os::fd::BorrowedFd;

use nix::fcntl::{SpliceFFlags, splice as nix_splice};

use super::{MAX_CHUNK, retry, two};
use crate::error::Result;

/// The SPLICE_F_* bits as the Java side passes them (`SpliceFlag` ordinal bits).
pub fn flags_from_bits(bits: i32) -> SpliceFFlags {
    SpliceFFlags::from_bits_truncate(bits as u32)
}

/// Moves up to `count` bytes from `input` to `output`; one side must be a pipe.
/// `in_offset`/`out_offset`: `Some` for a file side read or written at that offset (the
/// offset is advanced, the file position is not used), `None` to use the file position.
/// Returns 0 when the input is at end of stream (or `count` is 0). One kernel call.
pub fn splice(
    input: BorrowedFd<'_>,
    in_offset: Option<&mut i64>,
    output: BorrowedFd<'_>,
    out_offset: Option<&mut i64>,
    count: usize,
    flags: SpliceFFlags,
) -> Result<usize> {
    let count = count.min(MAX_CHUNK);
    let mut in_offset = in_offset;
    let mut out_offset = out_offset;
    retry("splice", two(input, output), || {
        nix_splice(
            input,
            in_offset.as_deref_mut(),
            output,
            out_offset.as_deref_mut(),
            count,
            flags,
        )
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::fd::AsFd;

    use nix::errno::Errno;

    use super::*;
    use crate::sys::testutil;

    #[test]
    fn socket_to_pipe_to_socket_carries_the_bytes() {
        let (client, server) = testutil::tcp_pair();
        let (out_client, out_server) = testutil::tcp_pair();
        let (r, w) = testutil::pipe();
        (&client).write_all(b"through the pipe").unwrap();
        let n = splice(
            server.as_fd(),
            None,
            w.as_fd(),
            None,
            1 << 20,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap();
        assert_eq!(n, 16);
        let m = splice(
            r.as_fd(),
            None,
            out_client.as_fd(),
            None,
            n,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap();
        assert_eq!(m, 16);
        assert_eq!(testutil::read_exact(&out_server, 16), b"through the pipe");
    }

    #[test]
    fn file_offset_is_used_and_advanced() {
        let file = testutil::temp_file_with(b"0123456789");
        let (r, w) = testutil::pipe();
        let mut offset = 4;
        let n = splice(
            file.as_fd(),
            Some(&mut offset),
            w.as_fd(),
            None,
            3,
            SpliceFFlags::empty(),
        )
        .unwrap();
        assert_eq!((n, offset), (3, 7));
        assert_eq!(testutil::read_exact(std::fs::File::from(r), 3), b"456");
    }

    #[test]
    fn empty_nonblocking_pipe_is_eagain_and_closed_writer_is_end_of_stream() {
        let (r, w) = testutil::pipe();
        let (sink_r, sink_w) = testutil::pipe();
        let err = splice(
            r.as_fd(),
            None,
            sink_w.as_fd(),
            None,
            10,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EAGAIN));
        drop(w);
        assert_eq!(
            splice(
                r.as_fd(),
                None,
                sink_w.as_fd(),
                None,
                10,
                SpliceFFlags::SPLICE_F_NONBLOCK
            )
            .unwrap(),
            0
        );
        drop(sink_r);
    }

    #[test]
    fn two_files_are_refused_with_einval() {
        let a = testutil::temp_file_with(b"abc");
        let b = testutil::temp_file_with(b"");
        let err = splice(
            a.as_fd(),
            Some(&mut 0),
            b.as_fd(),
            Some(&mut 0),
            3,
            SpliceFFlags::empty(),
        )
        .unwrap_err();
        assert!(err.is_refusal());
    }
}
