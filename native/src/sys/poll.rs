//! Waiting for descriptors. Platform threads wait for one descriptor with `poll` and a
//! timeout; virtual threads register with an epoll instance that a library thread waits
//! on (one-shot arming), so their carrier is never held in the kernel. Either way the Java
//! side loops, checking close and interrupt between waits, so a wait never outlives its
//! channel by more than one timeout.

use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use nix::errno::Errno;

use super::{one, two};
use crate::error::{Error, Fds, Result};

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

/// A new epoll instance (close-on-exec) for [`arm_once`] and [`ready`].
pub fn epoll_create() -> Result<OwnedFd> {
    Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
        .map(|epoll| epoll.0)
        .map_err(|errno| Error::os("epoll_create1", Fds::None, errno))
}

/// nix's `Epoll` over a borrowed descriptor, never dropped, so never closed.
fn view(epoll: BorrowedFd<'_>) -> ManuallyDrop<Epoll> {
    // SAFETY: the number is open for the borrow's lifetime, and the ManuallyDrop is never
    // dropped, so this OwnedFd never closes the descriptor it does not own.
    ManuallyDrop::new(Epoll(unsafe { OwnedFd::from_raw_fd(epoll.as_raw_fd()) }))
}

/// Arms `fd` on `epoll` for one report of `interest` (EPOLLONESHOT): re-arms an existing
/// registration, or adds one. The event carries the descriptor number. Errors and hang-ups
/// are reported whatever the interest, so a waiter always wakes to find them.
pub fn arm_once(epoll: BorrowedFd<'_>, fd: BorrowedFd<'_>, interest: i32) -> Result<()> {
    let mut flags = EpollFlags::EPOLLONESHOT;
    if interest & READABLE != 0 {
        flags |= EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP;
    }
    if interest & WRITABLE != 0 {
        flags |= EpollFlags::EPOLLOUT;
    }
    let mut event = EpollEvent::new(flags, fd.as_raw_fd() as u64);
    let instance = view(epoll);
    // Re-arming is the common case (a connection waits again and again); two threads
    // arming the same new descriptor at once may each see the other's ADD or MOD first.
    let result = match instance.modify(fd, &mut event) {
        Err(Errno::ENOENT) => match instance.add(fd, event) {
            Err(Errno::EEXIST) => instance.modify(fd, &mut event),
            other => other,
        },
        other => other,
    };
    result.map_err(|errno| Error::os("epoll_ctl", two(epoll, fd), errno))
}

/// Waits up to `timeout_ms` (-1: without limit) for armed descriptors and writes the
/// numbers of those that fired into `ready`; returns how many. EINTR counts as none.
pub fn ready(epoll: BorrowedFd<'_>, ready: &mut [i32], timeout_ms: i32) -> Result<usize> {
    let mut events = vec![EpollEvent::empty(); ready.len()];
    let timeout = if timeout_ms < 0 {
        EpollTimeout::NONE
    } else {
        EpollTimeout::try_from(timeout_ms).unwrap_or(EpollTimeout::MAX)
    };
    let n = match view(epoll).wait(&mut events, timeout) {
        Ok(n) => n,
        Err(Errno::EINTR) => 0,
        Err(errno) => return Err(Error::os("epoll_wait", one(epoll), errno)),
    };
    for (slot, event) in ready.iter_mut().zip(&events[..n]) {
        *slot = event.data() as i32;
    }
    Ok(n)
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

    #[test]
    fn armed_descriptor_fires_once_until_rearmed() {
        let epoll = epoll_create().unwrap();
        let (r, w) = testutil::pipe();
        let mut fired = [0; 4];
        arm_once(epoll.as_fd(), r.as_fd(), READABLE).unwrap();
        assert_eq!(ready(epoll.as_fd(), &mut fired, 10).unwrap(), 0);
        nix::unistd::write(&w, b"x").unwrap();
        assert_eq!(ready(epoll.as_fd(), &mut fired, 1000).unwrap(), 1);
        assert_eq!(fired[0], r.as_raw_fd());
        // One-shot: still readable, but silent until armed again.
        assert_eq!(ready(epoll.as_fd(), &mut fired, 10).unwrap(), 0);
        arm_once(epoll.as_fd(), r.as_fd(), READABLE).unwrap();
        assert_eq!(ready(epoll.as_fd(), &mut fired, 1000).unwrap(), 1);
    }

    #[test]
    fn writable_interest_and_hangup_are_reported() {
        let epoll = epoll_create().unwrap();
        let (r, w) = testutil::pipe();
        let mut fired = [0; 4];
        arm_once(epoll.as_fd(), w.as_fd(), WRITABLE).unwrap();
        assert_eq!(ready(epoll.as_fd(), &mut fired, 1000).unwrap(), 1);
        assert_eq!(fired[0], w.as_raw_fd());
        let reader = r.as_raw_fd();
        arm_once(epoll.as_fd(), r.as_fd(), READABLE).unwrap();
        drop(w);
        assert_eq!(ready(epoll.as_fd(), &mut fired, 1000).unwrap(), 1);
        assert_eq!(fired[0], reader);
    }

    #[test]
    fn closed_descriptor_leaves_the_interest_list() {
        let epoll = epoll_create().unwrap();
        let (r, w) = testutil::pipe();
        arm_once(epoll.as_fd(), r.as_fd(), READABLE).unwrap();
        drop(r);
        nix::unistd::write(&w, b"x").unwrap_or(0);
        let mut fired = [0; 4];
        assert_eq!(ready(epoll.as_fd(), &mut fired, 10).unwrap(), 0);
    }
}
