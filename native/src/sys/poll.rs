//! Waiting for one descriptor with a timeout; the Java side loops, checking close and
//! interrupt between waits, so a wait never outlives its channel by more than one timeout.

use std::os::fd::BorrowedFd;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use nix::errno::Errno;

use super::one;
use crate::error::{Error, Result};

/// What to wait for, and what happened (bit set).
pub const READABLE: i32 = 1;
pub const WRITABLE: i32 = 2;
/// The descriptor reported an error or hang-up: the next call on it will say which.
pub const FAILED: i32 = 4;

/// Waits up to `timeout_ms` for `interest`; returns the ready bits, 0 on timeout.
/// An interrupted wait (EINTR) counts as a timeout: the caller re-checks and waits again.
pub fn wait(fd: BorrowedFd<'_>, interest: i32, timeout_ms: u16) -> Result<i32> {
    let mut events = PollFlags::empty();
    if interest & READABLE != 0 {
        events |= PollFlags::POLLIN;
    }
    if interest & WRITABLE != 0 {
        events |= PollFlags::POLLOUT;
    }
    let mut fds = [PollFd::new(fd, events)];
    let ready = match poll(&mut fds, PollTimeout::from(timeout_ms)) {
        Ok(ready) => ready,
        Err(Errno::EINTR) => 0,
        Err(errno) => return Err(Error::os("poll", one(fd), errno)),
    };
    if ready == 0 {
        return Ok(0);
    }
    let revents = fds[0].revents().unwrap_or(PollFlags::empty());
    let mut bits = 0;
    if revents.contains(PollFlags::POLLIN) {
        bits |= READABLE;
    }
    if revents.contains(PollFlags::POLLOUT) {
        bits |= WRITABLE;
    }
    if revents.intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL) {
        bits |= FAILED;
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::sys::testutil;

    #[test]
    fn empty_pipe_times_out_and_written_pipe_is_readable() {
        let (r, w) = testutil::pipe();
        assert_eq!(wait(r.as_fd(), READABLE, 10).unwrap(), 0);
        assert_eq!(wait(w.as_fd(), WRITABLE, 10).unwrap(), WRITABLE);
        nix::unistd::write(&w, b"x").unwrap();
        assert_eq!(wait(r.as_fd(), READABLE, 10).unwrap(), READABLE);
    }

    #[test]
    fn closed_writer_wakes_reader_with_hangup() {
        let (r, w) = testutil::pipe();
        drop(w);
        assert_ne!(wait(r.as_fd(), READABLE, 1000).unwrap() & FAILED, 0);
    }
}
