//! splice(2), tee(2) and vmsplice(2): moving pages between a pipe and anything.

use std::ffi::c_void;
use std::io::IoSlice;
use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use nix::sys::mman::{self, MapFlags, ProtFlags};

use nix::fcntl::{SpliceFFlags, splice as nix_splice, tee as nix_tee, vmsplice as nix_vmsplice};

use super::{MAX_CHUNK, one, retry, room_after, two};
use crate::error::{Fds, Result};

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

/// Hands the bytes of `slices`, in order, to pipe `output` with vmsplice(2), as a snapshot:
/// they are first copied into anonymous pages mapped for this call alone, which are
/// unmapped before it returns. vmsplice puts references to pages, not copies, into the pipe
/// (and on into any pipe it is teed to or socket it is spliced to); pages that only the pipe
/// still references can never be written again nor handed to another owner, so no later
/// change, free or reuse of the caller's memory can reach a reader. Takes at most the pipe's
/// capacity (the rest would be copied for nothing); returns the bytes taken, a prefix.
pub fn vmsplice_copy(
    output: BorrowedFd<'_>,
    slices: &[&[u8]],
    flags: SpliceFFlags,
) -> Result<usize> {
    let room = super::pipe::capacity(output)?;
    let offered = slices
        .iter()
        .fold(0usize, |sum, s| sum.saturating_add(s.len()));
    let len = offered.min(room).min(MAX_CHUNK);
    let Some(size) = NonZeroUsize::new(len) else {
        return Ok(0);
    };
    let pages = OwnedPages::new(size)?;
    // SAFETY: `pages` is a fresh private read-write mapping of `len` bytes that nothing
    // else can see; the slice does not outlive it.
    let copy = unsafe { std::slice::from_raw_parts_mut(pages.ptr.as_ptr().cast::<u8>(), len) };
    let mut at = 0;
    for slice in slices {
        let n = slice.len().min(len - at);
        copy[at..at + n].copy_from_slice(&slice[..n]);
        at += n;
        if at == len {
            break;
        }
    }
    let iov = [IoSlice::new(copy)];
    // SAFETY: the pages are never written again after this call: `pages` is unmapped when
    // it drops below, and the library keeps no other mapping of them. That is also what
    // SPLICE_F_GIFT promises the kernel.
    retry("vmsplice", one(output), || unsafe {
        nix_vmsplice(output, &iov, flags | SpliceFFlags::SPLICE_F_GIFT)
    })
}

/// An anonymous private mapping owned by one vmsplice call; dropping it unmaps it. The
/// physical pages live on while a pipe (or a socket's send queue) holds references to them.
struct OwnedPages {
    ptr: NonNull<c_void>,
    len: NonZeroUsize,
}

impl OwnedPages {
    fn new(len: NonZeroUsize) -> Result<Self> {
        // SAFETY: no address hint and no MAP_FIXED: the kernel picks a free range, so no
        // existing memory is affected.
        let ptr = retry("mmap", Fds::None, || unsafe {
            mman::mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        })?;
        Ok(Self { ptr, len })
    }
}

impl Drop for OwnedPages {
    fn drop(&mut self) {
        // SAFETY: the mapping was created by `new` and is used by no one after this. munmap
        // of a whole mapping we own only fails for invalid arguments, which it is not.
        let _ = unsafe { mman::munmap(self.ptr, self.len.get()) };
    }
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
        let n = vmsplice_copy(
            w.as_fd(),
            &[&first, &second],
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap();
        assert_eq!(n, 12);
        assert_eq!(
            testutil::read_exact(std::fs::File::from(r), 12),
            b"gather these"
        );
    }

    #[test]
    fn vmsplice_sends_what_the_memory_held_during_the_call_not_later() {
        let (r, w) = testutil::pipe();
        let (copy_r, copy_w) = testutil::pipe();
        let mut source = vec![b'a'; 8192];
        let n = vmsplice_copy(w.as_fd(), &[&source], SpliceFFlags::SPLICE_F_NONBLOCK).unwrap();
        assert_eq!(n, 8192);
        tee(
            r.as_fd(),
            copy_w.as_fd(),
            n,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .unwrap();
        source.fill(b'X');
        drop(source); // freed: malloc may hand the memory to anyone now
        let reuse = vec![b'S'; 8192];
        assert_eq!(
            testutil::read_exact(std::fs::File::from(r), 8192),
            vec![b'a'; 8192]
        );
        assert_eq!(
            testutil::read_exact(std::fs::File::from(copy_r), 8192),
            vec![b'a'; 8192]
        );
        drop(reuse);
    }

    #[test]
    fn vmsplice_takes_at_most_the_pipe_capacity() {
        let (_r, w) = testutil::pipe();
        let big = vec![7u8; 1 << 20];
        let capacity = crate::sys::pipe::capacity(w.as_fd()).unwrap();
        let n = vmsplice_copy(w.as_fd(), &[&big], SpliceFFlags::SPLICE_F_NONBLOCK).unwrap();
        assert_eq!(n, capacity);
        let err = vmsplice_copy(w.as_fd(), &[&big], SpliceFFlags::SPLICE_F_NONBLOCK).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EAGAIN));
        assert_eq!(
            vmsplice_copy(w.as_fd(), &[], SpliceFFlags::SPLICE_F_NONBLOCK).unwrap(),
            0
        );
    }

    #[test]
    fn vmsplice_into_a_socket_is_refused() {
        let (a, _b) = testutil::tcp_pair();
        let data = [1u8; 4];
        let err = vmsplice_copy(a.as_fd(), &[&data], SpliceFFlags::empty()).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EBADF));
    }
}
