//! Exports for `sys::splice`: splice, tee and vmsplice, one kernel call each, no loops,
//! no policy (the loops live in `Pump.java` and `PipeOps.java`).

use jni::objects::{JByteBuffer, JLongArray};
use jni::sys::{jint, jlong};

use super::{borrow, to_usize};
use crate::error::{Error, count_or_would_block};
use crate::sys;

/// `Native.IN_MAY_SLEEP` / `OUT_MAY_SLEEP`: bits above SPLICE_F_* in `flags` asking that the
/// input / output be made non-blocking for the call (see `sys::fd::nonblocking_during`).
pub(super) const IN_MAY_SLEEP: jint = 1 << 16;
pub(super) const OUT_MAY_SLEEP: jint = 1 << 17;

native! {
    /// `static native long splice0(int in, long inOffset, int out, long outOffset, long count,
    /// int flags)`: an offset of -1 means "the descriptor's own position". Returns bytes
    /// moved, 0 at end of stream, `WOULD_BLOCK` for EAGAIN.
    fn splice0(
        _,
        fd_in: jint,
        in_offset: jlong,
        fd_out: jint,
        out_offset: jlong,
        count: jlong,
        flags: jint,
    ) -> jlong {
        let (input, output) = (borrow("splice", fd_in)?, borrow("splice", fd_out)?);
        let (mut in_pos, mut out_pos) = (in_offset, out_offset);
        let count = to_usize("count", count)?;
        let mut sleepers = Vec::new(); // allocates only for a descriptor that may sleep
        if flags & IN_MAY_SLEEP != 0 {
            sleepers.push(input);
        }
        if flags & OUT_MAY_SLEEP != 0 {
            sleepers.push(output);
        }
        let moved = sys::fd::nonblocking_during(&sleepers, || {
            sys::splice::splice(
                input,
                (in_offset >= 0).then_some(&mut in_pos),
                output,
                (out_offset >= 0).then_some(&mut out_pos),
                count,
                sys::splice::flags_from_bits(flags),
            )
        });
        count_or_would_block(moved)
    }
}

native! {
    /// `static native long tee0(int in, int out, long count, int flags)`: bytes duplicated,
    /// 0 at end of stream, `WOULD_BLOCK` for EAGAIN.
    fn tee0(_, fd_in: jint, fd_out: jint, count: jlong, flags: jint) -> jlong {
        let (input, output) = (borrow("tee", fd_in)?, borrow("tee", fd_out)?);
        let count = to_usize("count", count)?;
        let flags = sys::splice::flags_from_bits(flags);
        count_or_would_block(sys::splice::tee(input, output, count, flags))
    }
}

native! {
    /// `static native long address0(ByteBuffer direct)`: the address of a direct buffer's
    /// first byte, for vmsplice0 (Java passes position and limit itself; the capacity is
    /// not used).
    fn address0(env, buffer: JByteBuffer<'local>) -> jlong {
        let address = env.get_direct_buffer_address(&buffer)?;
        if address.is_null() {
            return Err(Error::InvalidArgument("not a direct buffer".into()));
        }
        Ok(address as jlong)
    }
}

native! {
    /// `static native long vmsplice0(int fd, long[] iov, int count, int flags)`: `iov` holds
    /// `count` quadruples (address, capacity, offset, length) of direct buffers, `offset` and
    /// `length` read once from the buffer's position and limit; every one must lie inside its
    /// buffer. The bytes are copied into pages the library owns before the pipe sees them (see
    /// `sys::splice::vmsplice_copy`). Returns the bytes the pipe took (a prefix) or `WOULD_BLOCK`.
    fn vmsplice0(env, fd: jint, iov: JLongArray<'local>, count: jint, flags: jint) -> jlong {
        let output = borrow("vmsplice", fd)?;
        let quads = to_usize("iovec count", count.into())?.min(sys::splice::MAX_IOVECS);
        let mut raw = vec![0 as jlong; quads * 4];
        iov.get_region(env, 0, &mut raw)?;
        let mut slices = Vec::with_capacity(quads);
        for quad in raw.chunks_exact(4) {
            let (address, capacity) = (quad[0], to_usize("capacity", quad[1])?);
            let (offset, length) = (to_usize("offset", quad[2])?, to_usize("length", quad[3])?);
            if address == 0 {
                return Err(Error::InvalidArgument("null buffer address".into()));
            }
            if offset.checked_add(length).is_none_or(|end| end > capacity) {
                return Err(Error::InvalidArgument(format!(
                    "range {offset}+{length} is outside a buffer of capacity {capacity}"
                )));
            }
            // SAFETY: `address..address+capacity` is a direct buffer that Java keeps
            // reachable for the whole call, and offset + length <= capacity was checked
            // above, so the range is mapped and readable while this slice lives.
            let bytes =
                unsafe { std::slice::from_raw_parts((address as *const u8).add(offset), length) };
            slices.push(bytes);
        }
        let flags = sys::splice::flags_from_bits(flags);
        count_or_would_block(sys::splice::vmsplice_copy(output, &slices, flags))
    }
}
