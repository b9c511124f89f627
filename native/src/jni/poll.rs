//! Exports for the library's poller (virtual threads wait through it): one kernel call each.

use std::os::fd::IntoRawFd;

use jni::EnvUnowned;
use jni::objects::{JClass, JIntArray};
use jni::sys::jint;

use super::{ThrowJava, borrow};
use crate::error::Result;
use crate::sys;

/// `static native int epollCreate0()`: a new epoll descriptor, owned by the caller.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_epollCreate0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> jint {
    env.with_env(|_| -> Result<jint> { Ok(sys::poll::epoll_create()?.into_raw_fd()) })
        .resolve::<ThrowJava>()
}

/// `static native void epollArm0(int epfd, int fd, int interest)`: one report of
/// `interest` (`Native.READABLE`/`WRITABLE`) for `fd`, see `sys::poll::arm_once`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_epollArm0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    epfd: jint,
    fd: jint,
    interest: jint,
) {
    env.with_env(|_| -> Result<()> {
        sys::poll::arm_once(
            borrow("epoll_ctl", epfd)?,
            borrow("epoll_ctl", fd)?,
            interest,
        )
    })
    .resolve::<ThrowJava>()
}

/// `static native int epollWait0(int epfd, int[] ready, int timeoutMillis)`: fills `ready`
/// with the descriptors that fired and returns how many (0 on timeout).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_zerocopy_Native_epollWait0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    epfd: jint,
    ready: JIntArray<'local>,
    timeout_ms: jint,
) -> jint {
    env.with_env(|env| -> Result<jint> {
        let mut fired = vec![0; ready.len(env)?];
        let n = sys::poll::ready(borrow("epoll_wait", epfd)?, &mut fired, timeout_ms)?;
        ready.set_region(env, 0, &fired[..n])?;
        Ok(n as jint)
    })
    .resolve::<ThrowJava>()
}
