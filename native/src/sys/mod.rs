//! Plain Rust over `nix`: one module per syscall family, no JNI types.
//!
//! Every function takes borrowed descriptors and returns `Result<_, Error>` with the
//! errno and the descriptors in the error. The one retry policy (EINTR) is [`retry`];
//! nothing else here retries or waits.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

use crate::error::{Error, Fds, Result};

pub mod copy_range;
pub mod fd;
pub mod mmap;
pub mod pipe;
pub mod poll;
pub mod sendfile;
pub mod splice;

#[cfg(test)]
mod properties;

/// Runs one system call, repeating it while it fails with EINTR, and names the failure.
pub(crate) fn retry<T>(
    op: &'static str,
    fds: Fds,
    mut call: impl FnMut() -> nix::Result<T>,
) -> Result<T> {
    loop {
        match call() {
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(Error::os(op, fds, errno)),
            Ok(value) => return Ok(value),
        }
    }
}

pub(crate) fn one(fd: BorrowedFd<'_>) -> Fds {
    Fds::One(fd.as_raw_fd())
}

pub(crate) fn two(from: BorrowedFd<'_>, to: BorrowedFd<'_>) -> Fds {
    Fds::Two(from.as_raw_fd(), to.as_raw_fd())
}

/// How many bytes fit between `offset` and i64::MAX: the kernel rejects an offset + length
/// beyond it with EINVAL. A negative offset (the callers never pass one) counts as 0, so
/// the clamp leaves it to the kernel's EINVAL rather than turning it into end of file.
pub(crate) fn room_after(offset: i64) -> usize {
    usize::try_from(i64::MAX.saturating_sub(offset.max(0))).unwrap_or(usize::MAX)
}

/// The most one kernel transfer call moves (Linux's MAX_RW_COUNT); asking for more is
/// allowed but pointless, so callers clamp to it.
pub const MAX_CHUNK: usize = 0x7fff_f000;

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use nix::errno::Errno;

    use super::*;

    #[test]
    fn room_after_counts_a_negative_offset_as_zero() {
        assert_eq!(room_after(0), i64::MAX as usize);
        assert_eq!(room_after(-1), room_after(0));
        assert_eq!(room_after(i64::MIN), room_after(0));
        assert_eq!(room_after(i64::MAX - 5), 5);
        assert_eq!(room_after(i64::MAX), 0);
    }

    #[test]
    fn a_negative_offset_is_einval_not_end_of_file() {
        let file = testutil::temp_file_with(b"abc");
        let (a, _b) = testutil::tcp_pair();
        let (_r, w) = testutil::pipe();
        for offset in [-1, i64::MIN] {
            let err = sendfile::sendfile(a.as_fd(), file.as_fd(), &mut { offset }, 3).unwrap_err();
            assert_eq!(err.errno(), Some(Errno::EINVAL), "sendfile at {offset}");
            let err = splice::splice(
                file.as_fd(),
                Some(&mut { offset }),
                w.as_fd(),
                None,
                3,
                nix::fcntl::SpliceFFlags::SPLICE_F_NONBLOCK,
            )
            .unwrap_err();
            assert_eq!(err.errno(), Some(Errno::EINVAL), "splice at {offset}");
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::OwnedFd;

    /// A connected loopback TCP pair.
    pub fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (client, server)
    }

    pub fn pipe() -> (OwnedFd, OwnedFd) {
        super::pipe::pipe().expect("pipe")
    }

    pub fn temp_file_with(bytes: &[u8]) -> std::fs::File {
        let path = std::env::temp_dir().join(format!(
            "zerocopy-sys-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("open temp file");
        std::fs::remove_file(&path).expect("unlink temp file");
        file.write_all(bytes).expect("write");
        file
    }

    pub fn read_exact(mut from: impl Read, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        from.read_exact(&mut buf).expect("read_exact");
        buf
    }

    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
}
