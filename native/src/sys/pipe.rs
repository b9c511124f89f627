//! Kernel pipes: creation, capacity (F_GETPIPE_SZ / F_SETPIPE_SZ), bytes queued (FIONREAD).

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::unistd::pipe2;

use super::{one, retry};
use crate::error::{Error, Fds, Result};

/// A new pipe `(read end, write end)`, close-on-exec and non-blocking: the library's own
/// pipes are only ever driven by non-blocking splice calls.
pub fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    retry("pipe2", Fds::None, || {
        pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
    })
}

pub fn capacity(fd: BorrowedFd<'_>) -> Result<usize> {
    let size = retry("fcntl(F_GETPIPE_SZ)", one(fd), || {
        fcntl(fd, FcntlArg::F_GETPIPE_SZ)
    })?;
    Ok(size as usize)
}

/// Sets the capacity; the kernel rounds it up to a power-of-two number of pages and
/// returns what it chose. EPERM above /proc/sys/fs/pipe-max-size for unprivileged users,
/// EBUSY when the pipe holds more than the new size.
pub fn set_capacity(fd: BorrowedFd<'_>, bytes: usize) -> Result<usize> {
    let bytes = i32::try_from(bytes)
        .map_err(|_| Error::InvalidArgument(format!("pipe capacity {bytes} is too large")))?;
    let size = retry("fcntl(F_SETPIPE_SZ)", one(fd), || {
        fcntl(fd, FcntlArg::F_SETPIPE_SZ(bytes))
    })?;
    Ok(size as usize)
}

nix::ioctl_read_bad!(fionread, nix::libc::FIONREAD, nix::libc::c_int);

/// Bytes that can be read now without blocking (pipes and sockets).
pub fn available(fd: BorrowedFd<'_>) -> Result<usize> {
    let mut n: nix::libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which outlives the call; the
    // descriptor is borrowed, so it stays open for the duration of the ioctl.
    retry("ioctl(FIONREAD)", one(fd), || unsafe {
        fionread(fd.as_raw_fd(), &mut n)
    })?;
    Ok(n.max(0) as usize)
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn capacity_can_be_raised_and_read_back() {
        let (r, w) = pipe().unwrap();
        assert_eq!(capacity(r.as_fd()).unwrap(), 65536);
        let chosen = set_capacity(w.as_fd(), 256 * 1024).unwrap();
        assert_eq!(chosen, 256 * 1024);
        assert_eq!(capacity(r.as_fd()).unwrap(), 256 * 1024);
    }

    #[test]
    fn available_counts_queued_bytes() {
        let (r, w) = pipe().unwrap();
        assert_eq!(available(r.as_fd()).unwrap(), 0);
        nix::unistd::write(&w, b"hello").unwrap();
        assert_eq!(available(r.as_fd()).unwrap(), 5);
    }

    #[test]
    fn absurd_capacity_is_an_invalid_argument() {
        let (_r, w) = pipe().unwrap();
        assert!(matches!(
            set_capacity(w.as_fd(), usize::MAX),
            Err(Error::InvalidArgument(_))
        ));
    }
}
