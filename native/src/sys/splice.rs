//! splice(2), tee(2) and vmsplice(2): moving pages between a pipe and anything.

use std::io::IoSlice;
use std::os::fd::BorrowedFd;

use nix::fcntl::{SpliceFFlags, splice as nix_splice, tee as nix_tee, vmsplice as nix_vmsplice};

use super::{MAX_CHUNK, one, retry, room_after, two};
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
    // The kernel refuses (EINVAL) an offset + length past i64::MAX; no file reaches there,
    // so reading at such an offset is end of file.
    let room = in_offset
        .as_deref()
        .map_or(usize::MAX, |&off| room_after(off));
    let count = count.min(MAX_CHUNK).min(room);
    if count == 0 {
        return Ok(0);
    }
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

/// Duplicates up to `count` bytes queued in pipe `input` into pipe `output` without
/// consuming them. Returns 0 when `input` is empty and has no writer left (end of stream).
/// With SPLICE_F_NONBLOCK an empty input (with writers) or a full output is EAGAIN;
/// without it the call sleeps. One kernel call.
pub fn tee(
    input: BorrowedFd<'_>,
    output: BorrowedFd<'_>,
    count: usize,
    flags: SpliceFFlags,
) -> Result<usize> {
    let count = count.min(MAX_CHUNK);
    retry("tee", two(input, output), || {
        nix_tee(input, output, count, flags)
    })
}

/// The most iovecs one vmsplice call takes (Linux's UIO_MAXIOV).
pub const MAX_IOVECS: usize = 1024;

/// Hands the memory in `iov` to pipe `output`; returns the bytes taken (a prefix of the
/// slices). Without SPLICE_F_GIFT the kernel may keep references to the pages rather than
/// copies, so what the reader finally sees is the memory's content when it reads.
///
/// # Safety
/// The memory behind `iov` must stay mapped and unmodified until the pipe's reader has
/// consumed those bytes, which may be long after this call returns.
pub unsafe fn vmsplice(
    output: BorrowedFd<'_>,
    iov: &[IoSlice<'_>],
    flags: SpliceFFlags,
) -> Result<usize> {
    let iov = &iov[..iov.len().min(MAX_IOVECS)];
    // SAFETY: the caller keeps the memory mapped and unchanged until it is read (above).
    retry("vmsplice", one(output), || unsafe {
        nix_vmsplice(output, iov, flags)
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
    fn an_offset_near_i64_max_is_end_of_file_not_einval() {
        let file = testutil::temp_file_with(b"abc");
        let (_r, w) = testutil::pipe();
        for offset in [i64::MAX, i64::MAX - 1, i64::MAX - 4096] {
            let mut at = offset;
            let n = splice(
                file.as_fd(),
                Some(&mut at),
                w.as_fd(),
                None,
                10,
                SpliceFFlags::SPLICE_F_NONBLOCK,
            );
            assert_eq!(n.unwrap(), 0, "offset {offset}");
        }
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

    #[test]
    fn tee_duplicates_without_consuming() {
        let (r, w) = testutil::pipe();
        let (copy_r, copy_w) = testutil::pipe();
        nix::unistd::write(&w, b"twice").unwrap();
        assert_eq!(
            tee(
                r.as_fd(),
                copy_w.as_fd(),
                100,
                SpliceFFlags::SPLICE_F_NONBLOCK
            )
            .unwrap(),
            5
        );
        assert_eq!(
            testutil::read_exact(std::fs::File::from(copy_r), 5),
            b"twice"
        );
        assert_eq!(testutil::read_exact(std::fs::File::from(r), 5), b"twice");
    }

    #[test]
    fn tee_on_empty_pipe_is_eagain_then_end_of_stream_once_the_writer_is_gone() {
        let (r, w) = testutil::pipe();
        let (_copy_r, copy_w) = testutil::pipe();
        let err = tee(
            r.as_fd(),
            copy_w.as_fd(),
            10,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EAGAIN));
        drop(w);
        assert_eq!(
            tee(
                r.as_fd(),
                copy_w.as_fd(),
                10,
                SpliceFFlags::SPLICE_F_NONBLOCK
            )
            .unwrap(),
            0
        );
    }

    #[test]
    fn tee_on_a_socket_is_refused() {
        let (a, _b) = testutil::tcp_pair();
        let (_r, w) = testutil::pipe();
        let err = tee(a.as_fd(), w.as_fd(), 10, SpliceFFlags::SPLICE_F_NONBLOCK).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EINVAL));
        assert!(err.to_string().starts_with("tee(fd "), "{err}");
    }

    #[test]
    fn vmsplice_gathers_slices_in_order() {
        let (r, w) = testutil::pipe();
        let (first, second) = (b"gather ".to_vec(), b"these".to_vec());
        let iov = [IoSlice::new(&first), IoSlice::new(&second)];
        // SAFETY: both vectors live until after the pipe was read below.
        let n = unsafe { vmsplice(w.as_fd(), &iov, SpliceFFlags::SPLICE_F_NONBLOCK) }.unwrap();
        assert_eq!(n, 12);
        assert_eq!(
            testutil::read_exact(std::fs::File::from(r), 12),
            b"gather these"
        );
    }

    #[test]
    fn vmsplice_into_a_full_nonblocking_pipe_takes_a_prefix_then_eagain() {
        let (r, w) = testutil::pipe();
        let data = vec![7u8; 200_000];
        // SAFETY: `data` outlives the reads below.
        let n = unsafe {
            vmsplice(
                w.as_fd(),
                &[IoSlice::new(&data)],
                SpliceFFlags::SPLICE_F_NONBLOCK,
            )
        }
        .unwrap();
        assert!(n > 0 && n < data.len(), "took {n}");
        // SAFETY: as above.
        let err = unsafe {
            vmsplice(
                w.as_fd(),
                &[IoSlice::new(&data[n..])],
                SpliceFFlags::SPLICE_F_NONBLOCK,
            )
        }
        .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EAGAIN));
        assert_eq!(testutil::read_exact(std::fs::File::from(r), n), &data[..n]);
    }

    #[test]
    fn vmsplice_into_a_socket_is_refused() {
        let (a, _b) = testutil::tcp_pair();
        let data = [1u8; 4];
        // SAFETY: `data` outlives the call, which fails before reading it.
        let err = unsafe { vmsplice(a.as_fd(), &[IoSlice::new(&data)], SpliceFFlags::empty()) }
            .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EBADF));
    }
}
