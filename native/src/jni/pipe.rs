//! Exports for `sys::pipe`: creation, capacity (F_GETPIPE_SZ / F_SETPIPE_SZ), bytes
//! queued (FIONREAD).

use std::os::fd::{AsFd, IntoRawFd};

use jni::sys::{jint, jlong};

use super::{borrow, to_jint, to_usize};
use crate::sys;

native! {
    /// `static native long pipe0(int capacity)`: a new non-blocking pipe owned by the
    /// caller, `(read << 32) | write`; capacity 0 keeps the kernel's default. A capacity the
    /// kernel refuses leaves the default in place: the caller reads the real one with
    /// `pipeCapacity0`.
    fn pipe0(_, capacity: jint) -> jlong {
        let (read, write) = sys::pipe::pipe()?;
        if capacity > 0 {
            let _ = sys::pipe::set_capacity(write.as_fd(), capacity as usize);
        }
        let (read, write) = (read.into_raw_fd(), write.into_raw_fd());
        Ok(((read as i64) << 32) | (write as u32 as i64))
    }
}

native! {
    /// `static native int pipeCapacity0(int fd)`: F_GETPIPE_SZ.
    fn pipeCapacity0(_, fd: jint) -> jint {
        Ok(to_jint(sys::pipe::capacity(borrow("fcntl", fd)?)?))
    }
}

native! {
    /// `static native int setPipeCapacity0(int fd, int capacity)`: F_SETPIPE_SZ; returns the
    /// capacity the kernel chose (rounded up to a power-of-two number of pages).
    fn setPipeCapacity0(_, fd: jint, capacity: jint) -> jint {
        let capacity = to_usize("capacity", capacity.into())?;
        Ok(to_jint(sys::pipe::set_capacity(borrow("fcntl", fd)?, capacity)?))
    }
}

native! {
    /// `static native int available0(int fd)`: FIONREAD.
    fn available0(_, fd: jint) -> jint {
        Ok(to_jint(sys::pipe::available(borrow("ioctl", fd)?)?))
    }
}
