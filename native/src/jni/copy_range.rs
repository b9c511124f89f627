//! Export for `sys::copy_range`: copy_file_range, file -> file inside the kernel. The
//! loop and the fallbacks live in `FileTransfers.java`.

use jni::sys::{jint, jlong};

use super::{borrow, to_usize};
use crate::error::count_or_would_block;
use crate::sys;

native! {
    /// `static native long copyFileRange0(int in, long inOffset, int out, long outOffset,
    /// long count)`: an offset of -1 means "the descriptor's own position" (used and
    /// advanced). Returns bytes copied, 0 at end of file, `WOULD_BLOCK` for EAGAIN; a
    /// refusal (EINVAL, EXDEV, ENOSYS, EOPNOTSUPP) is thrown as an `ErrnoException` whose
    /// `refused()` is true.
    fn copyFileRange0(
        _,
        fd_in: jint,
        in_offset: jlong,
        fd_out: jint,
        out_offset: jlong,
        count: jlong,
    ) -> jlong {
        let (input, output) = (
            borrow("copy_file_range", fd_in)?,
            borrow("copy_file_range", fd_out)?,
        );
        let (mut in_pos, mut out_pos) = (in_offset, out_offset);
        let copied = sys::copy_range::copy_file_range(
            input,
            (in_offset >= 0).then_some(&mut in_pos),
            output,
            (out_offset >= 0).then_some(&mut out_pos),
            to_usize("count", count)?,
        );
        count_or_would_block(copied)
    }
}
