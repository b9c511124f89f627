//! Exports for tee, vmsplice and pipe capacity: one kernel call each, no policy.

use jni::EnvUnowned;
use jni::objects::{JByteBuffer, JClass, JLongArray};
use jni::sys::{jint, jlong};

use super::{ThrowJava, borrow, to_usize};
use crate::error::{Error, Result, count_or_would_block};
use crate::sys;

/// `static native long tee0(int in, int out, long count, int flags)`: bytes duplicated,
/// 0 at end of stream, `WOULD_BLOCK` for EAGAIN.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_tee0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd_in: jint,
    fd_out: jint,
    count: jlong,
    flags: jint,
) -> jlong {
    env.with_env(|_| -> Result<jlong> {
        let (input, output) = (borrow("tee", fd_in)?, borrow("tee", fd_out)?);
        let count = to_usize("count", count)?;
        count_or_would_block(sys::splice::tee(
            input,
            output,
            count,
            sys::splice::flags_from_bits(flags),
        ))
    })
    .resolve::<ThrowJava>()
}

/// `static native long address0(ByteBuffer direct)`: the address of a direct buffer's
/// first byte (Java passes position and limit itself; the capacity is not used).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_address0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    buffer: JByteBuffer<'local>,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
        let address = env.get_direct_buffer_address(&buffer)?;
        if address.is_null() {
            return Err(Error::InvalidArgument("not a direct buffer".into()));
        }
        Ok(address as jlong)
    })
    .resolve::<ThrowJava>()
}

/// `static native long vmsplice0(int fd, long[] iov, int count, int flags)`: `iov` holds
/// `count` quadruples (address, capacity, offset, length) of direct buffers, `offset` and
/// `length` read once from the buffer's position and limit; every one must lie inside its
/// buffer. The bytes are copied into pages the library owns before the pipe sees them (see
/// `sys::splice::vmsplice_copy`). Returns the bytes the pipe took (a prefix) or `WOULD_BLOCK`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_vmsplice0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
    iov: JLongArray<'local>,
    count: jint,
    flags: jint,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
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
    })
    .resolve::<ThrowJava>()
}

/// `static native int setPipeCapacity0(int fd, int capacity)`: F_SETPIPE_SZ; returns the
/// capacity the kernel chose (rounded up to a power-of-two number of pages).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_setPipeCapacity0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
    capacity: jint,
) -> jint {
    env.with_env(|_| -> Result<jint> {
        let capacity = to_usize("capacity", capacity.into())?;
        let chosen = sys::pipe::set_capacity(borrow("fcntl", fd)?, capacity)?;
        Ok(chosen.min(i32::MAX as usize) as jint)
    })
    .resolve::<ThrowJava>()
}
