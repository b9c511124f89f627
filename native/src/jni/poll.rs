//! Export for `sys::poll`: waiting for one descriptor with a timeout.

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
