//! Exports for `sys::poll`: waiting for one descriptor with a timeout (platform threads), and
//! the library's epoll poller (virtual threads park while it waits for them).

use std::os::fd::IntoRawFd;

use jni::objects::JIntArray;
use jni::sys::jint;

use super::borrow;
use crate::sys;

native! {
    /// `static native int poll0(int fd, int interest, int timeoutMillis)`: ready bits or 0.
    fn poll0(_, fd: jint, interest: jint, timeout_ms: jint) -> jint {
        let timeout = u16::try_from(timeout_ms.max(0)).unwrap_or(u16::MAX);
        sys::poll::wait(borrow("poll", fd)?, interest, timeout)
    }
}

native! {
    /// `static native int epollCreate0()`: a new epoll descriptor, owned by the caller.
    fn epollCreate0(_) -> jint {
        Ok(sys::poll::epoll_create()?.into_raw_fd())
    }
}

native! {
    /// `static native void epollArm0(int epfd, int fd, int interest)`: one report of
    /// `interest` (`Native.READABLE`/`WRITABLE`) for `fd`, see `sys::poll::arm_once`.
    fn epollArm0(_, epfd: jint, fd: jint, interest: jint) {
        sys::poll::arm_once(borrow("epoll_ctl", epfd)?, borrow("epoll_ctl", fd)?, interest)
    }
}

native! {
    /// `static native int epollWait0(int epfd, int[] ready, int timeoutMillis)`: fills
    /// `ready` with the descriptors that fired and returns how many (0 on timeout).
    fn epollWait0(env, epfd: jint, ready: JIntArray<'local>, timeout_ms: jint) -> jint {
        let mut fired = vec![0; ready.len(env)?];
        let n = sys::poll::ready(borrow("epoll_wait", epfd)?, &mut fired, timeout_ms)?;
        ready.set_region(env, 0, &fired[..n])?;
        Ok(n as jint)
    }
}
