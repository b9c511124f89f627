//! Exports that move bytes or wait: one kernel call each, no loops, no policy.

use std::os::fd::{AsFd, FromRawFd, IntoRawFd, OwnedFd};

use jni::EnvUnowned;
use jni::objects::JClass;
use jni::sys::{jint, jlong, jstring};

use super::{ThrowJava, borrow, to_usize};
use crate::error::{Result, count_or_would_block};
use crate::sys;

/// `static native int describe0(int fd)`: kind and access bits, see `sys::fd::describe`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_describe0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jint {
    env.with_env(|_| -> Result<jint> { sys::fd::describe(borrow("fstat", fd)?) })
        .resolve::<ThrowJava>()
}

/// `Native.IN_MAY_SLEEP` / `OUT_MAY_SLEEP`: bits above SPLICE_F_* in `flags` asking that the
/// input / output be made non-blocking for the call (see `sys::fd::nonblocking_during`).
const IN_MAY_SLEEP: jint = 1 << 16;
const OUT_MAY_SLEEP: jint = 1 << 17;

/// `static native long splice0(int in, long inOffset, int out, long outOffset, long count, int flags)`:
/// an offset of -1 means "the descriptor's own position". Returns bytes moved, 0 at end of
/// stream, `WOULD_BLOCK` for EAGAIN.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_splice0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd_in: jint,
    in_offset: jlong,
    fd_out: jint,
    out_offset: jlong,
    count: jlong,
    flags: jint,
) -> jlong {
    env.with_env(|_| -> Result<jlong> {
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
    })
    .resolve::<ThrowJava>()
}

/// `static native long sendfile0(int out, int in, long position, long count)`: bytes sent
/// (0 at end of file) or `WOULD_BLOCK`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_sendfile0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd_out: jint,
    fd_in: jint,
    position: jlong,
    count: jlong,
) -> jlong {
    env.with_env(|_| -> Result<jlong> {
        let (output, input) = (borrow("sendfile", fd_out)?, borrow("sendfile", fd_in)?);
        let mut offset = position;
        let sent = sys::sendfile::sendfile(output, input, &mut offset, to_usize("count", count)?);
        count_or_would_block(sent)
    })
    .resolve::<ThrowJava>()
}

/// `static native int poll0(int fd, int interest, int timeoutMillis)`: ready bits or 0.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_poll0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
    interest: jint,
    timeout_ms: jint,
) -> jint {
    env.with_env(|_| -> Result<jint> {
        let timeout = u16::try_from(timeout_ms.max(0)).unwrap_or(u16::MAX);
        sys::poll::wait(borrow("poll", fd)?, interest, timeout)
    })
    .resolve::<ThrowJava>()
}

/// `static native long pipe0(int capacity)`: a new non-blocking pipe owned by the caller,
/// `(read << 32) | write`; capacity 0 keeps the kernel's default. A capacity the kernel
/// refuses leaves the default in place: the caller reads the real one with `pipeCapacity0`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_pipe0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    capacity: jint,
) -> jlong {
    env.with_env(|_| -> Result<jlong> {
        let (read, write) = sys::pipe::pipe()?;
        if capacity > 0 {
            let _ = sys::pipe::set_capacity(write.as_fd(), capacity as usize);
        }
        let (read, write) = (read.into_raw_fd(), write.into_raw_fd());
        Ok(((read as i64) << 32) | (write as u32 as i64))
    })
    .resolve::<ThrowJava>()
}

/// `static native int pipeCapacity0(int fd)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_pipeCapacity0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jint {
    env.with_env(|_| -> Result<jint> { Ok(sys::pipe::capacity(borrow("fcntl", fd)?)? as jint) })
        .resolve::<ThrowJava>()
}

/// `static native int available0(int fd)`: FIONREAD.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_available0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jint {
    env.with_env(|_| -> Result<jint> {
        Ok(sys::pipe::available(borrow("ioctl", fd)?)?.min(i32::MAX as usize) as jint)
    })
    .resolve::<ThrowJava>()
}

/// `static native void close0(int fd)`: closes a descriptor the library owns.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_close0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    fd: jint,
) {
    env.with_env(|_| -> Result<()> {
        borrow("close", fd)?;
        // SAFETY: Java hands over a descriptor that the library created (pipe0) and will
        // never use again; dropping the OwnedFd closes it exactly once. Linux closes the
        // descriptor even when close reports EINTR, so there is nothing to retry.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
        Ok(())
    })
    .resolve::<ThrowJava>()
}

/// `static native String panic0(String message)`: panics on purpose, so a test can prove
/// that a Rust panic reaches Java as `java.lang.Error` instead of aborting the JVM.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_panic0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    depth: jint,
) -> jstring {
    env.with_env(|_| -> Result<jstring> {
        panic!("deliberate panic for the test suite (depth {depth})");
    })
    .resolve::<ThrowJava>()
}
