//! Export for `sys::sendfile`: file -> any descriptor. The loops and NIO's rules live in
//! `FileTransfers.java` and `Pump.java`.

use jni::sys::{jint, jlong};

use super::{borrow, to_usize};
use crate::error::count_or_would_block;
use crate::sys;

native! {
    /// `static native long sendfile0(int out, int in, long position, long count)`: bytes
    /// sent (0 at end of file) or `WOULD_BLOCK`.
    fn sendfile0(_, fd_out: jint, fd_in: jint, position: jlong, count: jlong) -> jlong {
        let (output, input) = (borrow("sendfile", fd_out)?, borrow("sendfile", fd_in)?);
        let mut offset = position;
        let sent = sys::sendfile::sendfile(output, input, &mut offset, to_usize("count", count)?);
        count_or_would_block(sent)
    }
}
