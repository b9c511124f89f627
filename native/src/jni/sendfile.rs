//! Export for `sys::sendfile`: file -> any descriptor. The loops and NIO's rules live in
//! `FileTransfers.java` and `Pump.java`.

use std::os::fd::BorrowedFd;

use jni::sys::{jint, jlong};

use super::splice::OUT_MAY_SLEEP;
use super::{borrow, to_usize};
use crate::error::count_or_would_block;
use crate::sys;

native! {
    /// `static native long sendfile0(int out, int in, long position, long count, int flags)`:
    /// bytes sent (0 at end of file) or `WOULD_BLOCK`. `flags` may hold `OUT_MAY_SLEEP`: the
    /// output is made non-blocking for the call (see `sys::fd::nonblocking_during`).
    fn sendfile0(_, fd_out: jint, fd_in: jint, position: jlong, count: jlong, flags: jint) -> jlong {
        let (output, input) = (borrow("sendfile", fd_out)?, borrow("sendfile", fd_in)?);
        let count = to_usize("count", count)?;
        let mut offset = position;
        let sleepers: &[BorrowedFd<'_>] = if flags & OUT_MAY_SLEEP != 0 { &[output] } else { &[] };
        let sent = sys::fd::nonblocking_during(sleepers, || {
            sys::sendfile::sendfile(output, input, &mut offset, count)
        });
        count_or_would_block(sent)
    }
}
